"""Issue 13, "Must show": messy transaction logs give the same RFM table, or the same error
class, in every route, and every customer read is either scored or rejected.

Logs are generated with duplicates, ids as int, float or text ("1", "1.0", " 1 ", "a" padded
with a non-breaking space, "NaN", ""),
dates in one of several formats (sometimes mixed, sometimes unreadable or before 1900), and
amounts with NaN, infinity, 1e308, negatives and non-numbers. The routes are ``rfm_summary`` on
the DataFrame, ``rfm_from_file`` on CSV and Parquet, and the DuckDB engine on the CSV.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from bad_input_routes import ROUTES, run_routes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clvmodel as clv

END = "2024-12-31"
DATE_FORMATS = ["%Y-%m-%d", "%Y%m%d", "%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%dT%H:%M", "%d.%m.%Y"]
TEXT_IDS = ["a", "b", " a", "a\u00a0", "\u2003b", "1", "1.0", "2", "007", "7", "NaN", "", "None"]
TEXT_AMOUNTS = ["10", "2.5", " 3 ", "\u00a05", "-1", "1e308", "abc", "", "NaN", "0", "7.25"]
FLOAT_AMOUNTS = [10.0, 2.5, np.nan, np.inf, 1e308, -1.0, 0.0, 7.25]
ODD_DATES = ["not a date", "", "2024-02-30"]


@st.composite
def messy_logs(draw):
    n = draw(st.integers(1, 10))
    id_kind = draw(st.sampled_from(["text", "int", "float"]))
    if id_kind == "text":
        ids = draw(st.lists(st.sampled_from(TEXT_IDS), min_size=n, max_size=n))
    elif id_kind == "int":
        ids = draw(st.lists(st.integers(1, 4), min_size=n, max_size=n))
    else:
        ids = draw(st.lists(st.sampled_from([1.0, 2.0, 3.0, np.nan]), min_size=n, max_size=n))
    fmt = draw(st.sampled_from(DATE_FORMATS))
    days = draw(st.lists(st.integers(0, 364), min_size=n, max_size=n))
    hours = draw(st.lists(st.integers(0, 23), min_size=n, max_size=n))
    stamps = [pd.Timestamp("2024-01-01") + pd.Timedelta(days=d, hours=h)
              for d, h in zip(days, hours, strict=True)]  # fmt: skip
    dates = [s.strftime(fmt) for s in stamps]
    for i in draw(st.lists(st.integers(0, n - 1), max_size=2)):  # odd values
        dates[i] = draw(st.sampled_from([*ODD_DATES, "1066-10-14", stamps[i].strftime("%Y-%m-%d")]))
    if draw(st.booleans()):
        amounts = draw(st.lists(st.sampled_from(TEXT_AMOUNTS), min_size=n, max_size=n))
    else:
        amounts = draw(st.lists(st.sampled_from(FLOAT_AMOUNTS), min_size=n, max_size=n))
    frame = pd.DataFrame({"customer_id": ids, "date": dates, "amount": amounts})
    repeats = draw(st.lists(st.integers(0, n - 1), max_size=3))  # exact duplicate rows
    return pd.concat([frame, frame.iloc[repeats]], ignore_index=True)


def _same(results: dict) -> None:
    errors = {r: v for r, v in results.items() if isinstance(v, BaseException)}
    if errors:
        assert len(errors) == len(results), f"some routes failed: {errors}; others: {results}"
        for route, error in errors.items():
            assert isinstance(error, clv.InputError), f"{route}: {error!r}"
        return
    tables = list(results.items())
    first_route, first = tables[0]
    for route, table in tables[1:]:
        assert list(table.index) == list(first.index), f"{route} vs {first_route}"
        np.testing.assert_allclose(
            table[sorted(first.columns)].to_numpy(float),
            first[sorted(first.columns)].to_numpy(float),
            rtol=1e-12, err_msg=f"{route} vs {first_route}",
        )  # fmt: skip


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(log=messy_logs(), drop=st.booleans())
def test_every_route_gives_the_same_table_or_error(tmp_path, log, drop):
    options = {"observation_end": END, "time_unit": "D", "drop_duplicates": drop}
    results = run_routes(log, tmp_path, ROUTES, on_invalid="drop", **options)
    _same(results)
    frame = results["frame"]
    if isinstance(frame, BaseException):
        return
    # customers read = scored + rejected, in the pandas route and in the engine (the frame
    # route's table is rfm_summary(log, on_invalid="drop", **options), its attrs kept).
    rfm = frame
    counts = results["duckdb"].attrs["counts"]
    rejected = counts["no_valid_customers"]
    assert counts["customers"] == counts["valid_customers"] + rejected
    assert counts["valid_customers"] == len(rfm)
    assert counts["customers"] == len(rfm) + rfm.attrs["rejected_customers"]
    assert counts["rejected_rows"] == sum(rfm.attrs["rejected_rows"].values())
    # With on_invalid="raise" the pandas route raises exactly when the engine rejects a row.
    try:
        clv.rfm_summary(log, **options)
    except clv.InputError:
        assert counts["rejected_rows"] > 0
    else:
        assert counts["rejected_rows"] == 0


def test_only_plain_spaces_are_trimmed(tmp_path):
    # "a", "a" + U+00A0 and "a" + U+2003 are three customers, and an amount " 5" after a
    # non-breaking space is not a number, on every route: DuckDB's trim() would strip the
    # Unicode spaces too and merge the ids.
    log = pd.DataFrame({
        "customer_id": ["a", "a\u00a0", "a\u2003", "b", "b "],
        "date": ["2024-01-01", "2024-02-01", "2024-03-01", "2024-01-01", "2024-02-01"],
        "amount": ["1", "2", "3", "4", "\u00a05"],
    })  # fmt: skip
    results = run_routes(log, tmp_path, ROUTES, on_invalid="drop", observation_end=END,
                         time_unit="D")  # fmt: skip
    _same(results)
    assert len(results["duckdb"]) == 4
    assert results["duckdb"].attrs["counts"]["rejected_rows"] == 1
