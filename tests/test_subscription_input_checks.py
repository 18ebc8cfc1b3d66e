"""Bad input to the subscription side gets an error in the interface's words, never a silently
wrong number: numeric date columns, two-digit years, rows counted in another billing period than
the model's, a number as ``observation_end``, and zoned dates (read at their wall-clock time)."""

from __future__ import annotations

import pandas as pd
import pytest
from cli_run import run_cli

import clvmodel as clv
from clvmodel.errors import InputError
from clvmodel.subscription_churn import subscriber_churn_risk, subscriber_price_plan
from clvmodel.subscription_value import holdout_log_likelihood
from clvmodel.subscriptions import from_subscription_table, screen_subscription_table

END = "2024-12-31"


def _table(start, end) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": list(range(1, len(start) + 1)), "start": start, "end": end})


# 1. Numbers in a date column -------------------------------------------------------------------
def test_integer_dates_are_refused_in_python():
    # Read as nanoseconds since 1970 before: 659 periods for 20240115, active since 1970-01-01.
    table = _table([20240115, 20240301], [None, 20240601])
    with pytest.raises(InputError, match=r"column 'start' holds numbers \(20240115, 20240301\)"):
        from_subscription_table(table, observation_end=END)
    with pytest.raises(InputError, match=r"column 'start' holds numbers .*YYYY-MM-DD"):
        screen_subscription_table(table, observation_end=END)


def test_a_number_among_text_dates_is_no_date():
    table = pd.DataFrame({"customer_id": [1, 2], "start": ["2024-01-15", 45306], "end": None})
    with pytest.raises(InputError, match=r"'start' is not a readable date \(for example \[45306\]"):
        from_subscription_table(table, observation_end=END)


def test_an_all_empty_end_column_of_floats_is_still_read():
    table = pd.DataFrame({"customer_id": [1], "start": ["2024-01-15"], "end": [float("nan")]})
    rows = from_subscription_table(table, observation_end=END)
    assert rows[["periods", "cancelled"]].to_dict("list") == {"periods": [11], "cancelled": [0]}


def test_integer_dates_are_refused_on_the_command_line(tmp_path):
    table = _table([20240115, 20240301, 20230701], [None, 20240601, None])
    table.astype({"end": "float64"}).to_parquet(tmp_path / "subs.parquet", index=False)
    result = run_cli("subscriptions", "fit", tmp_path / "subs.parquet", "-o",
                     tmp_path / "m.json", "--observation-end", END)  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "column 'start' holds numbers (20240115, 20240301, 20230701)" in result.stderr
    assert not (tmp_path / "m.json").exists()


# 2. Two-digit years ----------------------------------------------------------------------------
def test_two_digit_years_are_refused_in_a_column():
    # Before: '13/04/24' read day first but '03/04/24' month first, in one column (9 and 8
    # periods for two subscribers who both started in April).
    table = _table(["03/04/24", "13/04/24", "05/04/24"], [None, None, "06/07/24"])
    with pytest.raises(InputError, match=r"column 'start' has dates with a two-digit year"):
        from_subscription_table(table, observation_end=END)
    table = _table(["2024-04-03", "2024-04-13"], [None, "06/07/24"])
    with pytest.raises(InputError, match=r"column 'end' has dates with a two-digit year"):
        screen_subscription_table(table, observation_end=END)


def test_two_digit_year_observation_end_is_refused():
    table = _table(["2024-01-15"], [None])
    with pytest.raises(InputError, match=r"observation_end='03/04/24' has a two-digit year"):
        from_subscription_table(table, observation_end="03/04/24")


def test_two_digit_year_observation_end_is_refused_on_the_command_line(tmp_path):
    # Before: read as 4 March 2024 (a fit, silently, to that date).
    _table(["2024-01-15", "2024-01-20"], [None, "2024-02-20"]).to_csv(
        tmp_path / "subs.csv", index=False
    )
    result = run_cli("subscriptions", "fit", tmp_path / "subs.csv", "-o", tmp_path / "m.json",
                     "--observation-end", "03/04/24")  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "--observation-end 03/04/24 has a two-digit year" in result.stderr


# 3. Rows of one billing period, a model of another ---------------------------------------------
@pytest.fixture(scope="module")
def monthly_model_and_rows():
    table = clv.subscriptions.simulate_subscription_table(
        clv.ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": 1.2}), 300,
        first_start="2022-01-01", observation_end=END, random_state=1,
    )  # fmt: skip
    table = table[["customer_id", "start", "end"]]
    monthly = from_subscription_table(table, observation_end=END, period="M")
    weekly = from_subscription_table(table, observation_end=END, period="W")
    return clv.ShiftedBetaGeoModel().fit(monthly), monthly, weekly


def test_rows_of_another_billing_period_are_refused(monthly_model_and_rows):
    model, monthly, weekly = monthly_model_and_rows
    assert model.period_ == "M"
    both = r"data\.attrs\['period'\] = 'W'\), but the model was fitted in months \(model\.period_"
    with pytest.raises(InputError, match=both):
        subscriber_churn_risk(model, weekly, 1)
    with pytest.raises(InputError, match=both):
        model.predict(weekly, 1)
    with pytest.raises(InputError, match=both):
        model.probability_cancel(weekly, 1)
    with pytest.raises(InputError, match=both):
        subscriber_price_plan(model, weekly.assign(price=10.0), 1, price="price")
    with pytest.raises(InputError, match=r"later\.attrs\['period'\] = 'W'"):
        holdout_log_likelihood(model, monthly, weekly)


def test_rows_without_a_billing_period_are_scored_as_before(monthly_model_and_rows):
    model, monthly, _ = monthly_model_and_rows
    bare = pd.DataFrame(monthly[["periods", "cancelled"]])
    bare.attrs = {}
    expected = subscriber_churn_risk(model, monthly, 1)["churn_risk"]
    pd.testing.assert_series_equal(subscriber_churn_risk(model, bare, 1)["churn_risk"], expected)


# 4. A number as observation_end ----------------------------------------------------------------
def test_integer_observation_end_is_refused():
    # Before: read as 1970-01-01 ("'start' is after observation_end (1970-01-01)").
    table = _table(["2024-01-15"], [None])
    for call in (from_subscription_table, screen_subscription_table):
        with pytest.raises(InputError, match=r"^observation_end=20241231 is not a date"):
            call(table, observation_end=20241231)


# 5. Zoned dates keep their wall-clock time -----------------------------------------------------
def test_zoned_dates_keep_their_wall_clock_time():
    # Started 30 January at 22:00, cancelled 29 February at 12:00 (New York time): the second
    # month would begin on 29 February at 22:00, after the cancellation, so one period was paid
    # for, as for the same dates without a zone. In UTC (31 January 03:00 to 29 February 17:00)
    # the second month began at 03:00 on the 29th: 2 periods before.
    table = _table(["2024-01-30T22:00:00-05:00", "2024-01-30 22:00"],
                   ["2024-02-29T12:00:00-05:00", "2024-02-29 12:00"])  # fmt: skip
    rows = from_subscription_table(table, observation_end=END)
    assert rows["periods"].tolist() == [1, 1]
    new_york = {
        column: pd.Series(pd.to_datetime([stamp] * 2)).dt.tz_localize("America/New_York")
        for column, stamp in (("start", "2024-01-30 22:00"), ("end", "2024-02-29 12:00"))
    }
    zoned = table.assign(**new_york)
    assert str(zoned["start"].dt.tz) == "America/New_York"
    assert from_subscription_table(zoned, observation_end=END)["periods"].tolist() == [1, 1]


def test_zoned_observation_end_keeps_its_wall_clock_time():
    table = _table(["2024-01-15"], [None])
    _, _, end = screen_subscription_table(table, observation_end="2024-12-31T23:00:00-05:00")
    assert end == pd.Timestamp("2024-12-31 23:00")


@pytest.mark.parametrize(
    ("first_start", "observation_end", "named"),
    [(20220101, "2024-12-31", "first_start=20220101"), ("2022-01-01", 20241231, "observation_end")],
)
def test_simulated_tables_refuse_numbers_as_dates(first_start, observation_end, named):
    """pandas read 20220101 as nanoseconds after 1970: a table starting in 1970."""
    sbg = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": 1.2})
    with pytest.raises(InputError, match=f"{named}.* is not a date"):
        clv.subscriptions.simulate_subscription_table(sbg, 10, first_start, observation_end)


def test_simulated_transactions_refuse_a_number_as_start():
    params = ({"r": 0.5, "alpha": 60, "a": 0.8, "b": 2.5}, {"p": 6, "q": 3.8, "v": 15})
    with pytest.raises(InputError, match="start=20240101 is not a date"):
        clv.simulate_transactions(5, *params, start=20240101, seed=1)
