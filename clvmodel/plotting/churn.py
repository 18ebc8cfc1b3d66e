"""Figures of churn-risk tiers and price-increase plans (:mod:`clvmodel.churn`)."""

from __future__ import annotations

import re

import numpy as np

from clvmodel.churn import PriceIncreasePlan
from clvmodel.churn._scores import check_scores as _check_scores
from clvmodel.churn._scores import tier_table as _tier_table
from clvmodel.churn._scores import tiers_of as _tiers_of
from clvmodel.errors import InputError
from clvmodel.plotting._common import new_axes

__all__ = ["plot_churn_risk_vs_value", "plot_churn_tiers"]

_CUSTOMER_COLOUR = "#7f9fbf"
_VALUE_COLOUR = "#1f4e79"
_UNIT_WORDS = {"D": "days", "W": "weeks", "M": "months", "Y": "years"}


def _unpack(scores):
    """Per-customer table, tier categorical and labels, and the plan (or None)."""
    plan = scores if isinstance(scores, PriceIncreasePlan) else None
    frame = plan.assignments if plan is not None else scores
    frame = _check_scores(frame, need_tier=True)
    categorical, labels = _tiers_of(frame, None)
    return frame, categorical, labels, plan


def _tier_colours(n: int):
    from matplotlib.colors import LinearSegmentedColormap

    # Green for the lowest risk through orange to red for the highest, whatever the number of
    # tiers; no pale middle colour, so every tier stays visible on white.
    ramp = LinearSegmentedColormap.from_list("risk", ["#1a9850", "#f08a24", "#d73027"])
    return ramp(np.linspace(0.0, 1.0, n))


def plot_churn_tiers(scores, ax=None):
    """Share of customers and of predicted value in each churn-risk tier, as paired bars.

    Parameters
    ----------
    scores : pandas.DataFrame or PriceIncreasePlan
        Output of :func:`clvmodel.churn_risk` or :func:`clvmodel.price_increase_plan`; with a plan,
        each tier's stage and increase are shown under its name.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's Axes by default.

    Returns
    -------
    matplotlib.axes.Axes
        Bar heights are :func:`clvmodel.churn_tier_summary`'s ``share_of_customers`` and (with
        ``predicted_clv``) ``share_of_value``, in percent; bars are labelled with the customer
        count and the total predicted CLV.

    Examples
    --------
    >>> import pandas as pd
    >>> import clvmodel as clv
    >>> scores = pd.DataFrame({"churn_risk": [0.1, 0.6, 0.9], "predicted_clv": [30.0, 20.0, 1.0]})
    >>> plan = clv.price_increase_plan(scores, thresholds=(0.5, 0.8), margin=1.0)
    >>> ax = plot_churn_tiers(plan)
    >>> [round(float(b.get_height()), 1) for b in ax.containers[1]]
    [58.8, 39.2, 2.0]
    """
    frame, categorical, labels, plan = _unpack(scores)
    table = _tier_table(frame, categorical, labels)
    ax = new_axes(ax)
    positions = np.arange(len(labels))
    has_value = "total_predicted_clv" in table.columns
    width = 0.38 if has_value else 0.6
    offset = width / 2 if has_value else 0.0
    customers = ax.bar(
        positions - offset,
        100.0 * table["share_of_customers"].to_numpy(),
        width,
        color=_CUSTOMER_COLOUR,
        label="customers",
    )
    ax.bar_label(customers, labels=[f"{n:,}" for n in table["customers"]], padding=2, fontsize=8)
    if has_value:
        value = ax.bar(
            positions + offset,
            100.0 * table["share_of_value"].to_numpy(),
            width,
            color=_VALUE_COLOUR,
            label="predicted CLV",
        )
        ax.bar_label(
            value, labels=[f"{v:,.0f}" for v in table["total_predicted_clv"]], padding=2, fontsize=8
        )
    names = []
    for k, (label, row) in enumerate(table.iterrows()):
        text = str(label)
        if row["customers"] > 0:
            text += f"\nrisk {100 * row['min_churn_risk']:.0f}–{100 * row['max_churn_risk']:.0f} %"
        if plan is not None:
            step = plan.increases[k]
            text += f"\nstage {k + 1}: " + (f"+{100 * step:.4g} %" if step > 0 else "no increase")
        names.append(text)
    ax.set_xticks(positions, names, parse_math=False)  # tier names as written ("$5 plan")
    shares = (
        "share of all customers / of total predicted CLV" if has_value else "share of all customers"
    )
    ax.set_ylabel(f"{shares} (%)")
    highest = table.drop(columns=["customers"]).filter(like="share_of").to_numpy().max()
    ax.set_ylim(0, 100.0 * highest * 1.15 + 1.0)
    what = "Customers and predicted value" if has_value else "Customers"
    ax.set_title(f"{what} by churn-risk tier\n({_risk_label(frame, plan)})")
    ax.legend(loc="upper left", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _risk_label(frame, plan) -> str:
    """What the churn risk is, for an axis: the description the scores (or the plan) record, as
    "churn risk: P(cancel within the next 3 months)", else one made from their horizon."""
    recorded = frame.attrs.get("risk_description")
    if not isinstance(recorded, str) and plan is not None:
        recorded = plan.settings.get("risk")
    if isinstance(recorded, str) and recorded != "churn risk as given":
        # "churn risk = P(event | condition)" reads "churn risk: P(event)" on a figure.
        label = re.sub(r"^churn risk = ", "churn risk: ", recorded)
        return re.sub(r" \| [^|()]*\)$", ")", label)
    settings = plan.settings if plan is not None else frame.attrs
    horizon, unit = settings.get("horizon"), settings.get("time_unit")
    if frame.attrs.get("horizon_as_given") is not None:
        horizon, unit = frame.attrs["horizon_as_given"], frame.attrs.get("horizon_as_given_unit")
    if settings.get("score") == "not_alive":
        return "churn risk: 1 − P(alive)"
    if horizon is None:
        return "churn risk"
    words = _UNIT_WORDS.get(unit, "time units")
    return f"churn risk: P(no purchase in the next {horizon:g} {words})"


def _value_label(frame, plan) -> str:
    settings = frame.attrs if plan is None else plan.assignments.attrs
    horizon, unit = settings.get("clv_horizon"), settings.get("clv_time_unit")
    if horizon is None:
        return "predicted CLV"
    unit = _UNIT_WORDS.get(unit, "periods")
    return f"predicted CLV, next {horizon:g} {unit}"


def _cuts(frame, categorical, labels, plan) -> list[float]:
    recorded = plan.tier_cuts if plan is not None else frame.attrs.get("tier_cuts")
    if recorded is not None and len(recorded) == len(labels) - 1:
        return [float(c) for c in recorded]
    # Without recorded cut points, mark where each higher tier begins.
    risk = frame["churn_risk"].to_numpy(dtype="float64")
    codes = np.asarray(categorical.codes)
    return [float(risk[codes == k].min()) for k in range(1, len(labels)) if (codes == k).any()]


def plot_churn_risk_vs_value(scores, ax=None, value_cut=None):
    """Churn risk against predicted CLV per customer, coloured by tier: the pricing quadrant.

    Low risk and high value (top left) is where a price increase is safest and matters most; high
    risk and high value (top right) is the value to protect.

    Parameters
    ----------
    scores : pandas.DataFrame or PriceIncreasePlan
        Output of :func:`clvmodel.churn_risk` with a spend model (``predicted_clv``), or a plan.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's Axes by default.
    value_cut : float, optional
        Predicted CLV of the horizontal quadrant line; the median by default.

    Returns
    -------
    matplotlib.axes.Axes
        One scatter per tier (lowest risk first) of (``churn_risk``, ``predicted_clv``), dashed
        vertical lines at the tier cut points and a dotted horizontal line at ``value_cut``. The
        value axis is linear below 1 and logarithmic above (matplotlib's ``symlog``).

    Examples
    --------
    >>> import pandas as pd
    >>> import clvmodel as clv
    >>> scores = pd.DataFrame({"churn_risk": [0.1, 0.6, 0.9], "predicted_clv": [30.0, 20.0, 1.0]})
    >>> plan = clv.price_increase_plan(scores, thresholds=(0.5, 0.8), margin=1.0)
    >>> ax = plot_churn_risk_vs_value(plan)
    >>> [float(line.get_xdata()[0]) for line in ax.lines[:2]]
    [0.5, 0.8]
    """
    frame, categorical, labels, plan = _unpack(scores)
    if "predicted_clv" not in frame.columns:
        raise InputError(
            "the scores have no predicted_clv; pass a spend model to clv.churn_risk(bg, data, "
            "horizon, gg=...) to plot risk against value."
        )
    risk = frame["churn_risk"].to_numpy(dtype="float64")
    value = frame["predicted_clv"].to_numpy(dtype="float64")
    median = value_cut is None
    if median:
        value_cut = float(np.median(value))
    else:
        value_cut = _value_cut(value_cut)
    ax = new_axes(ax)
    codes = np.asarray(categorical.codes)
    colours = _tier_colours(len(labels))
    for k, label in enumerate(labels):
        members = codes == k
        ax.scatter(
            risk[members],
            value[members],
            s=9,
            alpha=0.55,
            color=colours[k],
            edgecolors="none",
            label=f"{label} ({int(members.sum()):,})",
        )
    _draw_cuts(ax, _cuts(frame, categorical, labels, plan), value_cut, median)
    _draw_value_axis(ax)
    _label_quadrants(ax)
    ax.set_xlabel(_risk_label(frame, plan))
    ax.set_ylabel(_value_label(frame, plan))
    ax.set_title("Churn risk against predicted value, by tier", pad=14)
    legend = ax.legend(
        title="tier (customers)",
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        fontsize=8,
        markerscale=2,
    )
    for handle in legend.legend_handles:
        handle.set_alpha(1.0)
    for text in legend.get_texts():
        text.set_parse_math(False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _value_cut(value_cut) -> float:
    """``value_cut`` as a number ≥ 0, else an InputError naming it (text too)."""
    try:
        number = float(value_cut)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(value_cut, bool | str) or not np.isfinite(number) or number < 0:
        raise InputError(f"value_cut must be a predicted CLV ≥ 0, got {value_cut!r}.")
    return number


def _draw_cuts(ax, cuts, value_cut, median) -> None:
    """Dashed vertical lines at the tier cut points, a dotted horizontal one at ``value_cut``."""
    for cut in cuts:
        ax.axvline(cut, linestyle="--", linewidth=1, color="0.3")
        ax.annotate(
            f"{100 * cut:.3g} %",
            xy=(cut, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
            color="0.3",
        )
    ax.axhline(value_cut, linestyle=":", linewidth=1, color="0.3")
    ax.annotate(
        f"{'median ' if median else ''}CLV {value_cut:,.2f}",
        xy=(0.0, value_cut),
        xycoords=("axes fraction", "data"),
        xytext=(3, 3),
        textcoords="offset points",
        fontsize=8,
        color="0.3",
    )


def _draw_value_axis(ax) -> None:
    """Value axis linear below 1 and logarithmic above; risk axis from 0 to 1."""
    from matplotlib.ticker import FuncFormatter

    ax.set_yscale("symlog", linthresh=1.0)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_ylim(bottom=0)
    ax.set_xlim(0, 1)


def _label_quadrants(ax) -> None:
    """Name the four corners of the risk-value plane."""
    corners = {
        (0.02, 0.97, "left", "top"): "low risk, high value:\nraise first",
        (0.98, 0.97, "right", "top"): "high risk, high value:\nprotect",
        (0.02, 0.03, "left", "bottom"): "low risk, low value",
        (0.98, 0.03, "right", "bottom"): "high risk, low value",
    }
    box = {"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.8}
    for (x, y, ha, va), text in corners.items():
        ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=8, color="0.3", bbox=box)
