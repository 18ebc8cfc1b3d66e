"""Follow-ups of a defect hunt: a missing spend of one-time buyers, BdW running off to β = ∞,
non-JSON metadata in a model bundle."""

from __future__ import annotations

import datetime as dt
import json
import warnings

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.rfm import validate_rfm
from clvmodel.scoring import score_customers


# --------------------------------------------------------------------------------------------------
# monetary_value missing (NaN) for customers without repeat purchases: "no repeat purchase, no
# mean spend", a common convention. The purchase models ignore it, Gamma-Gamma uses repeat buyers
# only and the value functions take m = 0 at x = 0, so the table is usable as it is; refusing it
# with "drop or fix those customers" led users to drop the one-time buyers, biasing BG/NBD.
@pytest.fixture(scope="module")
def spend_tables(cdnow_rfm):
    """The CDNOW calibration table with monetary_value 0 (as rfm_summary gives it) and NaN for
    the one-time buyers."""
    zero = cdnow_rfm.copy()
    zero.loc[zero["frequency"] == 0, "monetary_value"] = 0.0
    missing = zero.copy()
    missing.loc[missing["frequency"] == 0, "monetary_value"] = np.nan
    return zero, missing


def test_a_missing_spend_of_one_time_buyers_is_accepted_and_not_changed(spend_tables):
    zero, missing = spend_tables
    before = missing.copy()
    checked = validate_rfm(missing, require=("frequency", "recency", "T", "monetary_value"))
    np.testing.assert_array_equal(checked.monetary_value, zero["monetary_value"].to_numpy())
    pd.testing.assert_frame_equal(missing, before)  # the caller's table keeps its NaN


@pytest.mark.parametrize("model", [clv.BetaGeoModel, clv.GammaGammaModel])
def test_models_fit_the_same_with_a_missing_spend_of_one_time_buyers(spend_tables, model):
    zero, missing = spend_tables
    on_zero, on_missing = model().fit(zero), model().fit(missing)
    pd.testing.assert_series_equal(on_missing.params_, on_zero.params_, rtol=1e-9)
    assert on_missing.n_customers_ == on_zero.n_customers_


def test_values_are_finite_and_equal_with_a_missing_spend_of_one_time_buyers(
    spend_tables, fitted_bg, fitted_gg
):
    zero, missing = spend_tables
    bg, gg = fitted_bg, fitted_gg  # fitted: intervals need their covariance
    one_time = (zero["frequency"] == 0).to_numpy()
    for function in (
        lambda table: clv.customer_lifetime_value(bg, gg, table, horizon="12M"),
        lambda table: clv.customer_lifetime_value(bg, gg, table, horizon="12M", interval=0.9),
        lambda table: gg.expected_spend(table),
    ):
        expected, got = function(zero), function(missing)
        assert np.isfinite(np.asarray(got, dtype=float)[one_time]).all()
        pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(expected))
    scores = score_customers(bg, gg, missing, horizon="12M", interval=0.9)
    expected = score_customers(bg, gg, zero, horizon="12M", interval=0.9)
    values = ["expected_spend", "predicted_clv", "clv_lower", "clv_upper"]
    assert np.isfinite(scores.loc[one_time, values].to_numpy()).all()
    pd.testing.assert_frame_equal(scores[values], expected[values])
    table = clv.clv_table(bg, gg, missing, horizon="12M")
    assert np.isfinite(table["predicted_clv"]).all()
    np.testing.assert_array_equal(
        table["predicted_clv"], clv.clv_table(bg, gg, zero, horizon="12M")["predicted_clv"]
    )


def test_a_missing_spend_of_a_repeat_buyer_is_refused_in_words(spend_tables):
    _, missing = spend_tables
    broken = missing.copy()
    repeat = broken.index[broken["frequency"] > 0][:2]
    broken.loc[repeat, "monetary_value"] = np.nan
    for attempt in (
        lambda: clv.GammaGammaModel().fit(broken),
        lambda: validate_rfm(broken, require=("frequency", "monetary_value")),
    ):
        with pytest.raises(clv.InputError, match="2 value.*monetary_value.*missing") as error:
            attempt()
        message = str(error.value)
        assert repr(repeat[0]) in message and "only where frequency is 0" in message


def test_a_missing_spend_without_frequency_and_an_infinite_one_are_still_refused():
    with pytest.raises(clv.InputError, match="monetary_value.*missing or infinite"):
        validate_rfm({"monetary_value": [np.nan, 1.0]}, require=("monetary_value",))
    table = pd.DataFrame(
        {"frequency": [0, 1], "recency": [0.0, 2.0], "T": [3.0, 3.0], "monetary_value": [np.inf, 1]}
    )
    with pytest.raises(clv.InputError, match="monetary_value.*missing or infinite"):
        validate_rfm(table)


# --------------------------------------------------------------------------------------------------
# A bundle's metadata with dates and numpy numbers: save raised json's raw TypeError.
def _bundle(metadata):
    from clvmodel.models.bundle import ModelBundle

    bg = clv.BetaGeoModel.from_params({"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}, time_unit="W")
    return ModelBundle(bg=bg, metadata=metadata)


def test_a_bundle_saves_dates_and_numpy_numbers_in_its_metadata(tmp_path):
    from clvmodel.models.bundle import load_models

    metadata = {
        "observation_end": pd.Timestamp("1997-09-30"),
        "fitted_at": dt.datetime(2026, 12, 4, 18, 30, tzinfo=dt.timezone.utc),
        "first_day": dt.date(1997, 1, 1),
        "stamp": np.datetime64("1997-09-30T12:00"),
        "missing_date": pd.NaT,
        "customers": np.int64(2357),
        "share": np.float32(0.5),
        "flag": np.bool_(True),
        "nested": {"counts": np.array([1, 2]), "pair": (np.float64(1.5), "a")},
    }
    bundle = _bundle(metadata)
    path = bundle.save(tmp_path / "models.json")
    loaded = load_models(path).metadata
    assert loaded == {
        "observation_end": "1997-09-30T00:00:00",
        "fitted_at": "2026-12-04T18:30:00+00:00",
        "first_day": "1997-01-01",
        "stamp": "1997-09-30T12:00:00",
        "missing_date": None,
        "customers": 2357,
        "share": 0.5,
        "flag": True,
        "nested": {"counts": [1, 2], "pair": [1.5, "a"]},
    }
    assert pd.Timestamp(loaded["observation_end"]) == metadata["observation_end"]
    assert isinstance(bundle.metadata["observation_end"], pd.Timestamp)  # the caller's, as given
    json.loads(path.read_text())  # plain JSON


def test_a_bundle_refuses_metadata_json_cannot_store_naming_the_key(tmp_path):
    from decimal import Decimal

    with pytest.raises(clv.InputError, match=r"metadata\['run'\]\['price'\] is a Decimal"):
        _bundle({"run": {"price": Decimal("1.5")}})
    with pytest.raises(clv.InputError, match="metadata must be a dict"):
        _bundle(["not", "a", "dict"])
    bundle = _bundle({})
    bundle.metadata["table"] = pd.DataFrame({"a": [1]})  # set after construction
    with pytest.raises(clv.InputError, match=r"metadata\['table'\] is a DataFrame"):
        bundle.save(tmp_path / "models.json")
    assert not (tmp_path / "models.json").exists()


# --------------------------------------------------------------------------------------------------
# BdW on tenures no BdW fits well (ten cancellations each after 5, 7, 9, 100 and 103 periods):
# the likelihood rises without end as α → 0 and β, c → ∞ (ln β / c and αc held), towards
# S(t) = min(1, (s/t)^k); the optimiser followed the ridge until β overflowed and stopped with
# a NaN gradient (a ConvergenceError), where the other models report an edge.
ODD_PERIODS = np.repeat([100, 103, 5, 7, 9], 10)


def _limit_log_likelihood(periods) -> float:
    """The supremum of the BdW likelihood of cancelled subscribers here: the largest
    log-likelihood of S(t) = min(1, (s/t)^k) (s, k > 0), the limit along the ridge."""
    from scipy.optimize import minimize

    def negative(v):
        s, k = np.exp(v)
        survival = lambda t: np.minimum(1.0, (s / t) ** k)  # noqa: E731
        with np.errstate(divide="ignore"):
            return -np.log(survival(periods - 1.0) - survival(periods)).sum()

    starts = [[np.log(s), np.log(k)] for s in (2.0, 4.0, 4.5) for k in (0.3, 1.0)]
    return -min(minimize(negative, x0, method="Nelder-Mead").fun for x0 in starts)


def test_bdw_likelihood_beyond_the_largest_double_is_minus_infinity_not_nan():
    from clvmodel.models.beta_discrete_weibull import BetaDiscreteWeibullModel

    bdw = BetaDiscreteWeibullModel()
    subscribers = pd.DataFrame({"periods": ODD_PERIODS, "cancelled": 1})
    arrays, _, _ = bdw._prepare(subscribers, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for theta in ([1e-3, np.inf, 500.0], [0.0, 1e300, 500.0], [1e-3, 1e300, np.inf]):
            ll, _ = bdw._loglik(np.array(theta), arrays)
            assert np.all(ll == -np.inf)


@pytest.mark.parametrize("cancelled", ["all", "half"])
def test_bdw_on_tenures_it_cannot_fit_ends_on_the_edge_with_a_warning(cancelled):
    from clvmodel.models.beta_discrete_weibull import BetaDiscreteWeibullModel

    flags = np.ones(ODD_PERIODS.size, "int64")
    if cancelled == "half":
        flags[1::2] = 0
    subscribers = pd.DataFrame({"periods": ODD_PERIODS, "cancelled": flags})
    with pytest.warns(clv.StatisticalWarning, match=r"edge of its parameter space \(beta = "):
        bdw = BetaDiscreteWeibullModel().fit(subscribers)
    assert np.isfinite(bdw.params_).all() and np.isfinite(bdw.log_likelihood_)
    assert bdw.params_["beta"] > 1e100 and bdw.params_["alpha"] < 0.01  # run off, as it should
    if cancelled == "all":
        # Within 0.1 of the supremum of the likelihood, which no finite parameters reach.
        supremum = _limit_log_likelihood(ODD_PERIODS.astype(float))
        assert supremum - 0.1 < bdw.log_likelihood_ <= supremum + 1e-9
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # predictions without NaN or numpy warnings
        table = pd.DataFrame({"periods": [0, 3, 10, 104], "cancelled": 0})
        predictions = bdw.predict(table, 12, discount_rate=0.1)
        survival = bdw.survival_function([1, 5, 10, 100, 1000])
    assert np.isfinite(predictions[["probability_cancel", "derl"]].to_numpy()).all()
    assert np.all(np.diff(survival) <= 0) and np.all((survival > 0) & (survival <= 1))


def test_a_subscription_price_beyond_1e12_is_rejected_as_amounts_are():
    """A price of 1e300 was accepted and gave an absurd residual value (near 1e308, inf);
    prices are bounded as transaction amounts are."""
    from clvmodel import subscriptions

    table = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "start": ["2024-01-05"] * 4,
            "end": [None, "2024-03-01", None, None],
            "price": [9.99, 1e300, 1e12, -1.0],
        }
    )
    accepted, rejects, _ = subscriptions.screen_subscription_table(table, numeric_cols=["price"])
    assert accepted["customer_id"].tolist() == ["a", "c"]  # 1e12 itself is within the bound
    assert rejects.set_index("customer_id")["reason"].to_dict() == {
        "b": "price beyond 1e12",
        "d": "price is missing or not a number ≥ 0",
    }
