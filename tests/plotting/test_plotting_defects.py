"""Defects of the figures: each test fails on the code before its fix.

The published parameters (BG/NBD r, α, a, b and Gamma-Gamma p, q, γ on the CDNOW sample, in
weeks) are those of Fader, Hardie and Lee (2005), from tests/conftest.py.
"""

from __future__ import annotations

import math
import warnings

import matplotlib
from published import PUBLISHED_BG

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import clvmodel as clv  # noqa: E402
from clvmodel.plotting import (  # noqa: E402
    frequency_recency_grid,
    plot_churn_risk_vs_value,
    plot_churn_tiers,
    plot_clv_vs_naive,
    plot_coverage,
    plot_frequency_recency,
    plot_tracking,
)
from clvmodel.plotting.value import top_share  # noqa: E402
from clvmodel.subscription_churn import subscriber_price_plan  # noqa: E402

BG_PARAMS = PUBLISHED_BG


@pytest.fixture(scope="module")
def bg(published_bg):  # tests/conftest.py: the published parameters, in weeks
    return published_bg


@pytest.fixture(scope="module")
def rfm(cdnow_rfm):  # tests/conftest.py: the sample to 1997-09-30, in weeks
    return cdnow_rfm


# 1. Subscriber plans: the figures say what the scores say (cancel, in the billing unit).
SUBSCRIBERS = pd.DataFrame(
    {"periods": [0, 1, 3, 10, 4, 2, 7, 5], "cancelled": [0, 0, 0, 0, 1, 0, 0, 0]}
)


@pytest.mark.parametrize(
    "model",
    [
        clv.ShiftedBetaGeoModel.from_params({"alpha": 0.704, "beta": 1.182}, time_unit="M"),
        clv.BetaDiscreteWeibullModel.from_params(
            {"alpha": 0.7, "beta": 1.2, "c": 0.9}, time_unit="M"
        ),
    ],
)
def test_subscriber_plan_figures_name_the_cancellation(model):
    plan = subscriber_price_plan(
        model, SUBSCRIBERS, 3, price=10.0, thresholds=(0.2, 0.4), discount_rate=0.01
    )
    assert plan.settings["risk"] == "churn risk = P(cancel within the next 3 months | tenure)"
    label = "churn risk: P(cancel within the next 3 months)"
    assert plot_churn_tiers(plan).get_title().splitlines()[1] == f"({label})"
    assert plot_churn_risk_vs_value(plan).get_xlabel() == label
    scores = plan.assignments
    assert plot_churn_risk_vs_value(scores).get_xlabel() == label


@pytest.mark.parametrize(("unit", "words"), [("M", "months"), ("Y", "years"), ("D", "days")])
def test_risk_label_knows_months_and_years(unit, words):
    """Scores without a recorded description: the label is made from the horizon's unit."""
    scores = pd.DataFrame({"churn_risk": [0.1, 0.6, 0.9], "predicted_clv": [3.0, 2.0, 1.0]})
    scores["tier"] = pd.Categorical(["low", "medium", "high"], ["low", "medium", "high"], True)
    scores.attrs.update(score="no_purchase", horizon=3.0, time_unit=unit)
    label = f"churn risk: P(no purchase in the next 3 {words})"
    assert plot_churn_risk_vs_value(scores).get_xlabel() == label


# 3. Tiers without a spend model: nothing on the figure announces value.
def test_tier_figure_without_value_speaks_of_customers_only(bg, rfm):
    ax = plot_churn_tiers(clv.churn_risk(bg, rfm, horizon="39W"))
    assert len(ax.containers) == 1
    assert ax.get_ylabel() == "share of all customers (%)"
    assert ax.get_title().splitlines()[0] == "Customers by churn-risk tier"
    assert "value" not in ax.get_title() and "CLV" not in ax.get_ylabel()


# 4. Concentration: the marked share of customers is the one drawn and measured.
def test_concentration_labels_the_share_it_marks():
    table = pd.DataFrame({"predicted_clv": [1.0, 2.0, 3.0, 94.0], "naive_clv": 25.0})
    ax = plot_clv_vs_naive(table, kind="concentration")
    # 4 customers: the top 10 % and 20 % are both the top customer, 25 % of them, with 94 %.
    assert [(t.get_text(), tuple(map(float, t.xy))) for t in ax.texts] == [
        ("top 25 % (1 customer) hold 94 %", (25.0, 94.0))
    ]
    # 30 customers: the top 10 % are 3 (0.1 · 30 is 3.0000000000000004 in floating point).
    table = pd.DataFrame({"predicted_clv": np.arange(1.0, 31.0), "naive_clv": 1.0})
    ax = plot_clv_vs_naive(table, kind="concentration")
    texts = [t.get_text() for t in ax.texts]
    assert texts[0].startswith("top 10 % hold") and texts[1].startswith("top 20 % hold")
    assert [float(t.xy[0]) for t in ax.texts] == pytest.approx([10.0, 20.0])
    held = (30 + 29 + 28) / 465  # the 3 largest of 1 … 30, whose sum is 465
    assert float(ax.texts[0].xy[1]) == pytest.approx(100 * held)


@given(
    st.lists(st.floats(0.0, 1e6, allow_nan=False), min_size=1, max_size=60),
    st.sampled_from([0.1, 0.2, 0.3, 0.7]),
)
def test_top_share_is_the_fewest_whole_customers(values, share):
    customers, held = top_share(values, share)
    n = len(values)
    k = round(customers * n)
    assert math.isclose(customers, k / n)
    # The fewest whole customers that make at least `share` of them (to floating-point slack).
    assert k >= share * n - 1e-9 and (k - 1) < share * n - 1e-9
    ordered = np.sort(values)[::-1]
    if ordered.sum() > 0:
        assert held == pytest.approx(ordered[:k].sum() / ordered.sum(), rel=1e-12)
    else:
        assert math.isnan(held)


# 5-8. Heat maps.
def test_heat_map_refuses_models_it_cannot_draw(rfm, published_gg):
    data = rfm.assign(z=np.random.default_rng(1).normal(size=len(rfm)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        covariate = clv.BetaGeoModel(purchase_covariates=["z"]).fit(data)
    with pytest.raises(clv.InputError, match="draws a model without covariates") as refused:
        plot_frequency_recency(covariate, data)
    assert "['z']" in str(refused.value) and "bg.expected_purchases(data, t)" in str(refused.value)
    spend = published_gg
    retention = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.7, "beta": 1.3})
    for model in (spend, retention):
        with pytest.raises(clv.InputError, match="needs a fitted purchase model"):
            frequency_recency_grid(model, rfm)


def test_heat_map_of_a_model_without_unit_warns_nothing():
    bg = clv.BetaGeoModel.from_params(BG_PARAMS)  # no time unit
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grid = frequency_recency_grid(bg, T=39, max_frequency=3)
    # Unknown unit: only recency 0 is ruled out for repeat buyers.
    blank = np.zeros(grid.shape, dtype=bool)
    blank[1:, 0] = True
    np.testing.assert_array_equal(grid.isna().to_numpy(), blank)


def test_heat_map_of_a_cohort_younger_than_one_time_unit(bg):
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "date": ["2024-01-01", "2024-01-03", "2024-01-02"],
            "amount": [1.0, 2.0, 3.0],
        }
    )
    rfm = clv.rfm_summary(tx, observation_end="2024-01-05", time_unit="W")
    ax = plot_frequency_recency(bg, rfm)
    grid = frequency_recency_grid(bg, rfm)
    np.testing.assert_allclose(grid.columns, [0.0, 4 / 7])
    assert np.asarray(ax.collections[0].get_array()).shape == (2, 2)
    assert ax.get_title().endswith("customers whose first purchase was 0.571 weeks ago")


@pytest.mark.parametrize(("T", "age"), [(1234, "1,234"), (1500, "1,500"), (39, "39")])
def test_heat_map_title_prints_the_age_readably(T, age):
    bg = clv.BetaGeoModel.from_params(
        {"r": 0.24, "alpha": 31.0, "a": 0.79, "b": 2.43}, time_unit="D"
    )
    ax = plot_frequency_recency(bg, T=T, max_frequency=3, t=30)
    assert ax.get_title().endswith(f"customers whose first purchase was {age} days ago")


# 9 and 12. Tracking: the period named with its length; tables without what the figure needs.
def _tracking(unit, length, attrs=True):
    n = 4
    table = pd.DataFrame(
        {
            "period": np.arange(1, n + 1),
            "start_date": pd.date_range("1997-01-01", periods=n, freq="7D"),
            "phase": ["calibration", "calibration", "holdout", "holdout"],
            "actual_incremental": [1.0, 2.0, 3.0, 4.0],
            "model_incremental": [1.5, 2.0, 2.5, 3.0],
        }
    )
    table["actual_cumulative"] = table["actual_incremental"].cumsum()
    table["model_cumulative"] = table["model_incremental"].cumsum()
    if attrs:
        table.attrs.update(time_unit=unit, period=length, calibration_periods=2)
    return table


@pytest.mark.parametrize(
    ("unit", "length", "named"),
    [
        ("D", 7.0, "week"),
        ("W", 1.0, "week"),
        ("D", 1.0, "day"),
        ("W", 4.0, "period of 4 weeks"),
        ("D", 14.0, "period of 14 days"),
        (None, 1.0, "period"),
    ],
)
def test_tracking_names_its_period_with_its_length(unit, length, named):
    table = _tracking(unit, length)
    noun = named.split()[0]
    cumulative = plot_tracking(table)
    capital = named[:1].upper() + named[1:]
    assert cumulative.get_xlabel() == f"{capital} ({noun} 1 begins 1997-01-01)"
    incremental = plot_tracking(table, kind="incremental")
    assert incremental.get_ylabel() == f"Repeat transactions per {named}"
    assert incremental.get_title() == f"Tracking repeat transactions per {named}"


def test_tables_without_the_needed_columns_are_explained():
    bare = _tracking("W", 1.0, attrs=False).drop(columns="phase")
    with pytest.raises(clv.InputError, match="no column 'phase'"):
        plot_tracking(bare)
    # With the phase column the calibration end is found without attrs.
    ax = plot_tracking(_tracking("W", 1.0, attrs=False))
    assert ax.lines[2].get_xdata()[0] == 2
    with pytest.raises(clv.InputError, match="coverage table has no column 'observed_coverage'"):
        plot_coverage(_tracking("W", 1.0))


# 10. The churn horizon as given: one vocabulary on one figure.
def test_churn_horizon_is_labelled_as_given(bg, rfm, published_gg):
    scores = clv.churn_risk(bg, rfm, "3M", published_gg)
    assert scores.attrs["horizon"] == pytest.approx(3 * 365.25 / 12 / 7)  # 13.04… weeks
    assert (scores.attrs["horizon_as_given"], scores.attrs["horizon_as_given_unit"]) == (3.0, "M")
    assert scores.attrs["risk_description"] == (
        "churn risk = P(no purchase in the next 3 months | history)"
    )
    ax = plot_churn_risk_vs_value(scores)
    assert ax.get_xlabel() == "churn risk: P(no purchase in the next 3 months)"
    assert ax.get_ylabel() == "predicted CLV, next 3 months"
    plan = clv.price_increase_plan(scores)
    assert plan.settings["risk"] == scores.attrs["risk_description"]
    assert "next 3 months" in plot_churn_tiers(plan).get_title()
    # A bare number is in the model's unit, as before.
    bare = clv.churn_risk(bg, rfm, 39)
    assert (bare.attrs["horizon_as_given"], bare.attrs["horizon_as_given_unit"]) == (39.0, "W")
    assert "next 39 weeks" in plot_churn_tiers(bare).get_title()


# 2. Without ax=, pyplot manages the figure: Jupyter displays it, plt.show() shows it.
def test_figure_without_ax_is_pyplots_and_closes():
    plt.close("all")
    table = pd.DataFrame({"predicted_clv": [1.0, 2.0, 3.0, 94.0], "naive_clv": 25.0})
    ax = plot_clv_vs_naive(table)
    assert plt.get_fignums() == [ax.figure.number]
    assert plt.figure(ax.figure.number) is ax.figure  # what plt.show() and Jupyter show
    assert ax.figure.get_size_inches().tolist() == [7.0, 4.5]
    plt.close(ax.figure)
    assert plt.get_fignums() == []


def test_command_line_figures_leave_no_pyplot_figure(tmp_path, cdnow_log_files, monkeypatch):
    from cli_run import run_cli
    from figure_stubs import draw_figures_without_rendering

    log = cdnow_log_files[0]  # tests/conftest.py: the CDNOW sample as a CSV
    # Every figure is drawn as evaluate draws it; the one whose file is checked is also rendered.
    draw_figures_without_rendering(monkeypatch, render=("holdout_tracking_cumulative.png",))
    plt.close("all")
    result = run_cli("evaluate", log, "--calibration-end", "1997-09-30", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "holdout_tracking_cumulative.png").stat().st_size > 5_000
    assert plt.get_fignums() == []
