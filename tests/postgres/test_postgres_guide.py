"""The "From a database" page (docs/guide/database.md) runs as written, against the test server,
with the password taken from PGPASSWORD (the URI has none): its commands (fit, score to a table
and to a file from a query, plan to a table, evaluate), then its Python block. This is the only
test that runs that page's code (see tests/test_guide_examples.py)."""

from __future__ import annotations

import re
import shlex
import warnings
from pathlib import Path

from click.testing import CliRunner
from pg_server import load_frame, run_sql

from clvmodel.cli import main

PAGE = Path(__file__).resolve().parents[2] / "docs" / "guide" / "database.md"
EXAMPLE_URI = "postgresql://analyst@db.example.com:5432/shop"


def _blocks(language: str) -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.S | re.M)


def _commands() -> list[list[str]]:
    (block,) = _blocks("bash")
    joined = re.sub(r"\\\n\s*", " ", block)
    commands = []
    for line in joined.splitlines():
        line = line.split("  #")[0].strip()
        if line.startswith("clvmodel "):
            commands.append(shlex.split(line)[1:])
    return commands


def test_guide_database_code_runs(pg_server, cdnow_sample, tmp_path, monkeypatch):
    log = cdnow_sample.assign(region=["EU", "US"] * (len(cdnow_sample) // 2) + ["EU"])
    load_frame(pg_server.uri, "readme_log", log)
    run_sql(
        pg_server.uri,
        "CREATE SCHEMA IF NOT EXISTS sales",
        "CREATE SCHEMA IF NOT EXISTS analytics",
        "DROP TABLE IF EXISTS sales.transactions",
        "CREATE TABLE sales.transactions AS SELECT * FROM readme_log",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PGPASSWORD", pg_server.password)
    db = f"postgresql://{pg_server.user}@127.0.0.1:{pg_server.port}/postgres"
    commands = _commands()
    assert [c[0] for c in commands] == ["fit", "score", "score", "plan", "evaluate"]
    for command in commands:
        args = [db if a == "$DB" else a.replace("2024-06-30", "1997-09-30") for a in command]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, (args, result.output)
        assert pg_server.password not in result.output
    assert run_sql(pg_server.uri, "SELECT count(*) FROM analytics.clv_scores")[0][0] == 2357
    assert run_sql(pg_server.uri, "SELECT count(*) FROM analytics.price_plan")[0][0] == 2357
    assert Path("eu_scores.parquet").is_file() and Path("holdout/holdout_report.json").is_file()
    assert pg_server.password not in Path("models.json").read_text()

    (code,) = _blocks("python")
    assert EXAMPLE_URI in code
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code.replace(EXAMPLE_URI, db), str(PAGE.name), "exec"), namespace)
    assert len(namespace["tx"]) == len(log) and len(namespace["rfm"]) == 2357
    assert run_sql(pg_server.uri, "SELECT count(*) FROM analytics.rfm")[0][0] == 2357
