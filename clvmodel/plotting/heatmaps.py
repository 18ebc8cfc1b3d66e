"""Heat maps of BG/NBD predictions across frequency and recency.

For customers of one age T (time since their first purchase), BG/NBD's predictions depend only on
how many repeat purchases they made (frequency x) and when the last one was (recency t_x). The
heat maps show that dependence, as in Fader, Hardie and Lee (2005), "RFM and CLV: using iso-value
curves": a customer who bought often but not lately has probably left, so their expected purchases
fall towards 0 as recency shrinks, while a customer who bought often and recently is the most
valuable.

:func:`frequency_recency_grid` computes the table of predictions; :func:`plot_frequency_recency`
draws it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from clvmodel._rfm_validate import RECENCY_RTOL
from clvmodel._units import PERIOD_DAYS, Duration
from clvmodel.errors import InputError
from clvmodel.models import PurchaseModel
from clvmodel.models._horizon import check_horizon
from clvmodel.models._table_unit import check_table_unit
from clvmodel.plotting._common import new_axes
from clvmodel.rfm import validate_rfm

__all__ = ["frequency_recency_grid", "plot_frequency_recency"]

_KINDS = ("expected_purchases", "probability_alive")
_UNIT_WORDS = {"W": "weeks", "D": "days"}
#: Default cap on the rows of the grid when they are taken from the data's largest frequency.
_MAX_ROWS = 50
_MAX_COLUMNS = 100


def _positive(name: str, value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number > 0, got {value!r}.") from None
    if not (math.isfinite(number) and number > 0):
        raise InputError(f"{name} must be a number > 0, got {value!r}.")
    return number


def _grid_shape(bg, data, T, max_frequency, recency_points) -> tuple[float, int, int]:
    """T, max_frequency and recency_points checked, with their defaults from ``data`` (in the
    model's time unit: a table recording another is refused)."""
    if data is not None:
        rfm = validate_rfm(data)
        check_table_unit(bg, data)
        if T is None:
            T = float(rfm.T.max())
        if max_frequency is None:
            max_frequency = int(min(rfm.frequency.max(), _MAX_ROWS))
    if T is None or max_frequency is None:
        raise InputError(
            "pass the RFM table (data=) to take T and max_frequency from it, or give both T= (the "
            "customers' age) and max_frequency=."
        )
    T = _positive("T", T)
    max_frequency = _whole("max_frequency", max_frequency, 0)
    if recency_points is None:
        # One per time unit, and at least 0 and T (a cohort younger than one time unit).
        recency_points = max(2, min(int(math.floor(T)) + 1, _MAX_COLUMNS))
    recency_points = _whole("recency_points", recency_points, 2)
    return T, max_frequency, recency_points


def _whole(name: str, value, least: int) -> int:
    """``value`` as a whole number ≥ ``least`` (5 or 5.0), else an InputError naming ``name``
    (text and lists too, which ``float`` refuses with its own words)."""
    try:
        whole = not isinstance(value, bool | str) and float(value).is_integer()
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole or int(value) < least:
        raise InputError(f"{name} must be a whole number ≥ {least}, got {value!r}.")
    return int(value)


def frequency_recency_grid(
    bg,
    data=None,
    *,
    kind: str = "expected_purchases",
    t: float = 1.0,
    T: float | None = None,
    max_frequency: int | None = None,
    recency_points: int | None = None,
) -> pd.DataFrame:
    """BG/NBD predictions for every frequency 0 … ``max_frequency`` and recency 0 … ``T``.

    Parameters
    ----------
    bg : PurchaseModel
        Fitted purchase model (BG/NBD, MBG/NBD or Pareto/NBD).
    data : pandas.DataFrame, optional
        RFM table of the customers the map is about; it supplies the defaults of ``T`` (the
        largest customer age) and ``max_frequency`` (the largest frequency, at most 50).
    kind : {"expected_purchases", "probability_alive"}
        Expected purchases in the next ``t`` time units (eq. 10 of Fader, Hardie and Lee 2005),
        or the probability that the customer is still active (eq. 13).
    t : float or duration
        Horizon of the expected purchases, in the model's time unit or as a duration such as
        ``"52W"`` or ``"12M"`` (converted to it); ignored for ``"probability_alive"``.
    T : float or duration, optional
        Age of the customers (time from the first purchase to the end of observation), in the
        model's time unit or as a duration. Required without ``data``.
    max_frequency : int, optional
        Largest number of repeat purchases (the last row). Required without ``data``.
    recency_points : int, optional
        Number of recencies, evenly spaced from 0 to ``T``; by default one per time unit
        (``floor(T) + 1``), at least 2 and at most 100.

    Returns
    -------
    pandas.DataFrame
        Index ``frequency`` (0, 1, …, ``max_frequency``), columns ``recency`` (the recencies,
        increasing, the last equal to ``T``), values the predictions. Recency means nothing
        without a repeat purchase, so the frequency-0 row holds the prediction for a customer
        without repeat purchases (recency 0) in every column. Cells with more repeat purchases
        than days are impossible and left blank (NaN): frequency counts repeat purchase days,
        so a repeat buyer's recency is at least one day per repeat purchase; the recency-0
        column is blank for every frequency ≥ 1, and with the model's time unit known (weeks
        or days) so is every cell with frequency above recency in days. ``attrs`` records
        ``kind``, ``t``, ``T`` and ``time_unit``.

    Examples
    --------
    >>> import clvmodel as clv
    >>> from clvmodel.plotting.heatmaps import frequency_recency_grid
    >>> bg = clv.BetaGeoModel.from_params(
    ...     {"r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262}, time_unit="W")
    >>> grid = frequency_recency_grid(bg, kind="probability_alive", T=39, max_frequency=5)
    >>> grid.shape
    (6, 40)
    >>> float(grid.loc[0].min()), round(float(grid.loc[5, 39.0]), 3)
    (1.0, 0.89)
    >>> int(grid.isna().sum().sum())  # frequencies 1-5 at recency 0: no time for repeat purchases
    5
    """
    _check_model(bg)
    if kind not in _KINDS:
        raise InputError(f"kind must be 'expected_purchases' or 'probability_alive', got {kind!r}.")
    T = _model_units(bg, T, "T")
    T, max_frequency, recency_points = _grid_shape(bg, data, T, max_frequency, recency_points)
    if kind == "expected_purchases":
        t = _positive("t", _model_units(bg, t, "t"))

    return _predictions_grid(bg, kind, t, T, max_frequency, recency_points)


def _model_units(bg, value, name: str):
    """A duration ("39W", "12M") as a number of the model's time units; anything else as given."""
    if not isinstance(value, str | Duration):
        return value
    return float(check_horizon(value, None, name=name, unit=getattr(bg, "time_unit_", None)))


def _check_model(bg) -> None:
    """Refuse what the map cannot draw: anything but a purchase model without covariates."""
    if not isinstance(bg, PurchaseModel):
        raise InputError(
            "the heat map needs a fitted purchase model (clvmodel.BetaGeoModel, "
            f"ModifiedBetaGeoModel or ParetoNBDModel), got {type(bg).__name__}."
        )
    if bg.has_covariates:
        names = [*bg.purchase_covariates, *bg.dropout_covariates]
        raise InputError(
            "the heat map draws a model without covariates: each cell is one history (frequency, "
            f"recency, T), while this model's predictions also depend on {names}. For each "
            "customer's own predictions, call bg.expected_purchases(data, t) or "
            "bg.probability_alive(data) on the RFM table with its covariate columns; for a map, "
            "fit a model without covariates."
        )


def _predictions_grid(bg, kind, t, T, max_frequency, recency_points) -> pd.DataFrame:
    """The model's predictions on the (frequency, recency) grid, as a labelled table.

    Only the cells a transaction log can give are predicted; the others are NaN. Cells with more
    repeat purchases than days are impossible and left blank: frequency counts repeat purchase
    days, so a repeat buyer's recency is at least a day, and (with the model's time unit known)
    at least one day per repeat purchase (the rule :func:`clvmodel.rfm.validate_rfm` enforces).
    """
    frequencies = np.arange(max_frequency + 1, dtype="float64")
    recencies = np.linspace(0.0, T, recency_points)
    x, t_x = np.meshgrid(frequencies, recencies, indexing="ij")
    # Without a repeat purchase the recency is 0 by definition (and BG/NBD's predictions do not
    # depend on it), so the frequency-0 row is the one valid history, repeated across the columns.
    t_x = np.where(x == 0, 0.0, t_x)
    unit = getattr(bg, "time_unit_", None)
    # A cell stands for a summary of dated purchases: a repeat buyer's recency holds at least
    # one day per repeat purchase (in a model of unknown unit, only recency 0 is ruled out).
    possible = (x == 0) | (t_x > 0)
    if unit in ("D", "W"):
        possible &= x <= t_x * PERIOD_DAYS[unit] * (1 + RECENCY_RTOL)
    histories = pd.DataFrame({"frequency": x[possible], "recency": t_x[possible], "T": T})
    if unit is not None:
        histories.attrs["time_unit"] = unit
    if kind == "expected_purchases":
        predicted = bg.expected_purchases(histories, t)
    else:
        predicted = bg.probability_alive(histories)
    values = np.full(x.shape, np.nan)
    values[possible] = predicted.to_numpy(dtype="float64")
    grid = pd.DataFrame(
        values,
        index=pd.Index(frequencies.astype("int64"), name="frequency"),
        columns=pd.Index(recencies, name="recency"),
    )
    grid.attrs.update(
        {
            "kind": kind,
            "t": t if kind == "expected_purchases" else None,
            "T": T,
            "time_unit": unit,
        }
    )
    return grid


def _titles(attrs) -> tuple[str, str]:
    code = attrs.get("time_unit")
    unit = _UNIT_WORDS.get(code, "time units")
    if attrs.get("kind") == "probability_alive":
        title = "Probability the customer is still active, P(alive)"
        colour = "P(alive)"
    else:
        t = attrs.get("t")
        horizon = "the horizon"
        if t is not None:
            words = Duration(t, code).words if code in _UNIT_WORDS else f"{t:g} {unit}"
            horizon = f"the next {words}"
        title = f"Expected purchases in {horizon}"
        colour = "expected purchases"
    T = attrs.get("T")
    if T is not None:
        # A readable age: "1,234 days", "39 weeks", "0.571 weeks" (never "1.23e+03").
        age = f"{T:,.0f}" if abs(T) >= 100 else f"{T:.3g}"
        unit = unit.removesuffix("s") if age == "1" and code in _UNIT_WORDS else unit
        title += f"\ncustomers whose first purchase was {age} {unit} ago"
    return title, colour


def _grid_to_plot(bg, data, **options) -> pd.DataFrame:
    """The table to draw: ``bg`` itself when it is one from :func:`frequency_recency_grid`."""
    if isinstance(bg, pd.DataFrame):
        grid = bg
        if grid.index.name != "frequency" or grid.columns.name != "recency":
            raise InputError(
                "a table to plot must come from frequency_recency_grid (index 'frequency', "
                "columns 'recency'); or pass the fitted BetaGeoModel itself."
            )
        if grid.empty or grid.isna().all().all():
            raise InputError(
                "the grid has no predictions to draw (no rows, no columns, or every cell "
                "blank); make it with frequency_recency_grid, or pass the fitted model itself."
            )
    else:
        grid = frequency_recency_grid(bg, data, **options)
    return grid


def plot_frequency_recency(
    bg,
    data=None,
    *,
    kind: str = "expected_purchases",
    t: float = 1.0,
    T: float | None = None,
    max_frequency: int | None = None,
    recency_points: int | None = None,
    ax=None,
    cmap: str | None = None,
):
    """Heat map of expected purchases or P(alive) by frequency and recency.

    Parameters
    ----------
    bg : PurchaseModel or pandas.DataFrame
        Fitted purchase model, or a table from :func:`frequency_recency_grid` (then ``data``,
        ``kind``, ``t``, ``T``, ``max_frequency`` and ``recency_points`` are not used).
    data, kind, t, T, max_frequency, recency_points
        As in :func:`frequency_recency_grid`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's Axes by default. A colour bar is added beside it.
    cmap : str, optional
        Colour map; ``"viridis"`` by default.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.collections[0]`` is the heat map (a ``QuadMesh``): ``get_array()`` holds the grid,
        one row per frequency (0, 1, …) and one column per recency (increasing), equal to
        ``frequency_recency_grid(...).to_numpy()`` with its NaN masked; cells are centred on the
        recencies (x) and frequencies (y). Cells with more repeat purchases than days are
        impossible and left blank (masked, drawn in no colour).

    Examples
    --------
    >>> import clvmodel as clv
    >>> from clvmodel.plotting import plot_frequency_recency
    >>> bg = clv.BetaGeoModel.from_params(
    ...     {"r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262}, time_unit="W")
    >>> ax = plot_frequency_recency(bg, kind="expected_purchases", t=52, T=39, max_frequency=10)
    >>> ax.collections[0].get_array().shape  # frequencies 0-10 × recencies 0-39
    (11, 40)
    """
    grid = _grid_to_plot(
        bg, data, kind=kind, t=t, T=T, max_frequency=max_frequency, recency_points=recency_points
    )
    attrs = grid.attrs
    ax = new_axes(ax)
    values = grid.to_numpy(dtype="float64")
    recencies = grid.columns.to_numpy(dtype="float64")
    frequencies = grid.index.to_numpy(dtype="float64")
    limits = {"vmin": 0.0, "vmax": 1.0} if attrs.get("kind") == "probability_alive" else {}
    # Impossible cells are NaN: masked, so that they are drawn in no colour and the colour
    # scale spans the possible cells only.
    mesh = ax.pcolormesh(
        recencies,
        frequencies,
        np.ma.masked_invalid(values),
        shading="nearest",
        cmap=cmap or "viridis",
        **limits,
    )
    title, colour = _titles(attrs)
    ax.figure.colorbar(mesh, ax=ax, label=colour)
    unit = _UNIT_WORDS.get(attrs.get("time_unit"), "time units")
    ax.set_xlabel(f"Recency: time from first to last purchase ({unit})")
    ax.set_ylabel("Frequency: repeat purchases")
    ax.set_title(title, fontsize=10)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return ax
