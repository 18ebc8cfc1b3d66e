"""A transaction file without a header row: its first purchase was read as the column names,
and the messages listed ['1', '2024-01-01', '10.5'] (DuckDB: '1_1' for a repeated value) as the
columns without saying why. Every route now adds that the file seems to have no header row."""

from __future__ import annotations

import pandas as pd
import pytest
from cli_run import run_cli

import clvmodel as clv
from clvmodel._reading_text import header_advice

ROWS = "1,2024-01-01,10.5\n1,2024-01-05,20\n2,2024-01-03,5\n"
HINT = "seems to have no header row"


@pytest.fixture
def headerless(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(ROWS)
    return path


def test_every_route_says_the_header_seems_missing(headerless, tmp_path):
    with pytest.raises(clv.InputError, match=HINT):
        clv.rfm_from_file(headerless, observation_end="2024-01-31")
    with pytest.raises(clv.InputError, match=HINT):
        clv.rfm_summary(pd.read_csv(headerless), observation_end="2024-01-31")
    result = run_cli(
        "fit", headerless, "-o", tmp_path / "m.json", "--observation-end", "2024-01-31"
    )
    assert result.returncode != 0 and HINT in result.output


@pytest.mark.parametrize(
    "columns, hinted",
    [
        (["1", "2024-01-01", "10.5"], True),
        (["1_1", "2024-01-01", "10.5", "7"], True),  # DuckDB's name for a repeated '1'
        (["cust", "when", "amount"], False),
        (["customer", "2024", "spend", "region"], False),  # one number among names
    ],
)
def test_the_hint_needs_most_names_to_read_as_values(columns, hinted):
    assert (HINT in header_advice(columns)) is hinted
