"""Calibration/holdout evaluation: published CDNOW numbers, independent checks, bad input."""

import json

import numpy as np
import pandas as pd
import pytest
from published import PUBLISHED_BG
from scipy.stats import mannwhitneyu, pearsonr, spearmanr

import clvmodel as clv

CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"

# Fader, Hardie & Lee (2005), "Counting your customers" the easy way, Marketing Science 24(2):
# BG/NBD estimates on the CDNOW 1/10 sample, 39-week calibration (Table / text of section 4).
PUBLISHED = PUBLISHED_BG

# Same paper, figure of conditional expectations of holdout transactions, and Hardie's note
# "Implementing the BG/NBD model": mean number of transactions in weeks 40-78 by number of repeat
# transactions in weeks 1-39 (0, 1, ..., 6, 7+).
PUBLISHED_ACTUAL = [0.237, 0.697, 1.393, 1.560, 2.532, 2.947, 3.862, 6.359]
PUBLISHED_BGNBD = [0.225, 0.523, 1.044, 1.520, 2.164, 2.654, 3.504, 6.157]

# Same paper, figure tracking cumulative repeat transactions: at week 78 the CDNOW sample has
# 4,339 repeat transactions and BG/NBD expects about 4,166.
PUBLISHED_WEEK78_ACTUAL = 4339
PUBLISHED_WEEK78_BGNBD = 4166


@pytest.fixture(scope="module")
def transactions():
    return clv.datasets.load_cdnow_sample()


@pytest.fixture(scope="module")
def split(transactions):
    return clv.calibration_holdout_split(
        transactions, calibration_end=CALIBRATION_END, observation_end=OBSERVATION_END
    )


@pytest.fixture(scope="module")
def fitted(split):
    calibration, _ = split
    return clv.BetaGeoModel().fit(calibration), clv.GammaGammaModel().fit(calibration)


@pytest.fixture(scope="module")
def published():
    return clv.BetaGeoModel.from_params(PUBLISHED, time_unit="W")


@pytest.fixture(scope="module")
def report(split, fitted, transactions):
    calibration, holdout = split
    bg, gg = fitted
    return clv.evaluate_holdout(bg, calibration, holdout, gg, transactions=transactions)


@pytest.fixture(scope="module")
def published_report(split, published, transactions):
    calibration, holdout = split
    return clv.evaluate_holdout(published, calibration, holdout, transactions=transactions)


def _holdout_days(transactions, customers=None):
    """Distinct purchase days per customer in the holdout weeks 40-78, computed with pandas."""
    days = transactions[["customer_id", "date"]].drop_duplicates()
    days = days[(days["date"] > CALIBRATION_END) & (days["date"] <= OBSERVATION_END)]
    counts = days.groupby("customer_id").size()
    return counts if customers is None else counts.reindex(customers, fill_value=0)


# --------------------------------------------------------------------------------------------------
# Published CDNOW numbers
@pytest.mark.parametrize("which", ["fitted", "published"])
def test_conditional_expectation_table_matches_the_paper(which, report, published_report):
    # Fader, Hardie & Lee (2005), conditional-expectations figure: both the fitted and the
    # published parameters give the published table to 3 decimals.
    chosen = report if which == "fitted" else published_report
    table = chosen.conditional_expectation
    assert list(table.index) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert table["actual"].round(3).tolist() == PUBLISHED_ACTUAL
    assert table["model"].round(3).tolist() == PUBLISHED_BGNBD
    assert table["customers"].sum() == 2357


def test_cumulative_repeat_transactions_at_week_78(published_report, split, published):
    tracking = published_report.tracking
    last = tracking.iloc[-1]
    assert last["period"] == 78
    assert last["end_date"] == pd.Timestamp(OBSERVATION_END)
    assert last["actual_cumulative"] == PUBLISHED_WEEK78_ACTUAL
    # clvmodel measures ages as rfm_summary measures T (a 1 January customer is 545 days old at the
    # end of 30 June 1998); the paper counts one more day. That day is the whole difference:
    assert last["model_cumulative"] == pytest.approx(PUBLISHED_WEEK78_BGNBD, rel=2e-3)
    calibration, holdout = split
    age_at_end = calibration["T"].to_numpy() + holdout["duration_holdout"].to_numpy()
    assert last["model_cumulative"] == pytest.approx(
        published.expected_purchases_new(age_at_end).sum(), rel=1e-12
    )
    paper_convention = published.expected_purchases_new(age_at_end + 1 / 7).sum()
    assert round(paper_convention) == PUBLISHED_WEEK78_BGNBD


def test_tracking_actual_counts_equal_an_independent_weekly_count(report, transactions):
    days = transactions[["customer_id", "date"]].drop_duplicates()
    days = days[days["date"] <= OBSERVATION_END]
    first = days.groupby("customer_id")["date"].transform("min")
    repeat = days[days["date"] > first]
    week = (repeat["date"] - pd.Timestamp("1997-01-01")).dt.days // 7 + 1
    expected = week.value_counts().reindex(range(1, 79), fill_value=0).to_numpy()
    tracking = report.tracking
    assert tracking["period"].tolist() == list(range(1, 79))
    assert tracking["start_date"].iloc[0] == pd.Timestamp("1997-01-01")
    np.testing.assert_array_equal(tracking["actual_incremental"].to_numpy(), expected)
    np.testing.assert_array_equal(tracking["actual_cumulative"].to_numpy(), np.cumsum(expected))
    assert (tracking["phase"] == "calibration").sum() == 39
    assert tracking.attrs["calibration_periods"] == 39


def test_tracking_expectation_is_a_sum_over_customers_of_new_customer_expectations(
    report, split, fitted
):
    calibration, _ = split
    bg, _ = fitted
    tracking = report.tracking
    # At the calibration end the cohort's ages are exactly T: Σ_i E[X(T_i)].
    at_calibration_end = tracking.loc[tracking["end_date"] == CALIBRATION_END].iloc[0]
    assert at_calibration_end["model_cumulative"] == pytest.approx(
        bg.expected_purchases_new(calibration["T"].to_numpy()).sum(), rel=1e-12
    )
    # At an arbitrary week: customers not yet acquired contribute nothing.
    row = tracking.iloc[9]
    first_day = pd.Timestamp(CALIBRATION_END) - pd.to_timedelta(calibration["T"] * 7, unit="D")
    age = (row["end_date"] - first_day).dt.days.to_numpy() / 7.0
    expected = bg.expected_purchases_new(np.clip(age, 0, None)).sum()
    assert row["model_cumulative"] == pytest.approx(expected, rel=1e-12)
    assert np.allclose(tracking["model_incremental"].cumsum(), tracking["model_cumulative"])


def test_tracking_table_is_the_reports_tracking(report, fitted, transactions):
    bg, _ = fitted
    table = clv.tracking_table(bg, transactions, CALIBRATION_END, OBSERVATION_END)
    pd.testing.assert_frame_equal(table, report.tracking)
    # Day-first dates: date_format reads the log and the ends given as text alike (the ends
    # were refused as ambiguous).
    day_first = transactions.assign(
        date=pd.to_datetime(transactions["date"]).dt.strftime("%d/%m/%Y")
    )
    ends = [pd.Timestamp(d).strftime("%d/%m/%Y") for d in (CALIBRATION_END, OBSERVATION_END)]
    again = clv.tracking_table(bg, day_first, *ends, date_format="%d/%m/%Y")
    pd.testing.assert_frame_equal(again, table)


def test_tracking_of_simulated_customers_follows_the_true_model():
    truth = {"r": 0.5, "alpha": 60.0, "a": 0.8, "b": 2.5}
    log = clv.simulate_transactions(
        20_000, truth, acquisition_days=180, observation_days=540, seed=7
    )
    calibration, holdout = clv.calibration_holdout_split(
        log, "2024-09-30", "2025-06-23", time_unit="D", amount_col=None
    )
    bg = clv.BetaGeoModel.from_params(truth, time_unit="D")
    report = clv.evaluate_holdout(bg, calibration, holdout, transactions=log)
    last = report.tracking.iloc[-1]
    assert last["model_cumulative"] == pytest.approx(last["actual_cumulative"], rel=0.04)
    totals = report.metrics.loc[("purchases", "model")]
    assert totals["total_predicted"] == pytest.approx(totals["total_actual"], rel=0.06)
    table = report.period_transactions
    assert table["model"].to_numpy() == pytest.approx(table["actual"].to_numpy(), rel=0.12)


# --------------------------------------------------------------------------------------------------
# Independent recomputations of the report's numbers
def test_per_customer_predictions_and_actuals(report, split, fitted, transactions):
    calibration, holdout = split
    bg, gg = fitted
    customers = report.customers
    assert customers.index.equals(calibration.index)
    actual = _holdout_days(transactions, calibration.index).to_numpy()
    np.testing.assert_array_equal(customers["actual_purchases"], actual)
    np.testing.assert_allclose(
        customers["model_purchases"], bg.expected_purchases(calibration, 39.0), rtol=1e-12
    )
    # The naive formula: every calibration purchase day (first ones too) per customer per week of
    # the calibration period (38.86 weeks from 1 January to 30 September), times 39 weeks.
    days = transactions[["customer_id", "date"]].drop_duplicates()
    calibration_days = int((days["date"] <= CALIBRATION_END).sum())
    naive = calibration_days / 2357 / (272 / 7) * 39
    np.testing.assert_allclose(customers["naive_purchases"], naive, rtol=1e-12)
    own = calibration["frequency"] / calibration["T"] * 39
    np.testing.assert_allclose(customers["own_rate_purchases"], own, rtol=1e-12)
    np.testing.assert_allclose(customers["model_spend"], gg.expected_spend(calibration))
    np.testing.assert_allclose(
        customers["model_value"], customers["model_purchases"] * customers["model_spend"]
    )
    numeric = customers.select_dtypes("number").to_numpy()
    assert np.isfinite(numeric).all()


def test_holdout_revenue_equals_the_amounts_in_the_log(report, transactions):
    holdout = transactions[
        (transactions["date"] > CALIBRATION_END) & (transactions["date"] <= OBSERVATION_END)
    ]
    assert report.customers["actual_value"].sum() == pytest.approx(holdout["amount"].sum())
    assert report.metrics.loc[("value", "model"), "total_actual"] == pytest.approx(
        holdout["amount"].sum()
    )


def test_purchase_metrics_recomputed_with_numpy(report):
    customers = report.customers
    actual = customers["actual_purchases"].to_numpy()
    for predictor in ("model", "naive", "own_rate"):
        predicted = customers[f"{predictor}_purchases"].to_numpy()
        row = report.metrics.loc[("purchases", predictor)]
        assert row["mae"] == pytest.approx(np.abs(predicted - actual).mean())
        assert row["rmse"] == pytest.approx(np.sqrt(((predicted - actual) ** 2).mean()))
        assert row["bias"] == pytest.approx((predicted - actual).mean())
        assert row["total_error_pct"] == pytest.approx(
            100 * (predicted.sum() - actual.sum()) / actual.sum()
        )
    model = customers["model_purchases"]
    assert report.metrics.loc[("purchases", "model"), "pearson"] == pytest.approx(
        pearsonr(model, actual)[0]
    )
    assert report.metrics.loc[("purchases", "model"), "spearman"] == pytest.approx(
        spearmanr(model, actual)[0]
    )
    # The naive formula is one number for everybody: no correlation, and it overstates the holdout
    # by far on CDNOW, while the model is much closer.
    assert np.isnan(report.metrics.loc[("purchases", "naive"), "pearson"])
    errors = report.metrics.xs("purchases")["mae"]
    assert errors["model"] < errors["own_rate"] < errors["naive"]
    pct = report.metrics.xs("purchases")["total_error_pct"]
    assert abs(pct["model"]) < 15 < 100 < pct["naive"]


def test_spend_metrics_use_holdout_buyers_only(report, transactions):
    customers = report.customers
    buyers = customers[customers["bought"]]
    row = report.metrics.loc[("spend", "model")]
    assert row["mae"] == pytest.approx(
        (buyers["model_spend"] - buyers["actual_spend"]).abs().mean()
    )
    assert set(buyers.index) == set(_holdout_days(transactions).index)


def test_churn_scores_recomputed_independently(report, split, fitted):
    calibration, holdout = split
    bg, _ = fitted
    bought = holdout["frequency_holdout"].to_numpy() > 0
    alive = bg.probability_alive(calibration).to_numpy()
    purchase = 1 - bg.probability_no_purchase(calibration, 39.0).to_numpy()

    def auc(score):
        u = mannwhitneyu(score[bought], score[~bought]).statistic
        return u / (bought.sum() * (~bought).sum())

    scores = report.churn_scores
    assert scores.loc["probability_alive", "roc_auc"] == pytest.approx(auc(alive))
    assert scores.loc["probability_purchase", "roc_auc"] == pytest.approx(auc(purchase))
    assert scores.loc["probability_alive", "brier"] == pytest.approx(((alive - bought) ** 2).mean())
    assert scores.loc["probability_purchase", "brier"] == pytest.approx(
        ((purchase - bought) ** 2).mean()
    )
    # P(alive) = 1 for the 1,411 customers without a repeat purchase, most of whom do not buy again:
    # as a score for "buys in the holdout" it ranks worse than chance (about 0.32 on CDNOW).
    assert scores.loc["probability_alive", "roc_auc"] == pytest.approx(0.32, abs=0.01)
    assert scores.loc["probability_purchase", "roc_auc"] > 0.7
    share = bought.mean()
    assert scores.loc["base_rate", "brier"] == pytest.approx(share * (1 - share))
    assert scores.loc["probability_purchase", "brier"] < scores.loc["base_rate", "brier"]
    table = report.reliability_purchase
    assert table["customers"].sum() == 2357
    assert table["observed_rate"].to_numpy() @ table["customers"].to_numpy() == bought.sum()


def test_period_transactions_are_exact_expectations(report, split, fitted):
    calibration, _ = split
    bg, _ = fitted
    ages = calibration["T"].to_numpy()
    expected = np.array([bg.probability_of_purchases(n, ages).sum() for n in range(7)])
    table = report.period_transactions
    np.testing.assert_allclose(table["model"].to_numpy()[:7], expected, rtol=1e-10)
    assert table["model"].sum() == pytest.approx(2357)
    observed = calibration["frequency"].clip(upper=7).value_counts().sort_index().to_numpy()
    np.testing.assert_array_equal(table["actual"].to_numpy(), observed)


def test_predicted_vs_actual_bins_cover_everybody(report):
    table = report.predicted_vs_actual
    customers = report.customers
    assert table["customers"].sum() == len(customers)
    weighted = table["mean_actual"].to_numpy() @ table["customers"].to_numpy()
    assert weighted == pytest.approx(customers["actual_purchases"].sum())
    assert table["mean_predicted"].is_monotonic_increasing


def test_accepts_a_lifetimes_style_frame_built_independently(fitted, report, transactions):
    # lifetimes' calibration_and_holdout_data fails under pandas 3, so build its layout (one frame
    # with frequency_cal, ..., frequency_holdout, duration_holdout) from lifetimes' RFM summary of
    # the calibration period and a pandas count of holdout purchase days.
    from lifetimes.utils import summary_data_from_transaction_data

    calibration = summary_data_from_transaction_data(
        transactions[transactions["date"] <= CALIBRATION_END],
        "customer_id",
        "date",
        observation_period_end=CALIBRATION_END,
        freq="D",
        freq_multiplier=7,
    ).add_suffix("_cal")
    frame = calibration.assign(
        frequency_holdout=_holdout_days(transactions, calibration.index).to_numpy(),
        duration_holdout=39.0,
    )
    bg, _ = fitted
    other = clv.evaluate_holdout(bg, frame, frame)
    pd.testing.assert_frame_equal(
        other.conditional_expectation, report.conditional_expectation, rtol=1e-9
    )


def test_days_and_weeks_give_the_same_evaluation(transactions, report):
    calibration, holdout = clv.calibration_holdout_split(
        transactions, CALIBRATION_END, OBSERVATION_END, time_unit="D"
    )
    bg = clv.BetaGeoModel().fit(calibration)
    daily = clv.evaluate_holdout(bg, calibration, holdout, transactions=transactions)
    np.testing.assert_allclose(
        daily.conditional_expectation["model"], report.conditional_expectation["model"], rtol=1e-3
    )
    np.testing.assert_allclose(
        daily.tracking["model_cumulative"], report.tracking["model_cumulative"], rtol=1e-3
    )
    assert daily.tracking["actual_cumulative"].tolist() == (
        report.tracking["actual_cumulative"].tolist()
    )


# --------------------------------------------------------------------------------------------------
# Rendering
def test_text_report_shows_every_section(report):
    text = str(report)
    for piece in (
        "2,357 customers",
        "to 1997-09-30",
        "to 1998-06-30",
        "New customers",
        "naive formula",
        "own past rate",
        "Mean holdout purchases by number of calibration repeat purchases",
        "Cumulative repeat transactions",
        "4339",
        "ROC AUC",
        "P(alive)",
        "Reliability",
        "period transactions",
        "Holdout revenue",
    ):
        assert piece in text, piece
    assert "nan" not in text.lower().replace("n/a", "")


def test_to_dict_is_strict_json(report):
    document = report.to_dict(customers=True)
    text = json.dumps(document, allow_nan=False)
    back = json.loads(text)
    assert back["summary"]["calibration_end"] == CALIBRATION_END
    assert back["metrics"]["purchases"]["naive"]["pearson"] is None
    assert [row["actual"] for row in back["conditional_expectation"]] == pytest.approx(
        report.conditional_expectation["actual"].tolist()
    )
    assert back["tracking"][-1]["actual_cumulative"] == 4339
    assert len(back["customers"]) == 2357
    assert "customers" not in report.to_dict()


def test_report_without_transactions_has_no_tracking(split, fitted):
    calibration, holdout = split
    bg, _ = fitted
    report = clv.evaluate_holdout(bg, calibration, holdout)
    assert report.tracking is None
    assert report.to_dict()["tracking"] is None
    assert "pass transactions=" in str(report)
    assert "spend" not in report.metrics.index.get_level_values("target")


# --------------------------------------------------------------------------------------------------
# Bad input
def test_different_time_units_are_refused(transactions, split, fitted):
    calibration, _ = split
    _, daily_holdout = clv.calibration_holdout_split(
        transactions, CALIBRATION_END, OBSERVATION_END, time_unit="D"
    )
    bg, _ = fitted
    with pytest.raises(clv.InputError, match="time units differ"):
        clv.evaluate_holdout(bg, calibration, daily_holdout)
    daily_model = clv.BetaGeoModel.from_params(PUBLISHED, time_unit="D")
    with pytest.raises(clv.InputError, match="the model is in 'D'"):
        clv.evaluate_holdout(daily_model, *split)


def test_holdout_duration_in_the_wrong_unit_is_caught_with_transactions(transactions):
    calibration, holdout = clv.calibration_holdout_split(
        transactions, CALIBRATION_END, OBSERVATION_END, time_unit="D"
    )
    bg = clv.BetaGeoModel.from_params(PUBLISHED, time_unit="D")
    weeks = holdout.assign(duration_holdout=39.0)  # weeks, in a table of days
    with pytest.raises(clv.InputError, match="frequency_holdout of .* differs"):
        clv.evaluate_holdout(bg, calibration, weeks, transactions=transactions)


def test_holdout_ending_long_after_the_last_transaction_warns(split, fitted, transactions):
    calibration, holdout = split
    bg, _ = fitted
    days = holdout.assign(duration_holdout=273.0)  # days, in a table of weeks
    with pytest.warns(clv.StatisticalWarning, match="no transaction in the last"):
        clv.evaluate_holdout(bg, calibration, days, transactions=transactions)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h: h.iloc[:0], "holdout table is empty"),
        (lambda h: h.assign(duration_holdout=0.0), "holdout period is empty"),
        (lambda h: h.assign(frequency_holdout=0), "nobody in the calibration cohort bought"),
        (lambda h: h.drop(columns="duration_holdout"), "no column 'duration_holdout'"),
        (lambda h: h.iloc[1:], "different customers: 1 only in calibration"),
        (lambda h: h.assign(frequency_holdout=0.5), "fractional"),
        (
            lambda h: h.assign(duration_holdout=np.linspace(30, 39, len(h))),
            "differs between customers",
        ),
        (lambda h: pd.concat([h, h.iloc[:1]]), "more than once"),
    ],
)
def test_bad_holdout_tables(split, fitted, change, message):
    calibration, holdout = split
    bg, _ = fitted
    with pytest.raises(clv.InputError, match=message):
        clv.evaluate_holdout(bg, calibration, change(holdout))


def test_customers_only_in_the_holdout_table_are_named(split, fitted):
    calibration, holdout = split
    bg, _ = fitted
    extra = pd.DataFrame(
        {"frequency_holdout": [1], "monetary_value_holdout": [5.0], "duration_holdout": [39.0]},
        index=["X1"],
    )
    with pytest.raises(clv.InputError, match=r"1 only in the holdout \(X1\)"):
        clv.evaluate_holdout(bg, calibration, pd.concat([holdout, extra]))


def test_holdout_rows_in_another_order_are_aligned(split, fitted, report):
    calibration, holdout = split
    bg, gg = fitted
    shuffled = holdout.sample(frac=1.0, random_state=1)
    other = clv.evaluate_holdout(bg, calibration, shuffled, gg)
    pd.testing.assert_frame_equal(other.metrics, report.metrics)


def test_new_customers_are_counted_and_reported(transactions, fitted):
    newcomers = pd.DataFrame(
        {
            "customer_id": ["N1", "N1", "N2", "N3"],
            "date": pd.to_datetime(["1997-11-02", "1998-01-05", "1998-03-01", "1998-08-01"]),
            "quantity": 1,
            "amount": [10.0, 12.0, 20.0, 5.0],
        }
    )
    log = pd.concat([transactions, newcomers], ignore_index=True)
    calibration, holdout = clv.calibration_holdout_split(log, CALIBRATION_END, OBSERVATION_END)
    assert len(calibration) == 2357
    bg, gg = fitted
    # N3's first purchase is after the observation end: not a holdout customer at all.
    from_attrs = clv.evaluate_holdout(bg, calibration, holdout, gg)
    assert from_attrs.summary["n_new_customers"] == 2
    assert from_attrs.summary["new_customers"] == ["N1", "N2"]
    from_log = clv.evaluate_holdout(bg, calibration, holdout, gg, transactions=log)
    assert from_log.summary["new_customers"] == ["N1", "N2"]
    assert from_log.summary["new_customer_purchases"] == 3
    assert "first purchase in the holdout; not in the cohort): 2 (N1, N2), 3 purchase days" in str(
        from_log
    )
    assert from_log.to_dict()["summary"]["n_new_customers"] == 2
    # The cohort's numbers are those without the newcomers.
    assert from_log.tracking["actual_cumulative"].iloc[-1] == PUBLISHED_WEEK78_ACTUAL


def test_transactions_that_do_not_match_the_tables_are_refused(transactions, split, fitted):
    calibration, holdout = split
    bg, _ = fitted
    earlier = pd.DataFrame(
        {
            "customer_id": ["00004"],
            "date": [pd.Timestamp("1996-12-25")],
            "quantity": 1,
            "amount": 10.0,
        }
    )
    extra = pd.concat([transactions, earlier], ignore_index=True)
    with pytest.raises(clv.InputError, match=r"T of 1 customer\(s\) \(00004\) does not match"):
        clv.evaluate_holdout(bg, calibration, holdout, transactions=extra)
    # Shifting every date by a day is consistent: the calibration end moves with it.
    shifted = transactions.assign(date=transactions["date"] + pd.Timedelta(days=1))
    moved = clv.evaluate_holdout(bg, calibration, holdout, transactions=shifted)
    assert moved.summary["calibration_end"] == pd.Timestamp("1997-10-01")
    fewer = transactions[transactions["customer_id"] != "00004"]
    with pytest.raises(clv.InputError, match="have no transactions"):
        clv.evaluate_holdout(bg, calibration, holdout, transactions=fewer)


def test_spend_needs_amounts(transactions, fitted):
    calibration, holdout = clv.calibration_holdout_split(
        transactions, CALIBRATION_END, OBSERVATION_END, amount_col=None
    )
    bg, gg = fitted
    with pytest.raises(clv.InputError, match="spend needs amounts"):
        clv.evaluate_holdout(bg, calibration, holdout, gg)


def test_unfitted_model_says_call_fit_first(split):
    with pytest.raises(clv.NotFittedError, match="call fit"):
        clv.evaluate_holdout(clv.BetaGeoModel(), *split)


def test_calibration_end_outside_the_data(transactions, published):
    with pytest.raises(clv.InputError, match="calibration_end"):
        clv.tracking_table(published, transactions, "1996-12-01")
    with pytest.raises(clv.InputError, match="calibration_end"):
        clv.tracking_table(published, transactions, "1998-07-15", OBSERVATION_END)
    with pytest.raises(clv.InputError, match="calibration_end"):
        clv.calibration_holdout_split(transactions, "1999-01-01")


def test_tracking_period_must_be_whole_days(transactions, published):
    with pytest.raises(clv.InputError, match="whole number"):
        clv.tracking_table(published, transactions, CALIBRATION_END, period=0.5)
    monthly = clv.tracking_table(
        published, transactions, CALIBRATION_END, OBSERVATION_END, period=4
    )
    assert monthly["actual_incremental"].sum() == PUBLISHED_WEEK78_ACTUAL
    assert monthly["end_date"].iloc[-1] == pd.Timestamp(OBSERVATION_END)
    assert (monthly["end_date"] == pd.Timestamp(CALIBRATION_END)).any()


def test_wrong_argument_types_are_named(split, fitted):
    calibration, holdout = split
    bg, _ = fitted
    with pytest.raises(clv.InputError, match="bg must be a fitted purchase model"):
        clv.evaluate_holdout(None, calibration, holdout)
    with pytest.raises(clv.InputError, match="holdout must be a DataFrame"):
        clv.evaluate_holdout(bg, calibration, holdout.to_numpy())
    with pytest.raises(clv.InputError, match="calibration must be a DataFrame"):
        clv.evaluate_holdout(bg, calibration.to_dict(), holdout)


def test_evaluate_holdout_reads_dates_in_a_given_format():
    # Day-first dates, read with date_format= by the split and by the holdout check alike.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        log = clv.datasets.load_cdnow_sample()
        log["date"] = log["date"].dt.strftime("%d/%m/%Y")
        cal, hold = clv.calibration_holdout_split(
            log,
            calibration_end="1997-09-30",
            observation_end="1998-06-30",
            date_format="%d/%m/%Y",
        )
        bg = clv.BetaGeoModel().fit(cal)
        report = clv.evaluate_holdout(bg, cal, hold, transactions=log, date_format="%d/%m/%Y")
    # Fader, Hardie and Lee (2005): 4,339 cumulative repeat transactions by week 78.
    assert int(report.tracking["actual_cumulative"].iloc[-1]) == 4339


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"gg": "pnbd"}, "gg must be a fitted spend model"),
        ({"bins": "10"}, "bins must be a whole number ≥ 1, got '10'"),
        ({"bins": 2.5}, "bins must be a whole number ≥ 1, got 2.5"),
        ({"bins": 0}, "bins must be a whole number ≥ 1, got 0"),
    ],
)
def test_spend_model_and_bins_are_checked(options, message, cdnow_split, cdnow_split_bg):
    """A purchase model as gg raised AttributeError, bins="10" a TypeError, and bins=2.5 was
    taken."""
    calibration, holdout = cdnow_split
    if options.get("gg") == "pnbd":
        options = {"gg": clv.ParetoNBDModel.from_params(
            {"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7}, time_unit="W")}  # fmt: skip
    with pytest.raises(clv.InputError, match=message):
        clv.evaluate_holdout(cdnow_split_bg, calibration, holdout, **options)
