"""The customers the Gamma-Gamma spend model is fitted on: repeat buyers with positive spend,
checked for what the model cannot use (a single price) and for what it assumes (spend independent
of frequency)."""

from __future__ import annotations

import warnings

import numpy as np

from clvmodel._caller import outside_stacklevel
from clvmodel.errors import InputError, StatisticalWarning
from clvmodel.models._weights import check_weights

__all__ = ["repeat_buyers"]

# Above this |correlation| between frequency and spend, the independence assumption is doubtful.
_CORRELATION_WARNING = 0.3


def repeat_buyers(x: np.ndarray, m: np.ndarray, weights) -> tuple[np.ndarray, np.ndarray | None]:
    """Which customers the spend model is fitted on (repeat buyers with positive spend), and their
    weights; warns when spend and frequency look dependent, as the model assumes they are not."""
    w = check_weights(weights, x.size)
    keep = x > 0
    zero_spend = keep & (m <= 0)
    if zero_spend.any():
        warnings.warn(
            f"{int(zero_spend.sum())} repeat buyer(s) have monetary_value 0 and are left out "
            "of the spend model, which needs positive amounts.",
            StatisticalWarning,
            stacklevel=outside_stacklevel(),
        )
        keep &= m > 0
    if keep.sum() < 2:
        repeat = int((x > 0).sum())
        advice = (
            f"It has {repeat:,} repeat buyers, but their monetary_value is 0 or less: check the "
            "amounts the RFM summary was made from."
            if repeat >= 2
            else "Use a longer observation period."
        )
        raise InputError(
            f"the Gamma-Gamma model needs repeat buyers with positive spend; this table has "
            f"{int(keep.sum())}. {advice}"
        )
    if w is not None:
        keep &= w > 0  # a row of weight 0 stands for no customer
    spends = m[keep]
    if spends.size and np.ptp(spends) <= 1e-9 * spends.max():
        buyers = int(keep.sum()) if w is None else round(float(w[keep].sum()))
        raise InputError(
            f"every one of the {buyers:,} repeat buyers spent the same per purchase "
            f"({spends.max():.6g}, a single price?): the Gamma-Gamma model has no spread in spend "
            "to estimate, and each customer's expected spend is that price. Fit the purchase "
            "model without amounts (amount_col=None) and value its purchases at the price."
        )
    if np.unique(m[keep]).size > 1 and np.unique(x[keep]).size > 1:
        correlation = float(np.corrcoef(x[keep], m[keep])[0, 1])
        if abs(correlation) > _CORRELATION_WARNING:
            warnings.warn(
                f"frequency and monetary_value are correlated ({correlation:.2f}) among repeat "
                "buyers; the Gamma-Gamma model assumes they are independent, so its spend "
                "predictions may be biased.",
                StatisticalWarning,
                stacklevel=outside_stacklevel(),
            )
    return keep, (None if w is None else w[keep])
