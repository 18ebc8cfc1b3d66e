"""CLV intervals validate and group the table once, then evaluate each parameter vector on the
distinct rows only (issue #15): the limits equal those of recomputing the value on the whole
table at every vector, as the code did before."""

import numpy as np
import pytest

import clvmodel as clv
import clvmodel._value_rows
import clvmodel.models._predictions
import clvmodel.models.gamma_gamma
import clvmodel.value
from clvmodel.value import discounted_purchases, value_interval


def _table(rfm):
    """The CDNOW table with two covariates, identical customers repeated, in a shuffled order."""
    rng = np.random.default_rng(3)
    table = rfm.assign(
        z1=rng.normal(size=len(rfm)).round(1), z2=rng.binomial(1, 0.4, len(rfm)).astype(float)
    )
    table = table.iloc[rng.permutation(np.r_[np.arange(len(table)), np.arange(40)])]
    table.attrs.update(rfm.attrs)
    return table


def _recomputed(bg, gg, data, interval, method, margin=0.4, discount_rate=0.1):
    """The limits as computed before: the value of every customer at every parameter vector."""
    span = clv.Duration(12, "M")

    def at(purchase_model, spend_model):
        purchases = discounted_purchases(
            purchase_model, data, span, discount_rate, fallback_unit=bg.time_unit_
        )
        return margin * spend_model.expected_spend(data).to_numpy() * purchases

    return value_interval(at(bg, gg), at, bg, gg, interval, method=method, n_draws=12, seed=2)


@pytest.fixture(scope="module")
def fitted(cdnow_rfm):
    """``fitted(name, covariates)``: the table and its two fitted models, fitted once for both
    interval methods (an interval reads the models, it does not change them)."""
    cache = {}

    def fit(name, covariates):
        if (name, covariates) not in cache:
            data = _table(cdnow_rfm)
            model = clv.models.PURCHASE_MODELS[name]
            bg = (model(["z1"], ["z2"]) if covariates else model()).fit(data)
            spend = clv.GammaGammaModel(spend_covariates=["z1", "z2"] if covariates else ())
            cache[name, covariates] = data, bg, spend.fit(data)
        return cache[name, covariates]

    return fit


@pytest.mark.parametrize("method", ["draws", "delta"])
@pytest.mark.parametrize(
    "name, covariates",
    [("bgnbd", False), ("mbgnbd", False), ("pnbd", False), ("bgnbd", True), ("pnbd", True)],
)
def test_limits_equal_recomputing_every_customer(fitted, name, covariates, method):
    data, bg, gg = fitted(name, covariates)
    table = clv.customer_lifetime_value(
        bg, gg, data, "12M", 0.1, 0.4, interval=0.8, method=method, n_draws=12, seed=2
    )
    lower, upper = _recomputed(bg, gg, data, 0.8, method)
    assert table.index.equals(data.index)
    np.testing.assert_allclose(table["clv_lower"], lower, rtol=1e-12, atol=0)
    np.testing.assert_allclose(table["clv_upper"], upper, rtol=1e-12, atol=0)
    assert (table["clv_upper"] > table["clv_lower"]).mean() > 0.5  # not a degenerate interval


def test_bootstrap_limits_equal_recomputing_every_customer(cdnow_rfm):
    data = _table(cdnow_rfm)
    bg = clv.BetaGeoModel().fit(data).bootstrap(data, n_draws=12, seed=1)
    gg = clv.GammaGammaModel().fit(data).bootstrap(data, n_draws=12, seed=1)
    table = clv.customer_lifetime_value(
        bg, gg, data, "12M", 0.1, 0.4, interval=0.8, method="bootstrap"
    )
    lower, upper = _recomputed(bg, gg, data, 0.8, "bootstrap")
    np.testing.assert_allclose(table["clv_lower"], lower, rtol=1e-12, atol=0)
    np.testing.assert_allclose(table["clv_upper"], upper, rtol=1e-12, atol=0)


def test_customers_with_the_same_row_get_the_same_limits(fitted):
    data, bg, gg = fitted("bgnbd", False)  # BetaGeoModel() and GammaGammaModel() on _table
    table = clv.customer_lifetime_value(
        bg, gg, data, "12M", 0.1, interval=0.9, method="draws", n_draws=30
    )
    repeated = table[table.index.duplicated(keep=False)].groupby(level=0)
    assert repeated.ngroups == 40
    assert (repeated.nunique() == 1).all().all()


def test_the_table_is_validated_once_not_at_every_draw(cdnow_rfm, monkeypatch):
    calls = []
    for module in (
        clvmodel.value,
        clvmodel._value_rows,
        clvmodel.models._predictions,
        clvmodel.models.gamma_gamma,
    ):
        original = module.validate_rfm

        def counted(*args, _original=original, **kwargs):
            calls.append(1)
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, "validate_rfm", counted)
    bg, gg = clv.BetaGeoModel().fit(cdnow_rfm), clv.GammaGammaModel().fit(cdnow_rfm)
    calls.clear()
    clv.customer_lifetime_value(
        bg, gg, cdnow_rfm, "12M", 0.1, interval=0.9, method="draws", n_draws=50
    )
    # The point estimate's checks and the grouping's: a handful, not one or two per draw.
    assert len(calls) <= 6
