"""Figures of churn tiers and price-increase plans: they render, and draw the tables' numbers."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import clvmodel as clv
from clvmodel.plotting import plot_churn_risk_vs_value, plot_churn_tiers


@pytest.fixture(scope="module")
def scores():
    rfm = clv.rfm_summary(clv.datasets.load_cdnow_sample(), observation_end="1997-09-30")
    bg = clv.BetaGeoModel().fit(rfm)
    gg = clv.GammaGammaModel().fit(rfm)
    return clv.churn_risk(bg, rfm, horizon=39, gg=gg)


@pytest.fixture(scope="module")
def plan(scores):
    return clv.price_increase_plan(scores, (0.05, 0.025, 0.0), stage_wait=8)


def test_tier_bars_are_the_tier_table(plan, tmp_path):
    figures_before = plt.get_fignums()
    ax = plot_churn_tiers(plan)
    path = tmp_path / "tiers.png"
    ax.figure.savefig(path, dpi=60)
    assert path.stat().st_size > 5_000
    # Without ax=, the figure is pyplot's: Jupyter displays it and plt.show() shows it.
    assert plt.get_fignums() == [*figures_before, ax.figure.number]

    table = clv.churn_tier_summary(plan.assignments)
    customers, value = ax.containers
    np.testing.assert_allclose(
        [bar.get_height() for bar in customers], 100 * table["share_of_customers"]
    )
    np.testing.assert_allclose([bar.get_height() for bar in value], 100 * table["share_of_value"])
    assert [t.get_text() for t in ax.texts[:3]] == [f"{n:,}" for n in table["customers"]]
    assert [t.get_text() for t in ax.texts[3:]] == [
        f"{v:,.0f}" for v in table["total_predicted_clv"]
    ]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0].startswith("low") and "stage 1: +5 %" in ticks[0]
    assert "stage 3: no increase" in ticks[2]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["customers", "predicted CLV"]
    assert "39 weeks" in ax.get_title()


def test_tier_bars_without_value_show_customers_only(scores):
    ax = plot_churn_tiers(scores.drop(columns="predicted_clv"))
    assert len(ax.containers) == 1
    np.testing.assert_allclose(
        [bar.get_height() for bar in ax.containers[0]],
        100 * scores["tier"].value_counts(normalize=True).sort_index(),
    )


def test_quadrant_points_and_lines_are_the_scores(plan, tmp_path):
    ax = Figure().add_subplot()
    assert plot_churn_risk_vs_value(plan, ax=ax) is ax
    ax.figure.savefig(tmp_path / "quadrant.png", dpi=60)

    assigned = plan.assignments
    assert len(ax.collections) == 3
    for collection, tier in zip(ax.collections, ["low", "medium", "high"], strict=True):
        members = assigned[assigned["tier"] == tier]
        np.testing.assert_allclose(
            collection.get_offsets(), members[["churn_risk", "predicted_clv"]].to_numpy()
        )
        assert collection.get_label() == f"{tier} ({len(members):,})"
    vertical = [line.get_xdata()[0] for line in ax.lines[:2]]
    assert vertical == [0.5, 0.8]
    assert ax.lines[2].get_ydata()[0] == pytest.approx(assigned["predicted_clv"].median())
    assert "39 weeks" in ax.get_xlabel() and "CLV" in ax.get_ylabel()


def test_quadrant_marks_tier_boundaries_without_recorded_cuts(scores):
    plain = pd.DataFrame(
        {
            "churn_risk": scores["churn_risk"].to_numpy(),
            "predicted_clv": scores["predicted_clv"].to_numpy(),
            "tier": scores["tier"].astype(str).to_numpy(),
        }
    )
    ax = plot_churn_risk_vs_value(plain, value_cut=50.0)
    starts = [scores.loc[scores["tier"] == t, "churn_risk"].min() for t in ("medium", "high")]
    assert [line.get_xdata()[0] for line in ax.lines[:2]] == starts
    assert ax.lines[2].get_ydata()[0] == 50.0


def test_quadrant_needs_value(scores):
    with pytest.raises(clv.InputError, match="gg="):
        plot_churn_risk_vs_value(scores.drop(columns="predicted_clv"))


def test_tier_names_are_drawn_as_written(scores):
    # On the report's figures, a name between two "$" was drawn as mathtext
    # ("$5 plan" and "$9 plan" lost their dollars), and an unbalanced one raised matplotlib's
    # ValueError when drawn.
    names = ("$5 plan", "$9 plan", r"$x^{$ odd")
    tiered = clv.price_increase_plan(
        scores.drop(columns="tier"),
        dict(zip(names, (0.05, 0.025, 0.0), strict=True)),
        thresholds=(0.5, 0.8),
    )
    for draw in (plot_churn_tiers, plot_churn_risk_vs_value):
        fig = Figure()
        ax = draw(tiered, ax=fig.subplots())
        fig.canvas.draw()  # raised on the unbalanced name
        texts = [t for t in ax.get_xticklabels() if t.get_text()]
        if ax.get_legend() is not None:
            texts += list(ax.get_legend().get_texts())
        drawn = [t for t in texts if "$" in t.get_text()]
        assert drawn and not any(t.get_parse_math() for t in drawn)
        assert any(t.get_text().startswith(names[0]) for t in drawn)
