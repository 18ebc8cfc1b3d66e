"""Intervals of predictions (clvmodel.models._intervals) and their measured coverage
(clvmodel.coverage): first steps of per-customer uncertainty."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvmodel as clv
from clvmodel.models import PURCHASE_MODELS

BG_DAYS = {"r": 0.25, "alpha": 30.0, "a": 0.8, "b": 2.5}


@pytest.fixture(scope="module")
def split(cdnow_split):
    return cdnow_split  # tests/conftest.py: the sample split at 1997-09-30 / 1998-06-30, weeks


@pytest.fixture(scope="module")
def fitted(split):
    return {name: cls().fit(split[0]) for name, cls in PURCHASE_MODELS.items()}


@pytest.fixture(scope="module")
def cdnow_comparison(fitted, split):
    """The coverage of the 90 % intervals of the three models on CDNOW, by frequency group."""
    return clv.coverage_comparison(
        {"BG/NBD": fitted["bgnbd"], "MBG/NBD": fitted["mbgnbd"], "Pareto/NBD": fitted["pnbd"]},
        *split,
        interval=0.9,
    )


@pytest.mark.parametrize("name", sorted(PURCHASE_MODELS))
def test_intervals_bracket_the_estimates_and_carry_their_mass(name, fitted, split):
    table = fitted[name].predict(split[0].iloc[::10], 39, interval=0.9)
    for column in ("probability_alive", "probability_no_purchase", "expected_purchases"):
        assert (table[f"{column}_lower"] <= table[column] + 1e-12).all()
        assert (table[column] <= table[f"{column}_upper"] + 1e-12).all()
        assert (table[f"{column}_upper"] - table[f"{column}_lower"] > 0).any()
    assert (table["purchases_lower"] <= table["purchases_upper"]).all()
    assert (table["purchases_interval_mass"] >= 0.9 - 1e-9).all()
    assert (table["purchases_interval_mass"] <= 1.0).all()


@pytest.mark.parametrize("name", sorted(PURCHASE_MODELS))
def test_an_expectation_of_zero_has_the_interval_zero(name, fitted, split):
    # At a horizon of 0 every customer expects 0 purchases: the interval is [0, 0], not the log
    # scale's floor [1e-300, 1e-300], which did not contain the estimate.
    table = fitted[name].predict(split[0].iloc[::50], 0.0, ("expected_purchases",), interval=0.9)
    assert (table["expected_purchases"] == 0.0).all()
    assert (table["expected_purchases_lower"] == 0.0).all()
    assert (table["expected_purchases_upper"] == 0.0).all()


def test_delta_method_and_parameter_draws_agree(fitted, split):
    model = fitted["bgnbd"]
    sample = split[0].iloc[::25]
    delta = model.predict(sample, 39, which=("expected_purchases",), interval=0.9)
    draws = model.predict(
        sample, 39, which=("expected_purchases",), interval=0.9, method="draws", n_draws=400
    )
    width = draws["expected_purchases_upper"] - draws["expected_purchases_lower"]
    for side in ("lower", "upper"):
        difference = (
            delta[f"expected_purchases_{side}"] - draws[f"expected_purchases_{side}"]
        ).abs()
        assert (difference <= 0.15 * width + 1e-9).all()


def test_intervals_shrink_as_customers_grow():
    widths = []
    for n in (2_000, 32_000):
        rfm = clv.simulate_customers(n, BG_DAYS, T=365.0, seed=n)
        model = clv.BetaGeoModel().fit(rfm)
        one = pd.DataFrame({"frequency": [3], "recency": [200.0], "T": [365.0]})
        row = model.predict(one, 180.0, which=("expected_purchases",), interval=0.9).iloc[0]
        widths.append(row["expected_purchases_upper"] - row["expected_purchases_lower"])
    # The asymptotic width shrinks like 1/√n: a factor 4 for 16 times the customers.
    assert widths[1] == pytest.approx(widths[0] / 4.0, rel=0.35)


def test_simulated_coverage_matches_the_predicted_mass():
    # Customers drawn from known BG/NBD parameters; their next 180 days drawn from the same story.
    log = clv.simulate_transactions(
        6_000, BG_DAYS, acquisition_days=90, observation_days=455, seed=11
    )
    cal, hold = clv.calibration_holdout_split(
        log,
        calibration_end="2024-09-30",
        observation_end="2025-03-31",
        time_unit="D",
        amount_col=None,
    )
    model = clv.BetaGeoModel().fit(cal)
    table = clv.interval_coverage(model, cal, hold, interval=0.9)
    overall = table.loc["all"]
    standard_error = np.sqrt(0.9 * 0.1 / overall["customers"])
    assert abs(overall["difference"]) < 4 * standard_error + 0.005
    assert overall["pit_chi2_pvalue"] > 1e-4
    # When the model is right, every group is within a few of its own standard errors, and the
    # misses above U are as frequent as the model says.
    assert (table["difference"].abs() < 4 * table["standard_error"] + 0.005).all()
    assert (table["observed_above"] - table["predicted_above"]).abs().max() < 0.02
    np.testing.assert_allclose(
        table["observed_coverage"] + table["observed_above"] + table["observed_below"], 1.0
    )


def test_cdnow_coverage_is_within_three_points_overall(fitted, split):
    # Pareto/NBD on CDNOW: observed coverage of the 90 % holdout intervals vs the model's own mass
    # (issue 15's bar: within 3 points in every frequency group). BG/NBD misses it in the 4+ group
    # (−3.7 points), which is why this checks the best model of the comparison.
    table = clv.interval_coverage(fitted["pnbd"], *split, interval=0.9)
    assert list(table.index) == ["all", "0", "1", "2–3", "4+"]
    assert (table["difference"].abs() <= 0.03).all()
    assert (table["observed_coverage"] >= 0.9 - 0.03).all()


def test_cdnow_heavy_buyers_show_the_misfit_of_dropout_at_purchases(cdnow_comparison):
    # Why BG/NBD and MBG/NBD miss the 4+ group on CDNOW: not the interval machinery (parameter
    # uncertainty is in the mixture, and the same code holds the mass for Pareto/NBD and on
    # simulated data) but the models' prediction for heavy buyers. Every miss is above the upper
    # limit, twice as often as the model says, and the group's mean holdout purchases are
    # under-predicted (DESIGN.md: actual 2.53 vs BG/NBD 2.16 at x = 4, 3.86 vs 3.50 at x = 6).
    table = cdnow_comparison
    for label in ("BG/NBD", "MBG/NBD"):
        heavy = table.loc[(label, "4+")]
        assert not heavy["meets_target"]
        assert heavy["difference"] < -2 * heavy["standard_error"]
        assert heavy["observed_below"] == 0.0
        assert heavy["observed_above"] > 1.8 * heavy["predicted_above"]
        assert heavy["actual_mean"] > 1.05 * heavy["expected_mean"]
    pareto = table.loc["Pareto/NBD"]
    assert pareto["meets_target"].all()
    assert pareto.loc["4+", "actual_mean"] == pytest.approx(pareto.loc["4+", "expected_mean"], 0.03)


def _coverage_tables(text: str) -> list[dict]:
    """The Markdown tables of ``text`` whose header names Pareto/NBD: per model (the header cell
    up to its first comma), per group, the (observed share, model's probability) pair."""
    tables, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        if not (line.startswith("| ") and "Pareto/NBD" in line):
            continue
        header = [cell.strip().split(",")[0] for cell in line.strip("|").split("|")]
        table = {label: {} for label in header[2:]}
        for row in lines[i + 2 :]:
            if not row.startswith("|"):
                break
            cells = [cell.strip() for cell in row.strip("|").split("|")]
            for label, cell in zip(header[2:], cells[2:], strict=True):
                observed, predicted = (float(v.strip("* ")) for v in cell.split("/"))
                table[label][cells[0]] = observed, predicted
        tables.append(table)
    return tables


def test_the_coverage_tables_of_readme_and_guide_are_what_the_code_gives(cdnow_comparison):
    # README.md ("How sure are we?") and docs/guide/intervals.md print the CDNOW coverage of
    # the 90 % intervals; both must be what coverage_comparison gives, to the digits shown.
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    table = cdnow_comparison
    found = []
    for page in ("README.md", "docs/guide/intervals.md"):
        tables = _coverage_tables((root / page).read_text(encoding="utf-8"))
        assert len(tables) == 1, f"{page}: expected one coverage table"
        found.append(tables[0])
    assert {"BG/NBD", "Pareto/NBD"} <= set(found[0]) and len(found[1]) == 3
    for printed in found:
        for label, groups in printed.items():
            assert list(groups) == ["all", "0", "1", "2–3", "4+"]
            for group, (observed, predicted) in groups.items():
                row = table.loc[(label, group)]
                assert observed == round(row["observed_coverage"], 3), (label, group)
                assert predicted == round(row["predicted_mass"], 3), (label, group)
    # The README's reading of the 4+ group: 4.08 purchases actual, 3.79 predicted by BG/NBD.
    heavy = table.loc[("BG/NBD", "4+")]
    assert (round(heavy["actual_mean"], 2), round(heavy["expected_mean"], 2)) == (4.08, 3.79)


def test_models_without_covariance_are_refused(split):
    model = clv.BetaGeoModel.from_params(
        {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43}, time_unit="W"
    )
    with pytest.raises(clv.InputError, match="no parameter covariance"):
        model.predict(split[0], 39, interval=0.9)
    with pytest.raises(clv.InputError, match="strictly between 0 and 1"):
        model.predict(split[0], 39, interval=90)


def test_clv_and_scores_carry_intervals(fitted, split, cdnow_split_gg):
    from clvmodel.scoring import INTERVAL_COLUMNS, SCORE_COLUMNS, score_customers

    cal = split[0]
    # The module's Pareto/NBD fit; tests/conftest.py: Gamma-Gamma fitted on the calibration table.
    bg, gg = fitted["pnbd"], cdnow_split_gg
    value = clv.customer_lifetime_value(bg, gg, cal, horizon="12M", interval=0.9)
    assert list(value.columns) == ["predicted_clv", "clv_lower", "clv_upper"]
    assert (value["clv_lower"] <= value["predicted_clv"]).all()
    assert (value["predicted_clv"] <= value["clv_upper"]).all()
    draws = clv.customer_lifetime_value(
        bg, gg, cal, horizon="12M", interval=0.9, method="draws", n_draws=300
    )
    width = value["clv_upper"] - value["clv_lower"]
    assert ((draws["clv_upper"] - value["clv_upper"]).abs() <= 0.2 * width + 1e-9).mean() > 0.95
    scores = score_customers(bg, gg, cal, horizon="12M", interval=0.9)
    assert list(scores.columns) == [*SCORE_COLUMNS, *INTERVAL_COLUMNS]
    np.testing.assert_allclose(scores["clv_lower"], value["clv_lower"], rtol=1e-10)
    assert (scores["churn_risk_lower"] <= scores["churn_risk"] + 1e-12).all()


def test_cli_score_adds_the_interval_columns(tmp_path):
    from cli_run import run_cli

    from clvmodel.scoring import INTERVAL_COLUMNS, SCORE_COLUMNS

    log = tmp_path / "log.csv"
    clv.datasets.load_cdnow_sample().to_csv(log, index=False)
    fitted = run_cli("fit", log, "-o", tmp_path / "m.json")
    assert fitted.exit_code == 0, fitted.output
    # The model file keeps the covariance the intervals need.
    assert clv.load_models(tmp_path / "m.json").bg.covariance_.shape == (4, 4)
    out = tmp_path / "scores.parquet"
    result = run_cli("score", tmp_path / "m.json", log, "-o", out, "--interval", "0.9")
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out)
    assert list(table.columns) == ["customer_id", *SCORE_COLUMNS, *INTERVAL_COLUMNS]
    assert (table["purchases_interval_mass"] >= 0.9).all()
    refused = run_cli("score", tmp_path / "m.json", log, "-o", out, "--interval", "90")
    assert refused.exit_code != 0 and "--interval 0.9" in refused.output


def test_holdout_report_measures_coverage_and_the_figures_draw_it(fitted, split, cdnow_split_gg):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from clvmodel.plotting import plot_coverage, plot_value_intervals

    model = fitted["bgnbd"]
    report = clv.evaluate_holdout(model, *split, interval=0.9)
    assert report.coverage is not None and report.coverage.attrs["interval"] == 0.9
    assert "Coverage of the 90 % prediction intervals" in str(report)
    # The report reads its table: BG/NBD misses the bar in the 4+ group only (see above).
    lines = [line for line in str(report).splitlines() if line.startswith("Group ")]
    assert len(lines) == 1 and lines[0].startswith("Group 4+ (193 customers): 0.922 inside")
    pareto = str(clv.evaluate_holdout(fitted["pnbd"], *split, interval=0.9))
    assert "Every group's observed coverage is within 3 points" in pareto
    assert report.to_dict()["coverage"][0]["group"] == "all"
    axes = Figure().subplots(1, 2)
    drawn = plot_coverage(report, ax=axes[0])
    heights = [bar.get_height() for bar in drawn.containers[0]]
    np.testing.assert_allclose(heights, report.coverage["observed_coverage"])
    assert len(drawn.containers) == 3  # observed, predicted, predicted ± 2 standard errors
    scores = clv.churn_risk(model, split[0], 39, cdnow_split_gg, interval=0.9)
    drawn = plot_value_intervals(scores, naive_clv=98.0, customers=10, ax=axes[1])
    assert len(drawn.containers[0].lines[0].get_xdata()) == 10
    with pytest.raises(clv.InputError, match="interval=0.9"):
        plot_value_intervals(scores.drop(columns="clv_lower"))


def test_cli_evaluate_measures_coverage(tmp_path):
    from cli_run import run_cli

    log = tmp_path / "log.csv"
    clv.datasets.load_cdnow_sample().to_csv(log, index=False)
    out = tmp_path / "eval"
    arguments = ["evaluate", log, "--calibration-end", "1997-09-30", "-o", out]
    result = run_cli(*arguments, "--interval", "0.9")
    assert result.exit_code == 0, result.output
    assert "Coverage of the 90 % prediction intervals" in result.output
    assert (out / "holdout_coverage.png").stat().st_size > 5_000
    refused = run_cli(*arguments, "--interval", "1.5")
    assert refused.exit_code != 0 and "--interval 0.9" in refused.output


def test_bootstrap_and_asymptotic_intervals_agree_on_large_simulated_data():
    ages = np.random.default_rng(0).uniform(30, 730, 20_000).round()
    rfm = clv.simulate_customers(20_000, BG_DAYS, T=ages, seed=3)
    model = clv.BetaGeoModel().fit(rfm).bootstrap(rfm, n_draws=80, seed=1)
    assert len(model.bootstrap_params_) >= 76  # nearly every refit converges
    np.testing.assert_allclose(model.bootstrap_params_.std(), model.standard_errors_, rtol=0.3)
    sample = rfm.iloc[:200]
    which = ("expected_purchases",)
    delta = model.predict(sample, 180.0, which=which, interval=0.9)
    boot = model.predict(sample, 180.0, which=which, interval=0.9, method="bootstrap")
    width = delta["expected_purchases_upper"] - delta["expected_purchases_lower"]
    for side in ("lower", "upper"):
        gap = (delta[f"expected_purchases_{side}"] - boot[f"expected_purchases_{side}"]).abs()
        assert (gap <= 0.35 * width + 1e-12).mean() > 0.95


def test_confidence_intervals_cover_the_true_expectation_in_repeated_samples():
    # 40 data sets drawn from known parameters: the 90 % interval of E[Y(180) | history] for one
    # history should hold the value at the true parameters in about 90 % of them (binomial s.e.
    # 4.7 points; the bound below is 3.5 s.e. under 90 %).
    history = pd.DataFrame({"frequency": [2], "recency": [200.0], "T": [365.0]})
    truth = clv.BetaGeoModel.from_params(BG_DAYS).expected_purchases(history, 180.0).iloc[0]
    covered = 0
    for seed in range(40):
        rfm = clv.simulate_customers(3_000, BG_DAYS, T=365.0, seed=100 + seed)
        row = (
            clv.BetaGeoModel()
            .fit(rfm)
            .predict(history, 180.0, which=("expected_purchases",), interval=0.9)
            .iloc[0]
        )
        covered += row["expected_purchases_lower"] <= truth <= row["expected_purchases_upper"]
    assert 0.73 <= covered / 40 <= 1.0


def test_bootstrap_needs_its_replicates_first(fitted, split):
    with pytest.raises(clv.InputError, match="bootstrap"):
        fitted["bgnbd"].predict(split[0], 39, interval=0.9, method="bootstrap")


def test_price_plan_stages_carry_the_range_of_parameter_uncertainty(fitted, split, cdnow_split_gg):
    cal = split[0]
    gg = cdnow_split_gg  # tests/conftest.py: Gamma-Gamma fitted on the calibration table
    scores = clv.churn_risk(fitted["bgnbd"], cal, 39, gg, interval=0.9)
    plan = clv.price_increase_plan(scores, increases=(0.05, 0.025, 0.0))
    stages = plan.stages
    for name in ("mean_churn_risk", "total_predicted_clv", "extra_revenue"):
        assert (stages[f"{name}_lower"] <= stages[name] + 1e-9).all()
        assert (stages[name] <= stages[f"{name}_upper"] + 1e-9).all()
    by_tier = scores.groupby("tier", observed=False)["clv_upper"].sum().to_numpy()
    np.testing.assert_allclose(stages["total_predicted_clv_upper"], by_tier)
    np.testing.assert_allclose(
        stages["extra_revenue_lower"], stages["increase"] * stages["total_predicted_clv_lower"]
    )
    # Without interval columns the plan is as before.
    plain = clv.price_increase_plan(
        scores.drop(columns=[c for c in scores if "_lower" in c or "_upper" in c])
    )
    assert "total_predicted_clv_lower" not in plain.stages.columns


@pytest.mark.parametrize("name", sorted(PURCHASE_MODELS))
def test_a_probability_far_below_1e_15_keeps_its_interval_around_it(name, fitted):
    # Twenty purchases in the first week and 299 silent weeks: P(alive) is about 1e-35. The
    # delta method's logit used to be floored at 1e-15, which made the interval
    # [1e-15, 1e-15], above the estimate.
    gone = pd.DataFrame({"frequency": [20.0, 16.0], "recency": [1.0, 1.0], "T": [300.0, 100.0]})
    table = fitted[name].predict(gone, 39, ("probability_alive",), interval=0.9)
    estimate = table["probability_alive"]
    assert (estimate > 0).all() and (estimate < 1e-15).all()
    assert (table["probability_alive_lower"] <= estimate).all()
    assert (estimate <= table["probability_alive_upper"]).all()
    assert (table["probability_alive_upper"] < 1e-12).all()
    assert (table["probability_alive_lower"] > 0).all()


def test_a_covariance_that_cannot_be_propagated_is_refused(fitted, split):
    # A fit that stopped at a saddle (a negative eigenvalue) or with standard errors of
    # thousands on the log scale (parameters the data cannot tell apart, as in a BG/BB fit on
    # two opportunities) gives no interval: refused in words, not exp() overflows.
    import copy

    rows = split[0].iloc[:5]
    saddle = copy.deepcopy(fitted["bgnbd"])
    matrix = saddle.covariance_.to_numpy().copy()
    matrix[0, 0] = -abs(matrix[0, 0]) - 1.0
    saddle.covariance_ = pd.DataFrame(matrix, saddle.covariance_.index, saddle.covariance_.columns)
    with pytest.raises(clv.InputError, match="not positive definite"):
        saddle.predict(rows, 39, interval=0.9)
    flat = copy.deepcopy(fitted["bgnbd"])
    huge = np.diag(np.full(4, 1e6))
    flat.covariance_ = pd.DataFrame(huge, flat.covariance_.index, flat.covariance_.columns)
    for method in ("delta", "draws"):
        with pytest.raises(clv.InputError, match="too large to propagate"):
            flat.predict(rows, 39, interval=0.9, method=method, n_draws=50)


def test_coverage_refuses_a_holdout_in_another_unit_and_models_of_one_label(fitted, split):
    # Both were accepted: a holdout in days read as weeks gave nonsense coverage, and
    # of two models labelled alike only the last was kept.
    cal, _ = split
    _, days = clv.calibration_holdout_split(
        clv.datasets.load_cdnow_sample(), "1997-09-30", "1998-06-30", time_unit="D"
    )
    with pytest.raises(clv.InputError, match="the time units differ"):
        clv.interval_coverage(fitted["bgnbd"], cal, days)
    with pytest.raises(clv.InputError, match=r"share the label\(s\) \['BG/NBD'\]"):
        clv.coverage_comparison([fitted["bgnbd"], fitted["bgnbd"]], *split)
