"""`clvmodel fit` and `clvmodel score` on small files, in this process (``run_cli``); one error
case of each command through a real subprocess (its exit status and stderr)."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli, run_cli_process

import clvmodel as clv
from clvmodel.scoring import SCORE_COLUMNS, score_customers


def _process(*args):
    """``python -m clvmodel.cli ARGS`` in a real process."""
    return run_cli_process(*args)


@pytest.fixture(scope="module")
def files(tmp_path_factory, cdnow_sample, cdnow_log_files):
    folder = tmp_path_factory.mktemp("batch")
    tx = cdnow_sample
    csv, parquet = cdnow_log_files
    model = folder / "model.json"
    fitted = run_cli("fit", csv, "--observation-end", "1997-09-30", "-o", model)
    assert fitted.returncode == 0, fitted.stderr
    return {"folder": folder, "tx": tx, "csv": csv, "parquet": parquet, "model": model}


def _counts(stdout):
    match = re.search(
        r"customers: ([\d,]+) read = ([\d,]+) scored \+ ([\d,]+) rejected; "
        r"rows: ([\d,]+) read, ([\d,]+) rejected",
        stdout,
    )
    assert match, stdout
    return [int(group.replace(",", "")) for group in match.groups()]


def test_fit_writes_both_models_matching_the_python_api(files, fitted_bg, fitted_gg):
    # fitted_bg and fitted_gg (tests/conftest.py) are BetaGeoModel().fit(rfm) and
    # GammaGammaModel().fit(rfm) on rfm_summary(files["tx"], observation_end="1997-09-30"), in
    # weeks: the session's shared fits of these very models.
    bundle = clv.load_models(files["model"])
    np.testing.assert_allclose(bundle.bg.params_, fitted_bg.params_, rtol=1e-8)
    np.testing.assert_allclose(bundle.gg.params_, fitted_gg.params_, rtol=1e-6)
    assert bundle.bg.time_unit_ == "W"
    naive = clv.naive_clv(files["tx"], lifespan=1.0, observation_end="1997-09-30")
    assert bundle.naive_clv(1.0) == pytest.approx(naive["naive_clv"].iloc[0])


def test_fit_score_round_trip_equals_the_python_api(files, tmp_path, cdnow_rfm):
    output = tmp_path / "scores.parquet"
    result = run_cli(
        "score", files["model"], files["csv"], "--observation-end", "1997-09-30", "-o", output,
        "--horizon", "12", "--discount-rate", "0.1", "--margin", "0.5",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    scores = pd.read_parquet(output).set_index("customer_id")
    assert list(scores.columns) == list(SCORE_COLUMNS)
    bundle = clv.load_models(files["model"])
    rfm = cdnow_rfm  # rfm_summary(files["tx"], observation_end="1997-09-30"); not modified
    expected = score_customers(
        bundle.bg, bundle.gg, rfm, horizon="12M", discount_rate=0.1, margin=0.5,
        naive_clv=bundle.naive_clv(1.0, margin=0.5),
    )  # fmt: skip
    scores = scores.loc[expected.index]
    for column in SCORE_COLUMNS:
        np.testing.assert_allclose(scores[column], expected[column], rtol=1e-9, err_msg=column)
    read, scored, rejected, rows, rejected_rows = _counts(result.stdout)
    assert (read, scored, rejected) == (2357, 2357, 0)
    assert read == scored + rejected
    rejects = pd.read_csv(tmp_path / "scores.rejects.csv")
    assert len(rejects) == rejected_rows == 1959  # purchases after the calibration end
    assert set(rejects["reason"]) == {"after observation end"}


def test_csv_and_parquet_inputs_and_outputs_give_the_same_scores(files, tmp_path):
    outputs = []
    for source, name in [(files["csv"], "a.csv"), (files["parquet"], "b.parquet")]:
        output = tmp_path / name
        result = run_cli(
            "score", files["model"], source, "--observation-end", "1997-09-30", "-o", output
        )
        assert result.returncode == 0, result.stderr
        frame = (
            pd.read_csv(output, dtype={"customer_id": str})
            if name.endswith(".csv")
            else pd.read_parquet(output)
        )
        outputs.append(frame.set_index("customer_id").sort_index())
    pd.testing.assert_frame_equal(outputs[0], outputs[1], check_dtype=False, rtol=1e-12)


def test_rfm_table_input_gives_the_same_scores(files, tmp_path, cdnow_rfm):
    rfm = cdnow_rfm  # rfm_summary(files["tx"], observation_end="1997-09-30"); not modified
    rfm_path = tmp_path / "rfm.csv"
    rfm.rename_axis("customer_id").to_csv(rfm_path)
    from_rfm, from_tx = tmp_path / "r.parquet", tmp_path / "t.parquet"
    assert run_cli("score", files["model"], rfm_path, "-o", from_rfm).returncode == 0
    assert (
        run_cli(
            "score", files["model"], files["csv"], "--observation-end", "1997-09-30", "-o", from_tx
        )
    ).returncode == 0
    a = pd.read_parquet(from_rfm).set_index("customer_id").sort_index()
    b = pd.read_parquet(from_tx).set_index("customer_id").sort_index()
    pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-12)


def test_rejected_customers_are_listed_and_counts_add_up(files, tmp_path):
    log = tmp_path / "messy.csv"
    log.write_text(
        "customer_id,date,amount\n"
        "a,1997-01-01,10\na,1997-02-01,20\n"
        "b,garbage,5\n"
        "c,1997-01-04,-3\nc,1997-01-09,4\n"
        ",1997-01-05,5\n"
    )
    output = tmp_path / "s.csv"
    result = run_cli("score", files["model"], log, "--observation-end", "1997-03-01", "-o", output)
    assert result.returncode == 0, result.stderr
    read, scored, rejected, rows, rejected_rows = _counts(result.stdout)
    assert (read, scored, rejected, rows, rejected_rows) == (3, 2, 1, 6, 3)
    scores = pd.read_csv(output, dtype={"customer_id": str})
    rejects = pd.read_csv(tmp_path / "s.rejects.csv", dtype={"customer_id": str})
    assert set(scores["customer_id"]) == {"a", "c"}
    assert set(rejects.loc[rejects["reason"] == "no valid transaction", "customer_id"]) == {"b"}


def test_a_failure_midway_leaves_no_partial_output(files, tmp_path, monkeypatch):
    import clvmodel.cli._batch as batch

    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk on fire")
        return score_customers(*args, **kwargs)

    monkeypatch.setattr(batch, "score_customers", failing)
    output = tmp_path / "scores.parquet"
    output.write_bytes(b"previous run")
    result = run_cli(
        "score", files["model"], files["csv"], "--observation-end", "1997-09-30",
        "-o", output, "--batch-size", "500",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "unexpected failure" in result.output and "disk on fire" in result.output
    assert output.read_bytes() == b"previous run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.parquet"]


def test_errors_are_one_line_and_non_zero(files, tmp_path):
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{"format": "clvmodel-models", "models": ')
    single_gg = tmp_path / "gg.json"
    clv.GammaGammaModel.from_params({"p": 6.0, "q": 3.0, "v": 15.0}).save(single_gg)
    cases = [
        (
            ["score", files["model"], tmp_path / "none.csv", "-o", tmp_path / "x.csv"],
            "does not exist",
        ),
        (["fit", tmp_path / "none.csv", "-o", tmp_path / "m.json"], "does not exist"),
        (
            ["fit", files["csv"], "--customer-col", "client", "-o", tmp_path / "m.json"],
            "columns are",
        ),
        (["score", corrupt, files["csv"], "-o", tmp_path / "x.csv"], "not valid JSON"),
        (["score", single_gg, files["csv"], "-o", tmp_path / "x.csv"], "a spend model"),
        (
            ["score", files["model"], files["csv"], "-o", tmp_path / "no" / "x.csv"],
            "does not exist",
        ),
        (["score", files["model"], files["csv"], "-o", tmp_path / "x.xlsx"], "output format"),
    ]
    had_a_process = set()
    for args, phrase in cases:
        # The first case of each command runs in a real process (its exit status and stderr), the
        # others in this one.
        if args[0] in had_a_process:
            result = run_cli(*args)
        else:
            result = _process(*args)
            had_a_process.add(args[0])
        assert result.returncode != 0, args
        assert phrase in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_model_file_is_versioned_json(files):
    document = json.loads(files["model"].read_text())
    assert document["format"] == "clvmodel-models" and document["format_version"] == 1
    assert set(document["models"]) == {"bg", "gg"}
    assert document["metadata"]["observation_end"] == "1997-09-30"


def test_a_clean_log_scores_with_an_empty_rejects_file(tmp_path):
    # No rejected row at all: the path that skips the rejects query must still stream the scores.
    tx = clv.simulate_transactions(
        300, {"r": 0.5, "alpha": 30.0, "a": 0.8, "b": 2.5}, {"p": 6.0, "q": 3.8, "v": 15.0}, seed=2
    )
    log = tmp_path / "clean.parquet"
    tx.to_parquet(log)
    model, output = tmp_path / "m.json", tmp_path / "s.csv"
    assert run_cli("fit", log, "--time-unit", "D", "-o", model).returncode == 0
    result = run_cli("score", model, log, "-o", output)
    assert result.returncode == 0, result.stderr
    assert _counts(result.stdout) == [300, 300, 0, len(tx), 0]
    assert len(pd.read_csv(output)) == 300
    assert pd.read_csv(tmp_path / "s.rejects.csv").empty
