"""Defects found by trying messy but plausible inputs on holdout evaluation, model comparison,
coverage, churn tiers and price plans, and the ``clvmodel evaluate`` / ``clvmodel plan`` commands.

Each test failed on the code before its fix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli

import clvmodel as clv
from clvmodel.metrics import prediction_errors

LAST = "1997-09-25"  # the log below ends by this date
LATER = "1997-12-31"  # the observation end a model is fitted to
EARLY = "1997-02-15"  # an observation end before many customers' first purchase


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hunt_evaluation")
    log = clv.datasets.load_cdnow_sample()
    log = log[log["customer_id"].isin(log["customer_id"].unique()[::15])]
    log = log[log["date"] <= LAST].drop_duplicates()
    paths = {"folder": folder, "log": folder / "log.csv", "last": f"{log['date'].max():%Y-%m-%d}"}
    log.assign(date=log["date"].dt.strftime("%Y-%m-%d")).to_csv(paths["log"], index=False)
    paths["customers"] = log["customer_id"].nunique()
    paths["late_customers"] = int((log.groupby("customer_id")["date"].min() > EARLY).sum())
    for name, options in (("later", ["--observation-end", LATER]), ("default", [])):
        paths[name] = folder / f"{name}.json"
        result = run_cli("fit", paths["log"], "--model", "bgnbd", "-o", paths[name], *options)
        assert result.exit_code == 0, result.output
    return paths


def _plan(files, model, name, *options):
    output = files["folder"] / f"{name}.csv"
    result = run_cli("plan", files[model], files["log"], "-o", output, *options)
    assert result.exit_code == 0, result.output
    return result, pd.read_csv(output, dtype={"customer_id": str})


def test_plan_notes_an_observation_end_other_than_the_models(files):
    # `score` says so on stderr; `plan` measured T to the log's last date silently.
    result, _ = _plan(files, "later", "plan_later")
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1, result.stderr
    assert files["last"] in notes[0] and f"--observation-end {LATER}" in notes[0], notes
    # No note when the end is given, or the model records the same one.
    given, _ = _plan(files, "later", "plan_given", "--observation-end", LATER)
    same, _ = _plan(files, "default", "plan_same")
    for run in (given, same):
        assert "--observation-end" not in run.stderr, run.stderr


def test_plan_says_which_customers_of_the_log_it_left_out(files):
    # Customers whose first purchase is after --observation-end were dropped from the plan
    # without a word (`score` counts them as rejected).
    late = files["late_customers"]
    assert late > 0
    result, plan = _plan(files, "default", "plan_early", "--observation-end", EARLY)
    assert len(plan) == files["customers"] - late
    assert f"{late:,} more customer" in result.stdout, result.stdout
    assert "--observation-end" in result.stdout.split("more customer")[1].splitlines()[0]


@pytest.fixture(scope="module")
def split():
    tx = clv.datasets.load_cdnow_sample()
    calibration, holdout = clv.calibration_holdout_split(
        tx, "1997-09-30", "1998-06-30", drop_duplicates=True
    )
    return calibration, holdout, clv.BetaGeoModel().fit(calibration)


def test_a_segment_against_the_whole_holdout_table_is_told_how_to_align(split):
    # The message said only "make both with one calibration_holdout_split call", which the user
    # did; interval_coverage takes the whole holdout table for a segment, evaluate_holdout not.
    calibration, holdout, bg = split
    segment = calibration[calibration["frequency"] >= 3]
    with pytest.raises(clv.InputError, match=r"holdout\.loc\[calibration\.index\]"):
        clv.evaluate_holdout(bg, segment, holdout)
    report = clv.evaluate_holdout(bg, segment, holdout.loc[segment.index])
    assert report.summary["n_customers"] == len(segment)


def _tied_tables():
    """Twenty identical customers, half of whom buy once in the holdout: every model predicts
    the same p ≤ 1 for everybody, so every holdout MAE is (|p − 1| + p) / 2 = 0.5."""
    index = [f"c{i}" for i in range(20)]
    calibration = pd.DataFrame({"frequency": 1, "recency": 5.0, "T": 10.0}, index=index)
    holdout = pd.DataFrame({"frequency_holdout": [1, 0] * 10, "duration_holdout": 10.0}, index)
    calibration.attrs["time_unit"] = holdout.attrs["time_unit"] = "W"
    return calibration, holdout


def test_models_tied_on_the_holdout_error_are_ranked_by_bic_not_by_listing_order():
    # The order in which the models were listed chose among models with equal holdout errors,
    # and so the model `clvmodel evaluate --models` reports on.
    calibration, holdout = _tied_tables()
    results = [
        clv.compare_models(calibration, holdout, models=order)
        for order in (["mbgnbd", "pnbd", "bgnbd"], ["bgnbd", "pnbd", "mbgnbd"])
    ]
    for result in results:
        table = result.table
        assert (table["holdout_mae"] - 0.5).abs().max() < 1e-9
        assert table["bic"].is_monotonic_increasing, table[["model", "bic"]]
        assert table["note"].str.contains("tied with").all(), table["note"]
    assert results[0].table["model"].tolist() == results[1].table["model"].tolist()


def test_coverage_comparison_does_not_fail_groups_without_customers(split):
    # A segment without heavy buyers reported meets_target False for its empty groups, as if
    # their intervals had missed.
    calibration, holdout, bg = split
    segment = calibration[calibration["frequency"] < 2]
    table = clv.coverage_comparison([bg], segment, holdout)
    empty = table["customers"] == 0
    assert empty.sum() == 2
    assert table.loc[empty, "meets_target"].isna().all()
    assert table.loc[~empty, "meets_target"].notna().all()


PUBLISHED = {"r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262}


def test_tracking_past_the_data_warns_and_a_future_end_is_refused():
    # tracking_table tracked zero actual purchases up to any observation_end, even in 2099,
    # silently: the flat actual line read as a model that overpredicts.
    tx = clv.datasets.load_cdnow_sample()
    bg = clv.BetaGeoModel.from_params(PUBLISHED, time_unit="W")
    with pytest.warns(clv.StatisticalWarning, match=r"no transaction in the last \d+ days"):
        clv.tracking_table(bg, tx, "1997-09-30", "1999-12-31")
    with pytest.raises(clv.InputError, match="in the future"):
        clv.tracking_table(bg, tx, "1997-09-30", "2099-12-31")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", clv.StatisticalWarning)  # the data's own end: no warning
        table = clv.tracking_table(bg, tx, "1997-09-30", "1998-06-30")
    assert int(table["actual_cumulative"].iloc[-1]) == 4339


def test_a_holdout_running_on_past_the_data_is_warned_of_at_the_split():
    # evaluate_holdout warned only when given transactions=; without them (the documented
    # cal, hold route) a holdout ending 18 months after the last purchase was scored silently,
    # every model overpredicting by the empty months.
    import warnings

    tx = clv.datasets.load_cdnow_sample().drop_duplicates()
    with pytest.warns(clv.StatisticalWarning, match=r"no transaction in the last 549 days"):
        calibration, holdout = clv.calibration_holdout_split(tx, "1997-09-30", "1999-12-31")
    bg = clv.BetaGeoModel.from_params(PUBLISHED, time_unit="W")
    with warnings.catch_warnings(record=True) as caught:  # said once, not again by evaluate
        warnings.simplefilter("always")
        clv.evaluate_holdout(bg, calibration, holdout, transactions=tx)
    assert not [w for w in caught if "no transaction in the last" in str(w.message)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", clv.StatisticalWarning)  # the data's own end: no warning
        clv.calibration_holdout_split(tx, "1997-09-30", "1998-06-30")


def _everyone_buys_log(path):
    """40 customers with 2-7 purchases in 2020, every one of whom buys again on 2021-01-10: the
    purchase models end on the edge of their parameter space (no dropout), not identified."""
    rng = np.random.default_rng(1)
    rows = []
    for c in range(40):
        start = pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(rng.integers(0, 60)))
        days = sorted(rng.choice(np.arange(0, 300), int(rng.integers(2, 8)), replace=False))
        rows += [(f"C{c}", start + pd.Timedelta(days=int(d)), 10.0 + d % 7) for d in days]
        rows.append((f"C{c}", pd.Timestamp("2021-01-10"), 10.0))
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)


def test_evaluate_interval_of_a_model_without_uncertainty_keeps_the_evaluation(tmp_path):
    # --interval failed the whole command after the fits ("see model.summary"), nothing written,
    # when the chosen model's parameters were not identified.
    _everyone_buys_log(tmp_path / "log.csv")
    folder = tmp_path / "evaluation"
    result = run_cli(
        "evaluate", tmp_path / "log.csv", "--calibration-end", "2020-12-31",
        "--interval", "0.8", "-o", folder,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "--interval 0.8" in line]
    assert len(lines) == 1 and lines[0].startswith("warning: "), result.stderr
    assert "not identified" in lines[0] and "model.summary" not in result.output
    assert (folder / "holdout_report.json").exists()
    assert not (folder / "holdout_coverage.png").exists()


def test_a_model_whose_optimiser_fails_is_noted_not_a_crash_of_the_comparison():
    # BG/NBD's fit overflows (a raw OverflowError) on this table of one-day-old customers; the
    # comparison crashed with it instead of ranking the other models and noting the failure.
    calibration = pd.DataFrame(
        {
            "frequency": [0, 0, 0, 0, 1, 0, 0, 0, 1],
            "recency": [0, 0, 0, 0, 1 / 7, 0, 0, 0, 1 / 7],
            "T": [1 / 7, 1 / 7, 0, 0, 1 / 7, 1 / 7, 1 / 7, 0, 1 / 7],
        },
        index=[f"c{i}" for i in range(9)],
    )
    holdout = pd.DataFrame(
        {"frequency_holdout": [1, 0, 0, 1, 2, 0, 0, 0, 1], "duration_holdout": 1.0},
        index=calibration.index,
    )
    table = clv.compare_models(calibration, holdout).table
    failed = table[table["note"].str.startswith("fit failed")]
    assert failed["holdout_mae"].isna().all() and len(failed) < len(table)
    assert table["holdout_mae"].notna().iloc[0]  # a fitted model is ranked first


def test_correlations_of_two_pairs_are_not_reported_as_perfect():
    # A one-day holdout with two buyers printed Pearson 1.000 and Spearman 1.000 for spend: any
    # two pairs correlate perfectly.
    errors = prediction_errors([10.0, 30.0], [25.0, 26.0])
    assert np.isnan(errors["pearson"]) and np.isnan(errors["spearman"])
    assert errors["mae"] == pytest.approx(9.5)  # (15 + 4) / 2
    three = prediction_errors([10.0, 30.0, 20.0], [25.0, 26.0, 27.0])
    assert three["pearson"] == pytest.approx(0.5)
