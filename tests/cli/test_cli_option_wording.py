"""Tests of the command line's wording of options and patterns, and of ``plan``'s output check.

* Messages on the command line name the CLI form: no "or a datetime", patterns a shell would split
  quoted, the two patterns of an ambiguous column quoted alike; the ambiguous --observation-end
  says that --date-format reads the log too.
* ``clvmodel plan -o missing/plan.csv`` failed only after reading its input.
"""

from __future__ import annotations

import numpy as np
import pytest
from cli_run import error_line, run_cli

import clvmodel as clv
from clvmodel.cli._guard import cli_words


def test_the_ambiguous_option_says_date_format_reads_the_log_too(
    published_models, cdnow_small_log, tmp_path
):
    path = tmp_path / "log.csv"
    cdnow_small_log.to_csv(path, index=False)
    result = run_cli("score", published_models, path, "-o", tmp_path / "s.csv", "--observation-end",
                     "03/04/1997")  # fmt: skip
    line = error_line(result, forbidden=("date_format=",))
    assert "Write it as 'YYYY-MM-DD'" in line
    assert "the log's text dates are then read with that format as well" in line, line
    assert "to say how to read it" not in line


def test_plan_refuses_a_missing_output_folder_up_front(published_models, tmp_path):
    output = tmp_path / "missing" / "plan.csv"
    # The input does not exist either: the output is checked first, as score and fit do.
    result = run_cli("plan", published_models, tmp_path / "absent.csv", "-o", output)
    line = error_line(result)
    assert "-o/--output" in line and "does not exist; create it first" in line, line
    assert "absent.csv" not in line


def test_an_unreadable_option_date_on_the_cli_names_the_cli_form(
    published_models, cdnow_small_log, tmp_path
):
    path = tmp_path / "log.csv"
    cdnow_small_log.to_csv(path, index=False)
    for written, shown in (("Sep 30 1997", "'Sep 30 1997'"), ("31/02/1997", "31/02/1997")):
        result = run_cli("score", published_models, path, "-o", tmp_path / "s.csv",
                         "--observation-end", written)  # fmt: skip
        line = error_line(result)
        assert "datetime" not in line and "'YYYY-MM-DD'" in line, line
        assert f"--observation-end {shown} is not a date" in line, line
    # The Python API keeps its own words: a datetime is an answer there.
    with pytest.raises(clv.InputError, match="or a datetime"):
        clv.rfm_summary(cdnow_small_log, observation_end="Sep 30 1997")


def test_patterns_a_shell_would_split_or_offered_in_pairs_are_quoted():
    month_names = (
        "no value in column 'date' is a date in a format clvmodel reads without being told "
        "(for example '18 Jan 1997'); pass date_format= with a strftime pattern, e.g. "
        "date_format='%d %b %Y' for '05 Jan 2025', or write dates as YYYY-MM-DD."
    )
    assert "e.g. --date-format '%d %b %Y' for '05 Jan 2025'" in cli_words(month_names)
    both = (
        "no value settles it; pass date_format='%d/%m/%Y' (day first) or '%m/%d/%Y' (month first)."
    )
    assert cli_words(both) == (
        "no value settles it; pass --date-format '%d/%m/%Y' (day first) or '%m/%d/%Y' "
        "(month first)."
    )
    assert cli_words("pass date_format='%Y%m%d' for 19970101.") == (
        "pass --date-format %Y%m%d for 19970101."
    )


def test_the_month_name_and_ambiguous_column_messages_on_the_cli(
    published_models, cdnow_small_log, tmp_path
):
    named = tmp_path / "named.csv"
    cdnow_small_log.assign(date=cdnow_small_log["date"].dt.strftime("%d %b %Y")).to_csv(
        named, index=False
    )
    line = error_line(run_cli("score", published_models, named, "-o", tmp_path / "s.csv"))
    assert "--date-format '%d %b %Y'" in line, line
    both_ways = cdnow_small_log[cdnow_small_log["date"].dt.day <= 12]
    ambiguous = tmp_path / "ambiguous.csv"
    both_ways.assign(date=both_ways["date"].dt.strftime("%d/%m/%Y")).to_csv(ambiguous, index=False)
    line = error_line(run_cli("score", published_models, ambiguous, "-o", tmp_path / "s.csv"))
    assert "--date-format '%d/%m/%Y' (day first) or '%m/%d/%Y' (month first)" in line, line
    assert np.all(both_ways["date"].dt.day <= 12)
