"""A hunt through Day One and the data checks around it, each found defect pinned by a test.

* ``dayone-fit`` read the attributes' kinds (numeric or categorical) from every row of ATTRIBUTES,
  customers without a purchase too: a text in one of their rows made a numeric attribute a
  categorical one with a level per value (a 913-level attribute and a 25-minute fit).
* ``first_purchase_attributes`` read dates its own way (``format="mixed"``), giving NaN
  quantities on day-first logs, and had no ``date_format=`` that its advice named.
* ``DayOneModel.fit`` refused a missing first purchase in rows it leaves out, and an RFM column
  of any name that an attribute shares; the --observation-end warning of ``dayone-fit`` said
  customers had no purchase when they had, after the end.
* ``dayone-fit`` asked a postgresql:// ATTRIBUTES for a --table it cannot take.
* RFM tables with recency in weeks stored to 6 decimals (``numeric(12,6)``) rejected customers
  with as many repeat purchase days as days in recency.
* ``naive_vs_model`` gave an infinite error for a segment without holdout revenue, and the report
  counted customers without a CAC as paid back.
"""

from __future__ import annotations

import base64
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli

import clvmodel as clv
from clvmodel._rfm_source import RfmSource
from clvmodel._rfm_sql import MORE_REPEATS_THAN_DAYS
from clvmodel.dayone import first_purchase_attributes
from clvmodel.rfm import validate_rfm

sys.path.insert(0, str(Path(__file__).parent / "report"))
from report_parsing import parse_report, table_rows  # noqa: E402

NUMERIC = ["first_purchase_amount", "first_purchase_quantity"]


def one_line_error(result) -> str:
    assert result.returncode == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def tx():
    return clv.datasets.load_cdnow_sample()


@pytest.fixture(scope="module")
def files(tx, tmp_path_factory):
    """The CDNOW sample's log; its attributes with a numeric ``age`` (as text, as a CSV holds
    it); the same plus 300 customers who never bought, with a text age each and a channel of
    their own."""
    folder = tmp_path_factory.mktemp("hunt_dayone")
    tx.to_csv(folder / "tx.csv", index=False)
    attributes = first_purchase_attributes(tx, quantity_col="quantity")[NUMERIC]
    rng = np.random.default_rng(1)
    attributes["age"] = rng.integers(18, 70, len(attributes)).astype(str)
    attributes["channel"] = rng.choice(["web", "email", "store"], len(attributes))
    attributes.reset_index().to_csv(folder / "attributes.csv", index=False)
    strangers = pd.DataFrame(
        {
            NUMERIC[0]: 10.0,
            NUMERIC[1]: 1.0,
            "age": [f"unknown {k}" for k in range(300)],
            "channel": [f"partner {k}" for k in range(300)],
        },
        index=pd.Index([f"Z{k}" for k in range(300)], name="customer_id"),
    )
    pd.concat([attributes, strangers]).reset_index().to_csv(folder / "extra.csv", index=False)
    return folder


# 1 ------------------------------------------------------------------------------------------------
def _fitted_kinds(files, attributes: str, name: str):
    result = run_cli(
        "dayone-fit", "tx.csv", attributes, "--covariates", f"{NUMERIC[0]},age,channel",
        "--log", NUMERIC[0], "--drop-duplicates", "-o", name, cwd=files,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    model = clv.DayOneModel.load(files / name)
    levels = {e["name"]: e["levels"] for e in model.encoding_["categorical"]}
    return model.numeric, model.categorical, levels, result


def test_attribute_kinds_come_from_the_customers_fitted_on(files):
    plain = _fitted_kinds(files, "attributes.csv", "plain.json")
    extra = _fitted_kinds(files, "extra.csv", "extra.json")
    assert plain[:3] == extra[:3]
    assert "age" in extra[0] and extra[1] == ["channel"]
    assert len(extra[2]["channel"]) == 3
    assert "300 of the 2,657 customers in ATTRIBUTES have no purchase" in extra[3].stderr


# 2 ------------------------------------------------------------------------------------------------
def _day_first(log: pd.DataFrame) -> pd.DataFrame:
    return log.assign(date=pd.to_datetime(log["date"]).dt.strftime("%d/%m/%Y"))


def test_first_purchase_quantities_of_a_day_first_log(tx):
    expected = first_purchase_attributes(tx, quantity_col="quantity")
    found = first_purchase_attributes(_day_first(tx), quantity_col="quantity")
    assert found["first_purchase_quantity"].notna().all()
    pd.testing.assert_frame_equal(found, expected)


def test_dates_that_read_both_ways_are_refused_then_read_with_date_format(tx):
    early = tx[pd.to_datetime(tx["date"]).dt.day <= 12]  # every date reads both ways
    with pytest.raises(clv.InputError, match=r"day first or month first.*date_format="):
        first_purchase_attributes(_day_first(early), quantity_col="quantity")
    found = first_purchase_attributes(
        _day_first(early), quantity_col="quantity", date_format="%d/%m/%Y"
    )
    pd.testing.assert_frame_equal(found, first_purchase_attributes(early, quantity_col="quantity"))


def test_evaluate_day_one_passes_date_format_on(tx):
    dates = pd.to_datetime(tx["date"])
    early = tx[dates.dt.day <= 12]
    signup = dates[early.index].groupby(early["customer_id"]).transform("min")
    early = early[signup < "1997-04-01"]  # a window of 26 weeks for everyone
    options = dict(covariates_on=("purchase", "spend"), horizon="26W", observation_end="1998-06-12")
    with pytest.raises(clv.InputError, match="date_format="):
        clv.dayone.evaluate_day_one(_day_first(early), **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        expected = clv.dayone.evaluate_day_one(early, **options)
        found = clv.dayone.evaluate_day_one(
            _day_first(early),
            date_format="%d/%m/%Y",
            **{**options, "observation_end": "12/06/1998"},
        )
    pd.testing.assert_frame_equal(found.metrics, expected.metrics)


# 3 ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rfm_and_attributes(tx):
    rfm = clv.rfm_summary(tx, observation_end="1998-06-30", time_unit="W", drop_duplicates=True)
    return rfm, first_purchase_attributes(tx, quantity_col="quantity")[NUMERIC]


def test_a_missing_first_purchase_of_a_row_left_out_is_no_error(rfm_and_attributes):
    rfm, attributes = rfm_and_attributes
    stranger = pd.DataFrame({NUMERIC[0]: [np.nan], NUMERIC[1]: [1.0]}, index=["stranger"])
    model = clv.DayOneModel(NUMERIC, first_purchase_col=NUMERIC[0])
    with pytest.warns(clv.ClvWarning, match="left out of the fit"):
        model.fit(rfm, pd.concat([attributes, stranger]))
    with pytest.raises(clv.InputError):  # a customer fitted on still needs one
        model.fit(rfm, attributes.assign(**{NUMERIC[0]: attributes[NUMERIC[0]].where(
            attributes.index != rfm.index[0])}))  # fmt: skip


def test_only_the_rfm_columns_clash_with_attribute_names(rfm_and_attributes):
    rfm, attributes = rfm_and_attributes
    extended = rfm.assign(**{NUMERIC[0]: 1.0})  # another column of the RFM table
    model = clv.DayOneModel(NUMERIC).fit(extended, attributes)
    reference = clv.DayOneModel(NUMERIC).fit(rfm, attributes)
    pd.testing.assert_series_equal(model.bg_.params_, reference.bg_.params_)
    with pytest.raises(clv.InputError, match="clash with RFM columns"):
        clv.DayOneModel(["recency"]).fit(rfm, attributes.assign(recency=attributes[NUMERIC[0]]))


def test_the_observation_end_warning_says_what_was_assumed(files):
    result = run_cli(
        "dayone-fit", "tx.csv", "extra.csv", "--covariates", NUMERIC[0], "--drop-duplicates",
        "--observation-end", "1997-02-15", "-o", "early.json", cwd=files,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    later = [line for line in result.stderr.splitlines() if "after --observation-end" in line]
    assert len(later) == 1, result.stderr
    assert "first purchase after --observation-end 1997-02-15" in later[0]
    assert "later --observation-end" in later[0] and "have no purchase" not in later[0]
    never = [line for line in result.stderr.splitlines() if "have no purchase" in line]
    assert len(never) == 1 and never[0].startswith("warning: 300 of"), result.stderr


# 4 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["dayone-fit", "tx.csv", "postgresql://u@localhost/db"], "ATTRIBUTES"),
        (["dayone-fit", "postgresql://u@localhost/db", "attributes.csv"], "TRANSACTIONS"),
        (["fit", "tx.csv", "--attributes", "postgres://u@localhost/db"], "--attributes"),
    ],
)
def test_a_database_input_is_refused_up_front(files, arguments, named):
    result = run_cli(*arguments, "--covariates", NUMERIC[0], "-o", "db.json", cwd=files)
    line = one_line_error(result)
    assert line.startswith(f"error: {named} postgres"), line
    assert "is a postgresql:// database" in line
    assert "CSV or Parquet" in line and "needs exactly one of --table" not in line


def test_dayone_refuses_a_database_to_score_or_write(files):
    _fitted_kinds(files, "attributes.csv", "m.json")
    line = one_line_error(
        run_cli("dayone", "m.json", "postgresql://h/db", "-o", "s.csv", cwd=files)
    )
    assert line.startswith("error: SIGNUPS postgresql://h/db is a postgresql:// database"), line
    line = one_line_error(
        run_cli("dayone", "m.json", "attributes.csv", "-o", "postgresql://h/db", cwd=files)
    )
    assert line.startswith("error: -o/--output postgresql://h/db is a postgresql://"), line
    # dayone-fit too, before any work (it ran the whole fit and then failed on the folder).
    line = one_line_error(
        run_cli(
            "dayone-fit",
            "tx.csv",
            "attributes.csv",
            "--covariates",
            NUMERIC[0],
            "-o",
            "postgresql://ann:secret@h/db",
            cwd=files,
        )  # fmt: skip
    )
    assert "-o/--output postgresql://ann:***@h/db is a postgresql://" in line, line


# 5 ------------------------------------------------------------------------------------------------
def _rounded_weeks(extra_purchase: int) -> pd.DataFrame:
    """Customers with 1 to 60 days of recency, written in weeks to 6 decimals, each with as many
    repeat purchase days as days (plus ``extra_purchase``)."""
    days = np.arange(1, 61)
    return pd.DataFrame(
        {
            "customer_id": [f"c{d}" for d in days],
            "frequency": (days + extra_purchase).astype(float),
            "recency": np.round(days / 7, 6),
            "T": np.round((days + 30) / 7, 6),
            "monetary_value": 20.0,
        }
    )


def test_recency_rounded_to_6_decimals_bounds_frequency_alike_on_both_routes(tmp_path):
    table = _rounded_weeks(0)
    validate_rfm(table, time_unit="W")  # pandas: every customer passes
    path = tmp_path / "rfm.csv"
    table.to_csv(path, index=False)
    assert RfmSource(path, time_unit="W").rejects().empty  # DuckDB: none rejected


def test_more_repeat_days_than_days_are_still_refused_on_both_routes(tmp_path):
    table = _rounded_weeks(1)
    with pytest.raises(clv.InputError, match="more of them than days in recency"):
        validate_rfm(table, time_unit="W")
    path = tmp_path / "rfm.csv"
    table.to_csv(path, index=False)
    rejects = RfmSource(path, time_unit="W").rejects()
    assert sorted(rejects["customer_id"]) == sorted(table["customer_id"])
    assert set(rejects["reason"]) == {MORE_REPEATS_THAN_DAYS}


# 6 ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def split_models(tx):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)  # the 21 duplicate rows
        cal, _ = clv.calibration_holdout_split(tx, "1997-09-30", "1998-06-30")
    return clv.BetaGeoModel().fit(cal), clv.GammaGammaModel().fit(cal), cal


def test_a_segment_without_holdout_revenue_has_no_infinite_error(tx, split_models):
    bg, gg, cal = split_models
    holdout = tx[pd.to_datetime(tx["date"]) > "1997-09-30"]
    silent = sorted(set(cal.index) - set(holdout["customer_id"]))
    segment = pd.Series("active", index=cal.index)
    segment[silent[:50]] = "silent"
    with pytest.warns(clv.ClvWarning, match=r"\['silent'\] had no revenue in the holdout"):
        table = clv.naive_vs_model(bg, gg, tx, "1997-09-30", "1998-06-30", segment)
    assert table.loc["silent", "actual_holdout"] == 0
    assert np.isnan(table.loc["silent", ["naive_error", "model_error"]].astype(float)).all()
    assert np.isfinite(table.loc["active", ["naive_error", "model_error"]].astype(float)).all()
    assert any("'silent'" in note for note in table.attrs["notes"])


PIXEL = ("data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n").decode(), (1, 1))


def test_customers_without_a_cac_are_not_counted_as_paid_back(tx, monkeypatch):
    from clvmodel.report import _figures

    monkeypatch.setattr(_figures, "to_data_uri", lambda draw, size=None: PIXEL)
    ids = sorted(tx["customer_id"].unique())
    channel = pd.Series(["web" if k % 2 else "organic" for k in range(len(ids))], index=ids)
    log = tx.assign(channel=tx["customer_id"].map(channel))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        html = clv.build_report(
            log, "1997-09-30", segments="channel", acquisition_cost={"web": 8.0, "organic": 0.0}
        )
    rows = table_rows(parse_report(html), "clv-cac")
    assert rows["organic"][-2:] == ["n/a", "n/a"]  # median payback, share paid back
    assert "%" in rows["web"][-1] and rows["web"][-1] != "n/a"
    # The row of all customers counts the customers with a CAC only.
    assert rows["All customers"][-1] == rows["web"][-1]
    assert re.search(r"Payback is n/a for organic \(no acquisition cost\)", html)
    assert "of customers with a CAC pay back" in html


def test_a_report_where_no_customer_has_a_cac_shows_no_payback(tx, monkeypatch):
    from clvmodel.report import _figures

    monkeypatch.setattr(_figures, "to_data_uri", lambda draw, size=None: PIXEL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvWarning)
        warnings.simplefilter("error", RuntimeWarning)  # no curve of nobody ("mean of empty")
        html = clv.build_report(tx, "1997-09-30", acquisition_cost=0.0)
    assert table_rows(parse_report(html), "clv-cac")["All customers"][-2:] == ["n/a", "n/a"]
    assert 'id="figure-payback"' not in html
