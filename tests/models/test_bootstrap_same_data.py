"""The bootstrap refits on the data the model was fitted on, or refuses; CLV intervals from
parameter draws draw the purchase and spend models independently (they are fitted separately)."""

from __future__ import annotations

import numpy as np
import pytest

import clvmodel as clv

MATCH = "bootstrap needs the data the model was fitted on"
# Estimates used only to simulate subscribers: sBG, Fader and Hardie (2007), J. Interactive
# Marketing 21(1), the "regular" cohort.
SBG = {"alpha": 0.704, "beta": 1.182}


@pytest.fixture(scope="module")
def compressed(cdnow_rfm):
    """CDNOW's distinct (frequency, recency, T, spend) rows and how many customers each holds."""
    columns = ["frequency", "recency", "T", "monetary_value"]
    table = cdnow_rfm.groupby(columns, as_index=False).size()
    counts = table.pop("size").to_numpy()
    table.attrs["time_unit"] = "W"
    return table, counts


def test_forgotten_weights_are_refused(compressed):
    table, counts = compressed
    model = clv.BetaGeoModel().fit(table, weights=counts)
    with pytest.raises(clv.InputError, match=f"{MATCH}: this table holds 1,0.. customer"):
        model.bootstrap(table, n_draws=5)
    model.bootstrap(table, n_draws=5, weights=counts)
    assert len(model.bootstrap_params_) >= 2


def test_a_table_in_another_time_unit_is_refused(cdnow_sample, fitted_bg):
    days = clv.rfm_summary(cdnow_sample, observation_end="1997-09-30", time_unit="D")
    with pytest.raises(clv.InputError, match="time_unit='D'.*fitted in weeks"):
        fitted_bg.bootstrap(days, n_draws=5)
    # Without its recorded unit, the same customers in days give another likelihood.
    days.attrs.clear()
    with pytest.raises(clv.InputError, match=f"{MATCH}: the log-likelihood"):
        fitted_bg.bootstrap(days, n_draws=5)


def test_other_rows_are_refused_for_spend_and_subscription_models(cdnow_rfm):
    spend = clv.GammaGammaModel().fit(cdnow_rfm)
    changed = cdnow_rfm.assign(monetary_value=cdnow_rfm["monetary_value"] * 2.0)
    with pytest.raises(clv.InputError, match=f"{MATCH}: the log-likelihood"):
        spend.bootstrap(changed, n_draws=5)
    true = clv.ShiftedBetaGeoModel.from_params(SBG)
    rng = np.random.default_rng(0)
    subscribers = true.simulate(2_000, rng.integers(1, 8, 2_000), random_state=0)
    model = clv.ShiftedBetaGeoModel().fit(subscribers)
    with pytest.raises(clv.InputError, match=f"{MATCH}: this table holds 1,000"):
        model.bootstrap(subscribers.iloc[:1_000], n_draws=5)
    model.bootstrap(subscribers, n_draws=5)
    assert np.isfinite(model.bootstrap_params_.to_numpy()).all()


def test_models_made_from_parameters_are_not_checked(cdnow_rfm, fitted_bg):
    # from_params records no fit to compare with: the bootstrap refits on what it is given.
    model = clv.BetaGeoModel.from_params(fitted_bg.params_, "W")
    model.bootstrap(cdnow_rfm, n_draws=3)
    assert len(model.bootstrap_params_) >= 2


def _normals(model, draws):
    """The standard normals behind draws from the asymptotic normal of the working parameters
    (numpy's ``multivariate_normal(method="eigh")``: working = centre + U·√s·z)."""
    centre = model._to_working(model.params_.to_numpy())
    values, vectors = np.linalg.eigh(model.covariance_.to_numpy())
    working = np.array([d._to_working(d.params_.to_numpy()) for d in draws])
    return np.linalg.solve(vectors * np.sqrt(values), (working - centre).T).T


def test_clv_draws_of_the_two_models_are_independent(cdnow_rfm, monkeypatch):
    # Five parameters each: with one seed for both models (the old code), the standard normals
    # behind draw i were the same for both (correlation 1) and the CLV interval 18 % too narrow.
    rng = np.random.default_rng(5)
    rfm = cdnow_rfm.assign(z1=rng.normal(size=len(cdnow_rfm)), z2=rng.normal(size=len(cdnow_rfm)))
    purchase = clv.BetaGeoModel(purchase_covariates=["z1"]).fit(rfm)
    spend = clv.GammaGammaModel(spend_covariates=["z1", "z2"]).fit(rfm)
    seen = {}
    for name, model in (("purchase", purchase), ("spend", spend)):
        original = model.parameter_samples

        def record(*args, _name=name, _original=original, **kwargs):
            seen[_name] = _original(*args, **kwargs)
            return seen[_name]

        monkeypatch.setattr(model, "parameter_samples", record)
    clv.customer_lifetime_value(
        purchase, spend, rfm.head(50), "12M", 0.1, 0.3, interval=0.9, method="draws", seed=0
    )
    z_purchase, z_spend = _normals(purchase, seen["purchase"]), _normals(spend, seen["spend"])
    assert z_purchase.shape == z_spend.shape == (200, 5)
    correlations = [np.corrcoef(z_purchase[:, j], z_spend[:, j])[0, 1] for j in range(5)]
    assert np.max(np.abs(correlations)) < 0.25, correlations  # 200 pairs: sd of r ≈ 0.07
