"""``clvmodel evaluate --interval`` when the chosen model's parameters are not identified.

The command failed after the fits ("see model.summary"), nothing written: it warns, keeps the
evaluation and leaves out the coverage figure."""

import numpy as np
import pandas as pd
from cli_run import run_cli


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
