"""``clvmodel plan`` in this process (``run_cli``); its exit status and error line once through a
real subprocess."""

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli, run_cli_process
from published import PUBLISHED_BG, PUBLISHED_GG

import clvmodel as clv

# Published BG/NBD and Gamma-Gamma estimates on the CDNOW sample (Fader, Hardie and Lee 2005).
BG = PUBLISHED_BG
GG = PUBLISHED_GG


def _run(*args):
    """``clvmodel plan ARGS`` in this process."""
    return run_cli("plan", *args)


def _process(*args):
    """``python -m clvmodel.cli plan ARGS`` in a real process."""
    return run_cli_process("plan", *args, timeout=120)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plan")
    transactions = clv.datasets.load_cdnow_sample()
    keep = transactions["customer_id"].isin(transactions["customer_id"].unique()[:300])
    log = transactions[keep]
    rfm = clv.rfm_summary(log, observation_end="1997-09-30")
    rfm.index.name = "customer_id"
    paths = {
        "bg": folder / "bg.json",
        "gg": folder / "gg.json",
        "rfm": folder / "rfm.csv",
        "log": folder / "log.csv",
        "folder": folder,
    }
    clv.BetaGeoModel.from_params(BG, time_unit="W").save(paths["bg"])
    clv.GammaGammaModel.from_params(GG).save(paths["gg"])
    rfm.to_csv(paths["rfm"])
    log.to_csv(paths["log"], index=False)
    return paths, rfm


def test_rfm_table_to_csv_assignments(files):
    paths, rfm = files
    output = paths["folder"] / "plan.csv"
    result = _run(
        paths["bg"], paths["rfm"], "--increases", "5,2.5,0", "--horizon", "39", "-o", output
    )
    assert result.returncode == 0, result.stderr
    assert "break-even churn" in result.stdout and "+2.5 %" in result.stdout
    written = pd.read_csv(output, dtype={"customer_id": str}).set_index("customer_id")
    assert written.index.tolist() == rfm.index.tolist()  # ids with leading zeros survive
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    np.testing.assert_allclose(
        written["churn_risk"], bg.probability_no_purchase(rfm, 39), rtol=1e-12
    )
    increase_of = {"low": 0.05, "medium": 0.025, "high": 0.0}
    assert (written["increase"] == written["tier"].map(increase_of)).all()
    low_risk = written["churn_risk"] < 0.5
    assert (written.loc[low_risk, "tier"] == "low").all()
    assert (written.loc[written["churn_risk"] >= 0.8, "tier"] == "high").all()
    # The printed table counts the customers of each stage.
    for tier, count in written["tier"].value_counts().items():
        assert any(tier in line and f"{count:,}" in line for line in result.stdout.splitlines())


def test_transaction_log_with_spend_model_to_parquet(files):
    paths, rfm = files
    output = paths["folder"] / "plan.parquet"
    result = _run(
        paths["bg"],
        paths["log"],
        "--spend-model",
        paths["gg"],
        "--observation-end",
        "1997-09-30",
        "--horizon",
        "26",
        "--quantiles",
        "33.3,66.7",
        "--stage-wait",
        "8",
        "--start",
        "2025-01-06",
        "-o",
        output,
    )
    assert result.returncode == 0, result.stderr
    written = pd.read_parquet(output)
    assert len(written) == len(rfm) and written.index.name == "customer_id"
    assert "predicted CLV" in result.stdout and "2025-03-03" in result.stdout
    bg, gg = clv.BetaGeoModel.from_params(BG, time_unit="W"), clv.GammaGammaModel.from_params(GG)
    expected = clv.customer_lifetime_value(bg, gg, rfm, 26)
    np.testing.assert_allclose(written["predicted_clv"], expected.reindex(written.index))
    starts = written.groupby("stage")["start_date"].first()
    assert [d.strftime("%Y-%m-%d") for d in starts] == ["2025-01-06", "2025-03-03", "2025-04-28"]


def test_models_file_from_fit_brings_its_spend_model(files):
    paths, rfm = files
    bundle_path = paths["folder"] / "models.json"
    clv.ModelBundle(
        bg=clv.BetaGeoModel.from_params(BG, time_unit="W"), gg=clv.GammaGammaModel.from_params(GG)
    ).save(bundle_path)
    output = paths["folder"] / "bundle.csv"
    result = _in_process(bundle_path, paths["rfm"], "--horizon", "39", "-o", output)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(output, dtype={"customer_id": str}).set_index("customer_id")
    bg, gg = clv.BetaGeoModel.from_params(BG, time_unit="W"), clv.GammaGammaModel.from_params(GG)
    np.testing.assert_allclose(
        written["predicted_clv"], clv.customer_lifetime_value(bg, gg, rfm, 39).to_numpy()
    )
    # A models file also works as --spend-model.
    result = _in_process(paths["bg"], paths["rfm"], "--spend-model", bundle_path, "-o", output)
    assert result.exit_code == 0, result.output
    assert "predicted_clv" in pd.read_csv(output).columns


def test_model_without_time_unit_needs_one(files):
    paths, _ = files
    model = paths["folder"] / "bg_no_unit.json"
    clv.BetaGeoModel.from_params(BG).save(model)
    output = paths["folder"] / "unit.csv"
    result = _in_process(model, paths["rfm"], "-o", output)
    assert result.exit_code == 2 and "--time-unit" in result.stderr
    result = _in_process(model, paths["rfm"], "--time-unit", "W", "-o", output)
    assert result.exit_code == 0, result.output
    result = _in_process(paths["bg"], paths["rfm"], "--time-unit", "D", "-o", output)
    assert result.exit_code == 2 and "contradicts the model file" in result.stderr


def _in_process(*args):
    """The same command in this process (fast), for the many error cases."""
    return run_cli("plan", *args)


def _one_line_error(stderr: str, message: str) -> None:
    assert stderr.startswith("error: ") and message in stderr, stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr


def test_errors_exit_2_with_one_line_in_a_real_process(files):
    paths, _ = files
    folder = paths["folder"]
    result = _process(paths["bg"], paths["rfm"], "--increases", "2,5,0", "-o", folder / "never.csv")
    assert result.returncode == 2
    _one_line_error(result.stderr, "--increases must not grow with risk")
    result = _run(paths["gg"], paths["rfm"], "-o", folder / "never.csv")
    assert result.returncode == 2
    _one_line_error(result.stderr, "is a spend model (Gamma-Gamma), not purchase models")
    assert not (folder / "never.csv").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--increases", "2,5,0"], "must not grow with risk"),
        (["--increases", "5,abc,0"], "is not a number"),
        (["--increases", "120,5,0"], "out of range"),
        (["--increases", "-1,0"], "out of range"),
        (["--tiers", "a,b,c", "--increases", "5,0"], "--tiers names 3"),
        (["--tiers", "a,b", "--increases", "5,0"], "--thresholds"),
        (["--thresholds", "80,50"], "increase strictly"),
        (["--thresholds", "50"], "give 2 (one fewer than the tiers)"),
        (["--thresholds", "50,80", "--quantiles", "30,60"], "not both"),
        (["--start", "someday", "--stage-wait", "8"], "not a date"),
    ],
)
def test_bad_options_exit_with_one_line(files, arguments, message):
    paths, _ = files
    output = paths["folder"] / "never.csv"
    result = _in_process(paths["bg"], paths["rfm"], *arguments, "-o", output)
    assert result.exit_code == 2
    _one_line_error(result.stderr, message)
    assert not output.exists()


def test_bad_files_exit_with_one_line(files):
    paths, rfm = files
    folder = paths["folder"]
    bad_rfm = folder / "bad.csv"
    bad_rfm.write_text("customer_id,frequency,recency,T\n001,1,2.5,10\n002,two,0,10\n")
    other = folder / "other.csv"
    other.write_text("id,value\n1,2\n")
    no_spend = folder / "no_spend.csv"
    rfm[["frequency", "recency", "T"]].to_csv(no_spend)
    cases = [
        ((paths["gg"], paths["rfm"]), "is a spend model (Gamma-Gamma), not purchase models"),
        ((paths["bg"], paths["rfm"], "--spend-model", paths["bg"]), "not a spend model; give"),
        ((folder / "missing.json", paths["rfm"]), "does not exist"),
        ((paths["bg"], folder / "missing.csv"), "does not exist"),
        ((paths["bg"], bad_rfm), "'frequency' holds 1 value(s) that are not numbers"),
        ((paths["bg"], other), "neither an RFM table"),
        ((paths["bg"], no_spend, "--spend-model", paths["gg"]), "no column 'monetary_value'"),
        (
            (paths["bg"], paths["log"], "--amount-col", "spend", "--spend-model", paths["gg"]),
            "no column 'spend'",
        ),
    ]
    for arguments, message in cases:
        result = _in_process(*arguments, "-o", folder / "never.csv")
        assert result.exit_code == 2, arguments
        _one_line_error(result.stderr, message)
    result = _in_process(paths["bg"], paths["rfm"], "-o", folder / "plan.txt")
    assert result.exit_code == 2 and "use .csv or .parquet" in result.stderr
    assert not (folder / "never.csv").exists() and not (folder / "plan.txt").exists()


def test_the_horizon_is_printed_in_the_unit_it_was_given_in(files):
    # "--horizon 9M" on a weeks model printed "the next 39.1339 weeks", and
    # cut points of 0.0001 % were printed "0.0 %". The scores are those of the model's units.
    paths, rfm = files
    output = paths["folder"] / "plan_months.csv"
    result = _run(paths["bg"], paths["rfm"], "--horizon", "9M", "--thresholds",
                  "0.0001%,99.9999%", "-o", output)  # fmt: skip
    assert result.returncode == 0, result.stderr
    printed = " ".join(result.stdout.split())
    assert "P(no purchase in the next 9 months" in printed
    assert "thresholds 0.0001 %, 99.9999 %" in printed
    written = pd.read_csv(output, dtype={"customer_id": str}).set_index("customer_id")
    bg = clv.BetaGeoModel.from_params(BG, time_unit="W")
    np.testing.assert_allclose(
        written["churn_risk"], bg.probability_no_purchase(rfm, 9 * 365.25 / 12 / 7), rtol=1e-12
    )
