"""One vocabulary (issue #14) on the Python side: horizons carry their unit, the value period's
``time_unit=`` is deprecated, and rates and shares have one range everywhere."""

import ast
import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from published import PUBLISHED_BG, PUBLISHED_GG

import clvmodel as clv
from clvmodel._units import (
    MAX_HORIZON_DAYS,
    PERIOD_DAYS,
    Duration,
    parse_duration,
)
from clvmodel.economics import cac_payback, net_clv, probability_alive_at
from clvmodel.errors import InputError
from clvmodel.scoring import score_customers

# Published CDNOW estimates (Fader, Hardie and Lee 2005, BG/NBD on the 39-week calibration period;
# Gamma-Gamma, Fader, Hardie and Lee 2005, "RFM and CLV"), as in tests/test_value.py.
BG = PUBLISHED_BG
GG = PUBLISHED_GG


@pytest.fixture(scope="module")
def models():
    return clv.BetaGeoModel.from_params(BG, time_unit="W"), clv.GammaGammaModel.from_params(GG)


@pytest.fixture(scope="module")
def rfm():
    return pd.DataFrame(
        {
            "frequency": [0, 1, 2, 5, 12, 3],
            "recency": [0.0, 10.0, 30.4, 20.0, 38.0, 5.0],
            "T": [38.9, 30.0, 38.9, 35.0, 38.5, 36.0],
            "monetary_value": [0.0, 25.0, 40.0, 18.5, 61.0, 12.0],
        },
        index=pd.Index(list("abcdef"), name="customer_id"),
    )


def _quiet(function, *args, **kwargs):
    """Call with the deprecated spelling, without letting its warning through."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return function(*args, **kwargs)


# --------------------------------------------------------------------------------------------------
# A duration with its unit gives exactly the numbers of the old (number, time_unit) spelling.
@pytest.mark.parametrize("unit, amount", [("M", 12), ("W", 39), ("Y", 2), ("D", 90)])
def test_clv_with_a_unit_is_exactly_the_old_spelling(models, rfm, unit, amount):
    bg, gg = models
    old = _quiet(clv.customer_lifetime_value, bg, gg, rfm, amount, 0.1, 0.3, time_unit=unit)
    for horizon in (f"{amount}{unit}", Duration(amount, unit), f" {amount}{unit.lower()} "):
        new = clv.customer_lifetime_value(bg, gg, rfm, horizon, discount_rate=0.1, margin=0.3)
        np.testing.assert_array_equal(new.to_numpy(), old.to_numpy())


def test_intervals_with_a_unit_are_exactly_the_old_spelling(fitted_bg, fitted_gg, cdnow_rfm):
    rfm = cdnow_rfm.iloc[:40]
    bg, gg = fitted_bg, fitted_gg
    old = _quiet(clv.customer_lifetime_value, bg, gg, rfm, 12, time_unit="M", interval=0.9)
    new = clv.customer_lifetime_value(bg, gg, rfm, "12M", interval=0.9)
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    old = _quiet(score_customers, bg, gg, rfm, 6, "M", 0.2, 0.4, interval=0.9)
    new = score_customers(bg, gg, rfm, "6M", discount_rate=0.2, margin=0.4, interval=0.9)
    pd.testing.assert_frame_equal(new, old, check_exact=True)


def test_a_bare_number_keeps_its_meaning(models, rfm):
    bg, gg = models
    # customer_lifetime_value: the model's unit (weeks here); score_customers: months.
    np.testing.assert_array_equal(
        clv.customer_lifetime_value(bg, gg, rfm, 26).to_numpy(),
        clv.customer_lifetime_value(bg, gg, rfm, "26W").to_numpy(),
    )
    # The two readings differ, so score_customers says which it takes (it was silent).
    with pytest.warns(FutureWarning, match=r"score_customers reads horizon=6 .* as 6 months"):
        bare = score_customers(bg, gg, rfm, 6)
    pd.testing.assert_frame_equal(bare, score_customers(bg, gg, rfm, "6M"), check_exact=True)


def test_score_customers_with_a_unit_is_exactly_the_old_spelling(models, rfm):
    bg, gg = models
    old = _quiet(score_customers, bg, gg, rfm, 6, "M", 0.2, 0.4)
    new = score_customers(bg, gg, rfm, "6M", discount_rate=0.2, margin=0.4)
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    weeks = _quiet(score_customers, bg, gg, rfm, horizon=39, time_unit="W")
    pd.testing.assert_frame_equal(score_customers(bg, gg, rfm, "39W"), weeks, check_exact=True)


def test_churn_risk_horizons_with_units_are_exactly_the_old_spelling(models, rfm):
    bg, gg = models
    settings = dict(discount_rate=0.1, margin=0.3)
    old = _quiet(clv.churn_risk, bg, rfm, 39, gg, clv_horizon=12, time_unit="M", **settings)
    new = clv.churn_risk(bg, rfm, "39W", gg, clv_horizon="12M", **settings)
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    assert new.attrs["horizon"] == 39 and new.attrs["horizon_unit"] == "W"
    assert new.attrs["clv_horizon"] == 12 and new.attrs["clv_horizon_unit"] == "M"
    # A churn window in months is converted to the model's weeks.
    months = clv.churn_risk(bg, rfm, "9M")
    by_weeks = clv.churn_risk(bg, rfm, 9 * PERIOD_DAYS["M"] / 7)
    np.testing.assert_array_equal(months["churn_risk"], by_weeks["churn_risk"])


def test_churn_risk_default_clv_horizon_follows_the_window(models, rfm):
    bg, gg = models
    # A bare window: the CLV counts the same weeks, as before.
    bare = clv.churn_risk(bg, rfm, 39, gg)
    assert bare.attrs["clv_horizon"] == 39 and bare.attrs["clv_time_unit"] == "W"
    # A window with a unit: the CLV counts that duration in that unit.
    months = clv.churn_risk(bg, rfm, "12M", gg)
    expected = clv.customer_lifetime_value(bg, gg, rfm, "12M")
    np.testing.assert_array_equal(months["predicted_clv"], expected.to_numpy())
    assert months.attrs["clv_horizon_unit"] == "M"


def test_clv_table_and_unit_economics_take_durations(models, rfm):
    bg, gg = models
    old = _quiet(clv.clv_table, bg, gg, rfm, horizon=12, time_unit="M", discount_rate=0.1)
    new = clv.clv_table(bg, gg, rfm, horizon="12M", discount_rate=0.1)
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    costs = dict(cost_per_order=1.0, cost_per_period=0.2, margin=0.3, discount_rate=0.1)
    with pytest.warns(FutureWarning, match=r"horizon=24 \(a number without a unit\)"):
        bare = net_clv(bg, gg, rfm, 24, **costs)
    pd.testing.assert_frame_equal(net_clv(bg, gg, rfm, "24M", **costs), bare, check_exact=True)
    pd.testing.assert_frame_equal(
        cac_payback(bg, gg, rfm, 5.0, "52W", **costs),
        cac_payback(bg, gg, rfm, 5.0, 52, time_unit="W", **costs),
        check_exact=True,
    )
    np.testing.assert_array_equal(
        probability_alive_at(bg, rfm, "52W"), probability_alive_at(bg, rfm, 52.0)
    )


# --------------------------------------------------------------------------------------------------
# Deprecated spellings warn, at the caller's line, and still work.
@pytest.mark.parametrize(
    "call",
    [
        lambda bg, gg, rfm: clv.customer_lifetime_value(bg, gg, rfm, 12, time_unit="M"),
        lambda bg, gg, rfm: clv.clv_table(bg, gg, rfm, 12, time_unit="M"),
        lambda bg, gg, rfm: score_customers(bg, gg, rfm, 12, "M"),
        lambda bg, gg, rfm: clv.churn_risk(bg, rfm, 39, gg, clv_horizon=12, time_unit="M"),
        lambda bg, gg, rfm: clv.churn_risk(bg, rfm, 39, gg, time_unit="M"),
    ],
    ids=["customer_lifetime_value", "clv_table", "score_customers", "churn_risk", "churn_default"],
)
def test_time_unit_for_the_value_period_is_deprecated(models, rfm, call):
    bg, gg = models
    with pytest.warns(
        DeprecationWarning, match="time_unit= is deprecated for the value period"
    ) as w:
        call(bg, gg, rfm)
    assert [Path(r.filename).name for r in w if r.category is DeprecationWarning] == [
        Path(__file__).name
    ]


def test_the_deprecation_says_what_to_write(models, rfm):
    bg, gg = models
    with pytest.warns(DeprecationWarning, match=r"pass horizon='12M'"):
        clv.customer_lifetime_value(bg, gg, rfm, 12, time_unit="M")
    with pytest.warns(DeprecationWarning, match=r"pass clv_horizon='12M'"):
        clv.churn_risk(bg, rfm, 39, gg, clv_horizon=12, time_unit="M")


def test_the_new_spellings_do_not_warn(models, rfm):
    bg, gg = models
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clv.customer_lifetime_value(bg, gg, rfm, "12M", discount_rate=0.1)
        clv.clv_table(bg, gg, rfm, "12M")
        score_customers(bg, gg, rfm, "12M")
        scores = clv.churn_risk(bg, rfm, "39W", gg, clv_horizon="12M")
        clv.price_increase_plan(scores, stage_wait="8W")


def test_a_model_without_a_unit_still_takes_the_deprecated_time_unit(rfm):
    bg, gg = clv.BetaGeoModel.from_params(BG), clv.GammaGammaModel.from_params(GG)
    with pytest.warns(DeprecationWarning):
        old = clv.customer_lifetime_value(bg, gg, rfm, 4, time_unit="W")
    unit_known = clv.BetaGeoModel.from_params(BG, time_unit="W")
    np.testing.assert_array_equal(
        old.to_numpy(), clv.customer_lifetime_value(unit_known, gg, rfm, "4W").to_numpy()
    )
    with pytest.raises(InputError, match="does not record its time unit"):
        clv.customer_lifetime_value(bg, gg, rfm, "4W")


# --------------------------------------------------------------------------------------------------
# Wrong units and ranges: clear errors that name the argument.
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"horizon": "12Q"}, r"horizon='12Q' is not a duration.*12M"),
        ({"horizon": "twelve"}, r"horizon='twelve' is not a duration"),
        ({"horizon": [12]}, r"horizon=\[12\] is not a number or a duration"),
        # A horizon per customer: named by its type and length, not pasted whole (50 lines).
        ({"horizon": pd.Series(np.full(50, 12.0))}, r"horizon=a Series of 50 is not a number"),
        ({"horizon": "0M"}, r"horizon='0M' must be above 0 and at most 100 years"),
        ({"horizon": "101Y"}, r"horizon='101Y' must be above 0 and at most 100 years"),
        ({"horizon": -3}, r"horizon must be > 0 and at most 100 years"),
        ({"horizon": float("nan")}, r"horizon must be > 0"),
        ({"horizon": "12M", "time_unit": "M"}, r"already carries its unit; drop time_unit='M'"),
        ({"horizon": 12, "time_unit": "Q"}, r"time_unit='Q' is not supported as a period"),
        ({"horizon": "36500D"}, r"36500 discounting steps.*longer period"),
    ],
)
def test_bad_horizons_name_the_argument(models, rfm, kwargs, message):
    bg, gg = models
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(InputError, match=message):
            clv.customer_lifetime_value(bg, gg, rfm, **kwargs)


def test_churn_risk_names_the_horizon_at_fault(models, rfm):
    bg, gg = models
    with pytest.raises(InputError, match=r"horizon='39X' is not a duration"):
        clv.churn_risk(bg, rfm, "39X")
    with pytest.raises(InputError, match=r"clv_horizon='12Q' is not a duration"):
        clv.churn_risk(bg, rfm, "39W", gg, clv_horizon="12Q")
    with pytest.raises(InputError, match=r"clv_horizon must be > 0"):
        clv.churn_risk(bg, rfm, "39W", gg, clv_horizon=0)
    with pytest.raises(InputError, match=r"stage_wait='8Q' is not a duration"):
        clv.price_increase_plan(clv.churn_risk(bg, rfm, 39), stage_wait="8Q")


# --------------------------------------------------------------------------------------------------
# One range for each rate and share, with the same words, in every function.
def _value_functions(models, rfm):
    bg, gg = models
    scores = clv.churn_risk(bg, rfm, 39, gg)
    # Scores that do not record their margin (a file, a join), so that the plan takes margin=
    # as given: it refuses one that contradicts a recorded margin.
    scores.attrs = {key: value for key, value in scores.attrs.items() if key != "margin"}
    return {
        "customer_lifetime_value": lambda **k: clv.customer_lifetime_value(bg, gg, rfm, "12M", **k),
        "clv_table": lambda **k: clv.clv_table(bg, gg, rfm, "12M", **k),
        "score_customers": lambda **k: score_customers(bg, gg, rfm, "12M", **k),
        "churn_risk": lambda **k: clv.churn_risk(bg, rfm, "39W", gg, **k),
        "net_clv": lambda **k: net_clv(bg, gg, rfm, "12M", **k),
        "cac_payback": lambda **k: cac_payback(bg, gg, rfm, 5.0, "12M", **k),
        "price_increase_plan": lambda **k: (
            clv.price_increase_plan(scores, **k) if "discount_rate" not in k else None
        ),
    }


DISCOUNT_REFUSED = "discount_rate must be between 0 and 1 (excluded), a fraction (0.05 = 5 %)"
MARGIN_REFUSED = "margin must be between 0 (excluded) and 1, a fraction (0.05 = 5 %)"


@pytest.mark.parametrize("rate", [-0.01, 1.0, 5.0, float("nan"), float("inf")])
def test_the_discount_rate_range_is_the_same_everywhere(models, rfm, rate):
    for name, call in _value_functions(models, rfm).items():
        if name == "price_increase_plan":
            continue
        with pytest.raises(InputError, match=re.escape(DISCOUNT_REFUSED)):
            call(discount_rate=rate)


@pytest.mark.parametrize("margin", [0.0, -0.2, 1.01, float("nan")])
def test_the_margin_range_is_the_same_everywhere(models, rfm, margin):
    for call in _value_functions(models, rfm).values():
        with pytest.raises(InputError, match=re.escape(MARGIN_REFUSED)):
            call(margin=margin)


def test_the_ends_of_the_ranges_that_are_allowed(models, rfm):
    for name, call in _value_functions(models, rfm).items():
        call(margin=1.0)
        call(margin=1e-9)
        if name != "price_increase_plan":
            call(discount_rate=0.0)
            call(discount_rate=0.999)


# --------------------------------------------------------------------------------------------------
# The plan's JSON: durations carry their unit, fractions stay fractions.
def test_plan_json_gives_each_duration_its_unit(models, rfm):
    bg, gg = models
    scores = clv.churn_risk(bg, rfm, "39W", gg, clv_horizon="12M")
    plan = clv.price_increase_plan(
        scores, (0.05, 0.025, 0.0), thresholds=(0.5, 0.8), stage_wait="8W", start="2025-01-06"
    )
    document = json.loads(json.dumps(plan.to_dict()))
    settings = document["settings"]
    assert (settings["horizon"], settings["horizon_unit"]) == (39, "W")
    assert (settings["clv_horizon"], settings["clv_horizon_unit"]) == (12, "M")
    assert settings["stage_wait_weeks"] == [8.0]
    assert document["increases"] == [0.05, 0.025, 0.0]
    assert document["tier_cuts"] == [0.5, 0.8]
    assert all(0 <= stage["break_even_churn"] < 1 for stage in document["stages"])
    # Older scores without the unit siblings still get them from their time units.
    older = scores.copy()
    older.attrs = {k: v for k, v in scores.attrs.items() if not k.endswith("horizon_unit")}
    again = clv.price_increase_plan(older, thresholds=(0.5, 0.8)).to_dict()["settings"]
    assert (again["horizon_unit"], again["clv_horizon_unit"]) == ("W", "M")


def test_stage_wait_with_a_unit_is_converted_to_weeks(models, rfm):
    bg, _ = models
    scores = clv.churn_risk(bg, rfm, 39)
    weeks = clv.price_increase_plan(scores, stage_wait=[8, 4], start="2025-01-06")
    named = clv.price_increase_plan(scores, stage_wait=["8W", "28D"], start="2025-01-06")
    pd.testing.assert_frame_equal(named.stages, weeks.stages, check_exact=True)
    months = clv.price_increase_plan(scores, stage_wait="2M")
    step = 2 * PERIOD_DAYS["M"] / 7
    np.testing.assert_allclose(months.stages["weeks_after_first_stage"], [0, step, 2 * step])


# --------------------------------------------------------------------------------------------------
# Durations: parse_duration round-trips, Duration.to is consistent.
UNITS = st.sampled_from(sorted(PERIOD_DAYS))


@st.composite
def durations(draw):
    unit = draw(UNITS)
    top = MAX_HORIZON_DAYS / PERIOD_DAYS[unit]
    value = draw(st.floats(min_value=1e-6, max_value=top, allow_nan=False, allow_infinity=False))
    return value, unit


@given(durations(), st.booleans())
def test_parse_duration_round_trips_value_and_unit(duration, lower):
    value, unit = duration
    text = f"{value!r}{unit.lower() if lower else unit}"
    parsed = parse_duration(text)
    assert parsed == Duration(value, unit)
    # The text form reads back as the same duration, to the last digit.
    assert parse_duration(str(Duration(value, unit))) == Duration(value, unit)
    assert parse_duration(parsed) == parsed


def test_a_duration_just_under_the_limit_reads_back_from_its_text():
    # 6 significant digits ("%g") made this 5217.86W: over 100 years, refused when read back.
    weeks = Duration(5217.85546875, "W")
    assert weeks.days <= MAX_HORIZON_DAYS
    assert parse_duration(str(weeks)) == weeks
    assert str(Duration(12.0, "M")) == "12M" and str(Duration(0.5, "Y")) == "0.5Y"


@given(durations(), UNITS, UNITS)
def test_duration_to_is_consistent(duration, a, b):
    value, unit = duration
    d = Duration(value, unit)
    assert d.to(unit) == pytest.approx(value, rel=1e-15)
    assert d.to(a) * PERIOD_DAYS[a] == pytest.approx(d.days, rel=1e-14)
    # Converting through another unit and back changes nothing but rounding.
    assert Duration(d.to(a), a).to(b) == pytest.approx(d.to(b), rel=1e-14)
    assert math.isclose(Duration(d.to(a), a).to(unit), value, rel_tol=1e-14)


def test_a_year_is_twelve_months_and_365_25_days():
    assert Duration(1, "Y").to("M") == 12.0
    assert Duration(12, "M").days == 365.25
    assert parse_duration("2Y").to("W") == pytest.approx(2 * 365.25 / 7)


# --------------------------------------------------------------------------------------------------
# The split: PERIOD_DAYS keeps its home, and no private name crosses a module of this area.
def test_period_days_is_still_importable_from_value():
    from clvmodel.value import PERIOD_DAYS as from_value

    assert from_value is PERIOD_DAYS
    assert clv.value.observed_years(1, 365) == 365 / 365.25


MODULES = [
    "value.py",
    "_naive.py",
    "scoring.py",
    "economics.py",
    "_unit_flows.py",
    "_naive_segments.py",
    "plotting/churn.py",
    "churn/__init__.py",
    "churn/risk.py",
    "churn/plan.py",
    "churn/summary.py",
    "churn/_scores.py",
]


@pytest.mark.parametrize("module", MODULES)
def test_no_private_name_is_imported_from_another_module(module):
    package = Path(clv.__file__).parent
    tree = ast.parse((package / module).read_text())
    # A module of a subpackage (clvmodel.churn) may share private names within it; the others none.
    inside = f"clvmodel.{module.split('/')[0]}." if "/" in module else None
    crossing = [
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("clvmodel")
        for alias in node.names
        if alias.name.startswith("_") and not (inside and node.module.startswith(inside))
    ]
    assert crossing == []


def test_horizon_messages_name_the_unit_in_words():
    """Before: "12 (periods of W)" and "at most 100 years (100 periods of Y)"."""
    from clvmodel._units import value_horizon

    with pytest.raises(clv.InputError) as error:
        value_horizon([1, 2], "W", default_unit="M")
    assert "e.g. 12 (weeks)" in str(error.value)
    with pytest.raises(clv.InputError) as error:
        value_horizon(200, "Y", default_unit="M")
    assert str(error.value) == "horizon must be > 0 and at most 100 years, got 200."
    with pytest.raises(clv.InputError, match=r"at most 100 years \(1200 months\)"):
        value_horizon(2000, "M", default_unit="M")
