"""The time unit of an RFM table handed to a value function (``customer_lifetime_value``,
``churn_risk``, ``score_customers``) or a plot: the one given as ``rfm_time_unit=``, or the one
:func:`clvmodel.rfm_summary` recorded in ``attrs`` (which join, merge and concat drop), checked
against the model's by the model's own predictions."""

from __future__ import annotations

import warnings

import pandas as pd

from clvmodel._caller import outside_stacklevel
from clvmodel._rfm_validate import table_time_unit
from clvmodel._units import carries_unit
from clvmodel.errors import ClvWarning, InputError

__all__ = ["check_table_unit", "with_rfm_time_unit"]

_UNITS = ("D", "W")


def with_rfm_time_unit(
    data, rfm_time_unit=None, time_unit=None, *, function: str, horizon=None, model=None
):
    """``data`` recording ``rfm_time_unit`` in its ``attrs`` (a shallow copy), so that every
    prediction made from it checks the unit against the model's.

    Parameters
    ----------
    data : pandas.DataFrame
        The RFM table as given.
    rfm_time_unit : {"D", "W"}, optional
        The unit of its ``recency`` and ``T``, for a table that does not record one.
    time_unit : str, optional
        The deprecated value-period argument of ``function`` as given. "D" or "W" beside a table
        that records no unit reads like the table's unit but is not: refused beside a
        ``horizon`` that carries its own unit (where it was refused anyway), and warned about
        when it differs from ``model``'s unit.
    function : str
        The public function's name, for the messages.
    horizon : object, optional
        The horizon that ``time_unit`` would be the period of.
    model : PurchaseModel, optional
        The purchase model, whose unit a table without one is read in.

    Returns
    -------
    pandas.DataFrame
        ``data`` itself, or a shallow copy recording the unit.

    Raises
    ------
    InputError
        ``rfm_time_unit`` is not "D" or "W" or contradicts the unit the table records, or
        ``time_unit`` is ambiguous beside a horizon with its unit.

    Warns
    -----
    ClvWarning
        ``time_unit`` is ambiguous and differs from the model's unit.
    """
    recorded = getattr(data, "attrs", {}).get("time_unit")
    if rfm_time_unit is None:
        if recorded is None and isinstance(time_unit, str) and time_unit.upper() in _UNITS:
            _ambiguous(time_unit, function, horizon, getattr(model, "time_unit_", None))
        return data
    table_time_unit(data, rfm_time_unit, name="rfm_time_unit")
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"{function} takes rfm_time_unit= with a pandas DataFrame only.")
    tagged = data.copy(deep=False)
    tagged.attrs = {**data.attrs, "time_unit": rfm_time_unit}
    return tagged


def _ambiguous(time_unit: str, function: str, horizon, model_unit) -> None:
    """Refuse or warn about ``time_unit="D"``/``"W"`` beside a table that records no unit: it is
    the deprecated value period of ``function``, not the table's unit (``rfm_time_unit=``)."""
    unit = time_unit.upper()
    hint = (
        f"if {unit!r} is the unit of the RFM table (whose recorded unit join, merge and concat "
        f"drop), pass rfm_time_unit={unit!r} instead"
    )
    if carries_unit(horizon):
        raise InputError(
            f"{function}: horizon={horizon!r} already carries its unit; drop time_unit="
            f"{time_unit!r} (the deprecated value period), or, {hint}."
        )
    if model_unit and model_unit != unit:
        warnings.warn(
            f"{function} reads time_unit={time_unit!r} as the deprecated period of the value, "
            "not as the unit of the RFM table, which records none and is read in the model's "
            f"unit ({model_unit!r}); {hint}.",
            ClvWarning,
            stacklevel=outside_stacklevel(),
        )


def check_table_unit(model, data, time_unit=None) -> None:
    """Refuse an RFM table in another time unit than the purchase model's.

    Parameters
    ----------
    model : PurchaseModel
        The fitted model; models without a calendar time unit are not checked.
    data : pandas.DataFrame
        The table, recording its unit in ``attrs`` or not.
    time_unit : {"D", "W"}, optional
        The table's unit when it records none.

    Raises
    ------
    InputError
        The units differ.
    """
    check = getattr(model, "_check_time_unit", None)
    if check is not None:
        check(data, time_unit)
