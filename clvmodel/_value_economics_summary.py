"""CLV:CAC and payback per segment, from the per-customer table of
:func:`clvmodel.economics.cac_payback` or :func:`clvmodel.economics.day_one_payback`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel._reading_text import missing_texts_as_nan
from clvmodel.errors import InputError

__all__ = ["unit_economics_summary"]


def unit_economics_summary(table: pd.DataFrame, by: str | None = "segment") -> pd.DataFrame:
    """CLV:CAC and payback per segment (acquisition channel, cohort …).

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`cac_payback` or :func:`day_one_payback`.
    by : str, optional
        Column to group by (``"segment"`` by default, when present), with a value for every
        customer; ``None`` gives one row ``"all"``.

    Returns
    -------
    pandas.DataFrame
        Per segment: ``customers``, ``mean_net_clv``, ``mean_acquisition_cost``, ``clv_to_cac``
        (mean net CLV / mean CAC, NaN when the CAC is 0), ``median_payback`` (periods; NaN unless
        more than half pay back within the horizon: the others count as never, so with exactly
        half the median lies halfway to never) and ``paid_back_share``, both over customers with
        a CAC above 0 (a CAC of 0 has nothing to pay back; NaN for a segment without one).

    Examples
    --------
    >>> import pandas as pd
    >>> import clvmodel as clv
    >>> table = pd.DataFrame({"segment": ["web", "web", "shop"], "net_clv": [30.0, 10.0, 5.0],
    ...                       "acquisition_cost": [10.0, 10.0, 20.0],
    ...                       "payback_periods": [2.0, float("nan"), float("nan")],
    ...                       "paid_back": [True, False, False]})
    >>> from clvmodel.economics import unit_economics_summary
    >>> unit_economics_summary(table)["clv_to_cac"].tolist()
    [0.25, 2.0]
    """
    needed = ["net_clv", "acquisition_cost", "payback_periods", "paid_back"]
    missing = [c for c in needed if c not in getattr(table, "columns", ())]
    if missing:
        raise InputError(
            f"the table has no column(s) {missing}; pass the output of cac_payback or "
            "day_one_payback."
        )
    if by is not None and by not in table.columns:
        if by != "segment":
            raise InputError(f"by={by!r} is not a column; the columns are {list(table.columns)}.")
        by = None
    keys = table[by] if by is not None else pd.Series("all", index=table.index, name="segment")
    keys = missing_texts_as_nan(keys)  # "NA" is no group of its own
    if keys.isna().any():
        raise InputError(
            f"by={by!r} has no value for {int(keys.isna().sum())} customer(s); give them one "
            f"(table[{by!r}].fillna('unknown')) or pass by=None for all customers together."
        )
    paying = table["acquisition_cost"].to_numpy(dtype="float64") > 0
    frame = table[needed].assign(payback=table["payback_periods"].fillna(np.inf).where(paying))
    frame["paid"] = table["paid_back"].astype("float64").where(paying)
    grouped = frame.groupby(keys.to_numpy(), sort=True)
    summary = pd.DataFrame(
        {
            "customers": grouped.size(),
            "mean_net_clv": grouped["net_clv"].mean(),
            "mean_acquisition_cost": grouped["acquisition_cost"].mean(),
        }
    )
    cac = summary["mean_acquisition_cost"]
    summary["clv_to_cac"] = (summary["mean_net_clv"] / cac.where(cac > 0)).astype("float64")
    median = grouped["payback"].median()
    summary["median_payback"] = median.where(np.isfinite(median))
    summary["paid_back_share"] = grouped["paid"].mean()
    summary.index.name = by or "segment"
    return summary
