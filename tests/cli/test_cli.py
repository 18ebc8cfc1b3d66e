"""The command line, in this process (``run_cli``), and through a real subprocess where it
matters: an exit status and error line, and what ``--help`` imports."""

import re
import subprocess
import sys

import duckdb
import pandas as pd
import pytest
from cli_run import run_cli, run_cli_process

from clvmodel.cli import main


def _process(*args):
    return run_cli_process(*args, timeout=120)


def test_demo_prints_published_fit_and_value_table():
    result = run_cli("demo", "--top", "5")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "-9582.43" in out and "-4055.92" in out and "946 repeat buyers" in out
    assert "P(alive)" in out and "naive CLV" in out and "predicted CLV" in out
    assert "Traceback" not in result.stderr
    # The sample's repeated rows are said once, in demo's own words (not "pass
    # --drop-duplicates", an option demo does not have, twice).
    assert "--drop-duplicates" not in result.stderr
    assert "9 rows repeat another row exactly" in out


def test_demo_naive_line_adds_up_with_a_margin():
    # "$35.96 × 2.73 × 1.00 years = $29.48" was printed with --margin 0.3.
    out = run_cli("demo", "--top", "1", "--margin", "0.3", "--horizon", "6M").stdout
    line = next(line for line in out.splitlines() if line.startswith("Naive formula"))
    numbers = [float(n) for n in re.findall(r"\d+\.?\d*", line.replace(",", ""))]
    order_value, per_year, years, margin, naive = numbers
    assert (years, margin) == (0.5, 0.3) and "0.5 years" in line
    assert abs(order_value * per_year * years * margin - naive) < 0.02 * naive


def test_bad_option_exits_non_zero_with_a_message():
    result = _process("demo", "--horizon", "-5")
    assert result.returncode != 0
    assert "--horizon" in result.stderr and "Traceback" not in result.stderr


def test_simulate_writes_a_log(tmp_path):
    target = tmp_path / "log.csv"
    result = run_cli("simulate", "--customers", "50", "-o", target)
    assert result.exit_code == 0, result.output
    log = pd.read_csv(target)
    assert log["customer_id"].nunique() == 50
    assert list(log.columns) == ["customer_id", "date", "amount"]


def test_library_errors_become_one_line_and_exit_code_2(tmp_path):
    result = run_cli("simulate", "--customers", "5", "-o", tmp_path / "missing" / "x.csv")
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_every_command_is_registered_by_the_module_its_table_names():
    import importlib

    from clvmodel.cli import COMMANDS

    for name, (module, help_line) in COMMANDS.items():
        importlib.import_module(f"clvmodel.cli.{module}")
        assert name in main.commands, f"{module} does not register {name!r}"
        assert help_line.endswith(".") and len(help_line) <= 80
    assert set(main.commands) == set(COMMANDS)


def test_help_lists_every_command_without_importing_the_numerical_stack():
    code = (
        "import sys; from clvmodel.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'scipy', 'duckdb') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    for name in ("fit", "score", "report", "subscriptions"):
        assert f"  {name} " in out.stdout


def test_simulate_bounds_are_usage_errors_naming_the_flag(tmp_path):
    target = tmp_path / "log.csv"
    for args, flag in [
        (["--seed", "-1"], "--seed"),
        (["--days", "0"], "--days"),
        (["--days", "100000000"], "--days"),  # beyond 100 years: once wrapped-around dates
    ]:
        result = run_cli("simulate", "--customers", "10", "-o", target, *args)
        assert result.exit_code == 2, (args, result.output)
        assert f"Invalid value for '{flag}'" in result.stderr, (args, result.stderr)
        assert "unexpected failure" not in result.output and "acquisition_days" not in result.output
        assert not target.exists()
    result = run_cli(
        "simulate", "--customers", "10", "-o", target, "--days", "36525", "--seed", "0"
    )
    assert result.exit_code == 0, result.output


@pytest.mark.skipif(
    int(duckdb.__version__.split(".")[0]) < 2,
    reason="DuckDB 1.x's fsum is Kahan's sum, not correctly rounded (see tests/test_engine.py)",
)
def test_fit_writes_the_same_model_file_whatever_the_row_order(cdnow_sample, tmp_path):
    # DuckDB added each customer's amounts in the order it met the rows: the Gamma-Gamma
    # parameters of two fits of one log differed in the last digits.
    import json

    log = cdnow_sample.assign(date=cdnow_sample["date"].dt.strftime("%Y-%m-%d"))
    models = []
    for name, frame in (("a", log), ("b", log.sample(frac=1, random_state=4))):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        result = run_cli("fit", f"{name}.csv", "-o", f"{name}.json", cwd=tmp_path)
        assert result.returncode == 0, result.output
        model = json.loads((tmp_path / f"{name}.json").read_text())
        model["metadata"].pop("source")
        models.append(model)
    assert models[0] == models[1]
