"""Day One and history-conditional prediction tables, and the checks on the tables they read."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from clvmodel._caller import outside_stacklevel
from clvmodel.dayone._checks import (
    RFM_COLUMNS,
    check_frame,
    covariates_by_process,
    examples,
    numeric_column,
    require_columns,
)
from clvmodel.errors import ClvWarning, InputError
from clvmodel.models import PURCHASE_MODELS
from clvmodel.models.gamma_gamma import GammaGammaModel
from clvmodel.rfm import TIME_UNITS, RfmArrays, validate_rfm


def fitting_tables(
    rfm, attributes, time_unit: str | None, required: list[str], first_purchase_col: str | None
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The checked RFM table, the attributes in its customer order, and its time unit."""
    rfm = check_frame(rfm, "the RFM table")
    validate_rfm(rfm, require=RFM_COLUMNS)
    recorded = rfm.attrs.get("time_unit")
    if time_unit is not None and recorded is not None and time_unit != recorded:
        raise InputError(  # as the purchase models' fit: a table in days fitted as weeks
            f"time_unit={time_unit!r} contradicts the table's own time unit {recorded!r} "
            "(recorded by rfm_summary); leave time_unit out or rebuild the table."
        )
    unit = time_unit if time_unit is not None else recorded
    if unit not in TIME_UNITS:
        raise InputError(
            f"the time unit of the RFM table is {unit!r}; build it with "
            "clvmodel.rfm_summary(...), or pass time_unit='W' or 'D'."
        )
    attributes = check_frame(attributes, "the signup attributes")
    require_columns(attributes, required, "the signup attributes")
    missing = rfm.index.difference(attributes.index)
    if len(missing):
        raise InputError(
            f"the signup attributes have no row for {len(missing)} of the {len(rfm)} "
            f"customers in the RFM table (for example {examples(missing)}); give every "
            "customer a row (same ids as the RFM index), or drop those customers from the RFM "
            f"table.{id_type_hint(rfm.index, attributes.index)}"
        )
    extra = attributes.index.difference(rfm.index)
    if len(extra):
        warnings.warn(
            f"{len(extra)} of the {len(attributes)} rows of the signup attributes are of customers "
            f"not in the RFM table (for example {examples(extra)}); they are left out of the fit.",
            ClvWarning,
            stacklevel=outside_stacklevel(),
        )
    price = single_price(rfm)
    if price is not None:
        raise InputError(
            f"every one of the {price[0]:,} repeat buyers spent the same per purchase "
            f"({price[1]:.6g}, a single price?): DayOneModel's spend model has no spread in "
            "spend for the attributes to explain. Check monetary_value; if every purchase "
            "costs the same, fit clvmodel.BetaGeoCovariateModel on the RFM table with the "
            "attributes as covariates, and value each purchase at the price."
        )
    matched = attributes.loc[rfm.index]
    if first_purchase_col is not None:  # of the customers fitted on only: the others are left out
        first_purchase_amounts(matched, first_purchase_col, "the signup attributes", fitting=True)
    return rfm, matched, unit


def id_type_hint(rfm_ids: pd.Index, attribute_ids: pd.Index) -> str:
    """A sentence for a "no row for these customers" message when no id of the RFM table is in
    the signup attributes because one table has its ids as numbers and the other as text (``4``
    is not ``"00004"``, nor ``"4"``); else ``""``."""
    numeric = [pd.api.types.is_numeric_dtype(ids.dtype) for ids in (rfm_ids, attribute_ids)]
    if numeric[0] == numeric[1] or len(rfm_ids.intersection(attribute_ids)):
        return ""
    kinds = ["numbers" if n else "text" for n in numeric]
    return (
        f" The RFM table's customer ids are {kinds[0]} (such as {examples(rfm_ids[:2])}) and "
        f"the signup attributes' are {kinds[1]} (such as {examples(attribute_ids[:2])}): read "
        "both the same way, for example both as text."
    )


def fit_processes(rfm, design, unit, covariates_on, purchase_model, max_iter, tol):
    """The fitted purchase model and Gamma-Gamma of a Day One model, the encoded attributes
    (``design``) acting on the processes in ``covariates_on``.

    The inner models keep no covariate ranges: signups are checked against the attributes' own
    ranges when they are encoded (:func:`clvmodel.dayone.encoding.encode_attributes`), in their
    units rather than the design's.
    """
    clash = sorted(set(design.columns) & set(RFM_COLUMNS))
    if clash:
        raise InputError(f"attribute names {clash} clash with RFM columns; rename them.")
    frame = pd.concat([rfm[list(RFM_COLUMNS)], design], axis=1)
    frame.attrs["time_unit"] = unit
    on = covariates_by_process(list(design.columns), covariates_on)
    purchase = PURCHASE_MODELS[purchase_model](
        on["purchase"], on["dropout"], max_iter=max_iter, tol=tol
    ).fit(frame)
    spend = GammaGammaModel(on["spend"], max_iter=max_iter, tol=tol).fit(frame)
    purchase.covariate_ranges_ = spend.covariate_ranges_ = None
    return purchase, spend


def single_price(rfm: pd.DataFrame) -> tuple[int, float] | None:
    """``(repeat buyers, price)`` when every repeat buyer with positive spend spent the same per
    purchase (the Gamma-Gamma spend model then has nothing to estimate), else ``None``."""
    frequency = rfm["frequency"].to_numpy(dtype="float64")
    spend = rfm["monetary_value"].to_numpy(dtype="float64")
    spends = spend[(frequency > 0) & (spend > 0)]
    if spends.size < 2 or np.ptp(spends) > 1e-9 * spends.max():
        return None
    return int(spends.size), float(spends.max())


def first_purchase_amounts(
    signups: pd.DataFrame, column: str, what: str = "the signups", *, fitting: bool = False
) -> np.ndarray:
    """The known first purchase amounts (≥ 0) of new signups (or, with ``what`` and
    ``fitting``, of the customers a model is fitted on)."""
    require_columns(signups, [column], what, fitting=fitting)
    values = numeric_column(signups, column, what, fitting=False)
    negative = values < 0
    if negative.any():
        raise InputError(
            f"{what} have {int(negative.sum())} negative first purchase amount(s) in {column!r} "
            f"(for customers {examples(signups.index[negative])}); amounts must be ≥ 0."
        )
    return values


def day_one_table(
    bg, gg, design: pd.DataFrame, signups, t: float, first_purchase_col: str | None
) -> pd.DataFrame:
    """Expected repeat purchases, spend and Day One value of new signups over ``t`` model units:
    first purchase (when counted) + E[X(t) | z] · E[spend | z]."""
    repeat = bg.expected_purchases_new(t, data=design).to_numpy()
    spend = gg.expected_spend_new(design).to_numpy()
    table = pd.DataFrame(index=design.index)
    first = (
        first_purchase_amounts(signups, first_purchase_col)
        if first_purchase_col is not None
        else 0.0
    )
    if first_purchase_col is not None:
        table["first_purchase"] = first
    table["expected_repeat_purchases"] = repeat
    table["expected_purchases"] = repeat + (1.0 if first_purchase_col else 0.0)
    table["expected_spend"] = spend
    table["expected_repeat_value"] = repeat * spend
    table["day_one_value"] = first + repeat * spend
    return table


def history_tables(rfm, attributes, model_time_unit: str) -> tuple[RfmArrays, pd.DataFrame]:
    """The checked RFM arrays of customers with some history, and their attributes in order."""
    rfm = check_frame(rfm, "the RFM table")
    checked = validate_rfm(rfm, require=RFM_COLUMNS)
    unit = rfm.attrs.get("time_unit")
    if unit is not None and unit != model_time_unit:
        raise InputError(
            f"the RFM table is in time unit {unit!r} but the model in {model_time_unit!r}; "
            f"summarise the transactions with time_unit={model_time_unit!r}."
        )
    attributes = check_frame(attributes, "the signup attributes")
    missing = rfm.index.difference(attributes.index)
    if len(missing):
        raise InputError(
            f"the signup attributes have no row for {len(missing)} customer(s) of the RFM "
            f"table (for example {examples(missing)}); give every customer a row."
            f"{id_type_hint(rfm.index, attributes.index)}"
        )
    return checked, attributes.loc[rfm.index]


def history_table(bg, gg, checked: RfmArrays, design: pd.DataFrame, t: float) -> pd.DataFrame:
    """P(alive), expected purchases in the next ``t`` units, expected spend and value of customers
    with some history, each with their own parameters from ``design``."""
    frame = pd.DataFrame(
        {
            "frequency": checked.frequency,
            "recency": checked.recency,
            "T": checked.T,
            "monetary_value": checked.monetary_value,
        },
        index=design.index,
    ).join(design)
    table = frame[["frequency", "recency", "T"]].copy()
    table["probability_alive"] = bg.probability_alive(frame).to_numpy()
    table["expected_purchases"] = bg.expected_purchases(frame, t).to_numpy()
    table["expected_spend"] = gg.expected_spend(frame).to_numpy()
    table["expected_value"] = table["expected_purchases"] * table["expected_spend"]
    return table
