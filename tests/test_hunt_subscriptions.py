"""Defects found by trying messy but plausible inputs on the subscription side, each pinned by a
test that failed before its fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli

import clvmodel as clv
from clvmodel.errors import InputError
from clvmodel.subscription_churn import subscriber_churn_risk
from clvmodel.subscription_value import holdout_log_likelihood

# The "regular" cohort of Fader and Hardie (2007), "How to project customer retention", Table 1.
REGULAR = {"alpha": 0.704, "beta": 1.182}


@pytest.fixture
def sbg():
    return clv.ShiftedBetaGeoModel.from_params(REGULAR, time_unit="M")


@pytest.fixture
def subscribers():
    return pd.DataFrame(
        {"periods": [0, 10, 3], "cancelled": [0, 0, 0], "price": [10.0, 20.0, 30.0]},
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )


def _one_by_one(method, data, values):
    """The prediction of each subscriber alone, with their own value of the argument."""
    return [float(method(data.loc[[i]], values[i]).iloc[0]) for i in data.index]


def test_horizon_series_is_matched_by_subscriber_id(sbg, subscribers):
    horizon = pd.Series({"c": 2, "a": 1, "b": 5})  # another order than the table's
    expected = _one_by_one(sbg.probability_cancel, subscribers, horizon)
    got = sbg.probability_cancel(subscribers, horizon)
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-12)
    predicted = sbg.predict(subscribers, horizon, 0.1)["probability_cancel"]
    np.testing.assert_allclose(predicted.to_numpy(), expected, rtol=1e-12)


def test_horizon_series_missing_an_id_is_refused(sbg, subscribers):
    with pytest.raises(InputError, match="no value for customer id"):
        sbg.probability_cancel(subscribers, pd.Series({"a": 1, "b": 5}))


def test_price_series_is_matched_by_subscriber_id(sbg, subscribers):
    price = pd.Series({"c": 30.0, "a": 10.0, "b": 20.0})
    by_column = sbg.residual_value(subscribers, "price", 0.5, 0.1)
    by_series = sbg.residual_value(subscribers, price, 0.5, 0.1)
    np.testing.assert_allclose(by_series.to_numpy(), by_column.to_numpy(), rtol=1e-12)
    scores = subscriber_churn_risk(sbg, subscribers, 1, price=price, discount_rate=0.01)
    assert scores["price"].to_dict() == {"a": 10.0, "b": 20.0, "c": 30.0}


@pytest.mark.parametrize("horizon", ["12M", "1Y", clv.Duration(1, "Y"), "3"])
def test_horizon_as_text_or_duration_is_a_clear_error(sbg, subscribers, horizon):
    for call in (
        lambda: sbg.probability_cancel(subscribers, horizon),
        lambda: sbg.predict(subscribers, horizon),
        lambda: sbg.retention_curve(subscribers, horizon),
    ):
        with pytest.raises(InputError, match="billing period"):
            call()


# Fader and Hardie (2007), Table 1, "regular" cohort: survivors after years 0-12.
COUNTS = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]


def test_holdout_given_as_shares_is_refused():
    from clvmodel.subscription_value import compare_retention_models

    rows = clv.subscriptions.from_survival_counts(COUNTS[:8])
    with pytest.raises(InputError, match="whole numbers"):
        compare_retention_models(rows, holdout=[0.223, 0.207, 0.194])


def test_naive_comparison_takes_a_whole_float_fit_periods():
    from clvmodel.subscription_value import naive_vs_model_retention

    as_int = naive_vs_model_retention(COUNTS, 7, price=100.0, margin=0.3)
    as_float = naive_vs_model_retention(COUNTS, 7.0, price=100.0, margin=0.3)
    pd.testing.assert_frame_equal(as_float.value, as_int.value)


def test_naive_comparison_on_too_few_counts_says_how_many_are_needed():
    from clvmodel.subscription_value import naive_vs_model_retention

    with pytest.raises(InputError, match="at least 4") as caught:
        naive_vs_model_retention([1000, 631, 468], 2)
    assert "from 2 to 1" not in str(caught.value)


def test_retention_curve_with_several_periods_is_a_clear_error(sbg, subscribers):
    with pytest.raises(InputError, match="one whole number"):
        sbg.retention_curve(subscribers, [1, 2])


def test_missing_value_texts_in_dates_are_empty_in_python():
    # A database export or a Parquet file writes a missing end date as text ("NULL").
    table = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "start": ["2024-01-31", "2024-01-15", "2024-06-01"],
            "end": ["NULL", " n/a ", "2024-07-01"],
        }
    )
    rows = clv.subscriptions.from_subscription_table(table, observation_end="2024-12-31")
    assert rows["cancelled"].to_dict() == {"a": 0, "b": 0, "c": 1}
    assert rows["periods"].to_dict() == {"a": 11, "b": 11, "c": 1}
    accepted, rejects, _ = clv.subscriptions.screen_subscription_table(
        table.assign(start=["2024-01-31", "Null", "2024-06-01"]), observation_end="2024-12-31"
    )
    assert accepted["customer_id"].tolist() == ["a", "c"]
    assert rejects["reason"].tolist() == ["no start date"]


def test_missing_value_texts_in_a_parquet_end_column_mean_active(tmp_path):
    # As a CSV's NULL is read as empty, so is a Parquet file's.
    table = pd.DataFrame(
        {
            "customer_id": [f"S{i}" for i in range(6)],
            "start": ["2023-01-15", "2023-02-01", "2023-03-01", "2023-04-01", "2023-05-01",
                      "2023-06-01"],
            "end": ["NULL", "2023-05-01", "Null", "2024-02-01", "N/A", "2023-07-01"],
            "price": 10.0,
        }
    )  # fmt: skip
    parquet, csv = tmp_path / "subs.parquet", tmp_path / "subs.csv"
    table.to_parquet(parquet)
    table.to_csv(csv, index=False)
    model = clv.ShiftedBetaGeoModel.from_params(REGULAR, time_unit="M")
    model.save(tmp_path / "model.json")
    outputs = []
    for source in (parquet, csv):
        out = tmp_path / f"{source.suffix[1:]}_scores.csv"
        result = run_cli("subscriptions", "score", tmp_path / "model.json", source, "-o", out,
                         "--observation-end", "2024-12-31")  # fmt: skip
        assert result.exit_code == 0, result.output
        outputs.append(pd.read_csv(out, index_col=0))
    pd.testing.assert_frame_equal(outputs[0], outputs[1])
    assert outputs[0]["cancelled"].to_dict() == {
        "S0": 0, "S1": 1, "S2": 0, "S3": 1, "S4": 0, "S5": 1
    }  # fmt: skip


@pytest.mark.parametrize("n", [10.5, -1, "10", True])
def test_simulated_table_size_must_be_a_whole_number(sbg, n):
    with pytest.raises(InputError, match="n_subscribers"):
        clv.subscriptions.simulate_subscription_table(sbg, n, "2022-01-01", "2024-12-31")


def test_cli_on_a_table_without_rows_says_so(tmp_path):
    table = tmp_path / "subs.csv"
    table.write_text("customer_id,start,end,price\n", encoding="utf-8")
    model = tmp_path / "model.json"
    clv.ShiftedBetaGeoModel.from_params(REGULAR, time_unit="M").save(model)
    for args in (("fit", table, "-o", tmp_path / "fitted.json"),
                 ("score", model, table, "-o", tmp_path / "scores.csv")):  # fmt: skip
        result = run_cli("subscriptions", *args)
        assert result.exit_code == 2, result.output
        assert "has no rows" in result.stderr
        assert "()" not in result.stderr


def test_a_missing_covariate_column_is_named_in_subscription_words(subscribers):
    rows = subscribers.assign(premium=[0.0, 1.0, 0.0])
    model = clv.ShiftedBetaGeoModel.from_params(
        {**REGULAR, "alpha:premium": 0.2}, alpha_covariates=["premium"]
    )
    calls = (
        lambda: model.probability_cancel(subscribers, 1),
        lambda: model.survival_function(3, data=subscribers),
        lambda: clv.ShiftedBetaGeoModel(beta_covariates=["premium"]).fit(subscribers),
    )
    for call in calls:
        with pytest.raises(InputError, match="no covariate column 'premium'") as caught:
            call()
        assert "rfm" not in str(caught.value) and "time_unit" not in str(caught.value)
    assert model.probability_cancel(rows, 1).notna().all()


def test_cancellations_in_a_running_period_do_not_bias_the_fit():
    # Yearly billing, starts over 15 years: 3 % of the subscribers have cancelled in a year not
    # yet over at the end of observation. Counted as lifetimes while the others of that year
    # count as survivors of the year before, they made S(12) 8 % too low.
    truth = clv.ShiftedBetaGeoModel.from_params(REGULAR)
    table = clv.subscriptions.simulate_subscription_table(
        truth, 20_000, "2010-01-01", "2024-12-31", period="Y", random_state=0
    )
    rows = clv.subscriptions.from_subscription_table(
        table, observation_end="2024-12-31", period="Y"
    )
    running = rows["periods"] > rows["observed_periods"]
    assert rows.loc[running, "cancelled"].eq(1).all() and running.mean() > 0.02
    fitted = clv.ShiftedBetaGeoModel().fit(rows)
    error = fitted.survival_function(12) / truth.survival_function(12) - 1
    assert abs(error) < 0.03
    # Scored, those subscribers stay cancelled: no value left.
    assert (fitted.probability_cancel(rows, 1)[running] == 1.0).all()


def test_nobody_has_finished_a_period_means_no_churn_is_observed_yet():
    # Every subscription started this (yearly) period; a third cancelled already.
    table = pd.DataFrame(
        {
            "customer_id": range(30),
            "start": "2024-06-01",
            "end": [None, None, "2024-09-15"] * 10,
        }
    )
    rows = clv.subscriptions.from_subscription_table(
        table, observation_end="2024-12-31", period="Y"
    )
    with pytest.raises(InputError, match="no subscriber has cancelled"):
        clv.ShiftedBetaGeoModel().fit(rows)


def test_cli_fit_agrees_with_python_on_cancellations_in_a_running_period(tmp_path):
    truth = clv.ShiftedBetaGeoModel.from_params(REGULAR)
    table = clv.subscriptions.simulate_subscription_table(
        truth, 3_000, "2012-01-01", "2024-12-31", period="Y", random_state=4
    )
    path = tmp_path / "subs.csv"
    table.drop(columns="lifetime").to_csv(path, index=False)
    result = run_cli("subscriptions", "fit", path, "-o", tmp_path / "model.json",
                     "--billing-period", "Y", "--observation-end", "2024-12-31",
                     "--batch-size", 500)  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = clv.subscriptions.from_subscription_table(
        pd.read_csv(path), observation_end="2024-12-31", period="Y"
    )
    python = clv.ShiftedBetaGeoModel().fit(rows)
    cli = clv.load(tmp_path / "model.json")
    np.testing.assert_allclose(cli.params_.to_numpy(), python.params_.to_numpy(), rtol=1e-6)


def test_a_cancellation_in_the_holdouts_running_period_is_not_yet_an_outcome():
    # Observed 3 periods later, one subscriber has cancelled in a 4th period still running: the
    # holdout log-likelihood must count them as having survived the 3 periods (as the fit does),
    # not as cancelled in the 4th while their peers in it count as survivors.
    sbg = clv.ShiftedBetaGeoModel.from_params(REGULAR)
    calibration = pd.DataFrame({"periods": [2, 2, 2], "cancelled": 0})
    later = pd.DataFrame({"periods": [5, 5, 6], "cancelled": [0, 0, 1], "observed_periods": 5})
    censored = pd.DataFrame({"periods": [5, 5, 5], "cancelled": 0})
    got = holdout_log_likelihood(sbg, calibration, later)
    assert got == pytest.approx(holdout_log_likelihood(sbg, calibration, censored), rel=1e-12)
