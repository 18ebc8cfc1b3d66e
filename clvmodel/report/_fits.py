"""The report's model fits, and the data they cannot be fitted on, refused in build_report's words.

The report fits BG/NBD and Gamma-Gamma twice (:mod:`clvmodel.report._analysis`): on the
calibration period for the holdout check, and on the whole log for the value sections. A fit's own
message advises on its own arguments (``initial_params=``, ``max_iter=``, "a longer observation
period"); the report takes none of them, so a log the fits cannot use is refused here with what
build_report's caller can change: ``calibration_end`` (the command line's --calibration-end), or
more purchases.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import clvmodel as clv
from clvmodel.errors import ConvergenceError, InputError

#: Which fit a message is about, as the report's notes name them.
CALIBRATION_FIT = "the holdout check (fitted on the calibration period, up to calibration_end)"
WHOLE_LOG_FIT = "the value sections (fitted on the whole log, up to observation_end)"


class SinglePriceError(InputError):
    """Every repeat buyer spent the same per purchase: the report cannot value the customers.

    ``buyers``, ``price`` and ``amount_col`` let an interface say it in its own words."""

    def __init__(self, buyers: int, price: float, amount_col: str):
        self.buyers, self.price, self.amount_col = buyers, price, amount_col
        super().__init__(
            f"every one of the {buyers:,} repeat buyers spent the same per purchase ({price:.6g} "
            f"in {amount_col!r}, a single price?): the report values customers with the "
            "Gamma-Gamma spend model, which needs a spread in spend, so build_report cannot "
            "value them. Fit clvmodel.BetaGeoModel on rfm_summary(..., amount_col=None) instead "
            "and value its purchases at the price."
        )


def check_calibration(cal: pd.DataFrame) -> None:
    """Refuse a calibration period the report's models cannot be fitted on, saying to move
    calibration_end (the command line's --calibration-end), not observation_end as a fit would:
    the purchase model needs two customers and a repeat buyer, the spend model two repeat buyers
    with a positive spend."""
    repeat = cal["frequency"].to_numpy() > 0
    repeat_buyers = int(repeat.sum())
    spenders = repeat_buyers
    if "monetary_value" in cal.columns:
        spenders = int((repeat & (cal["monetary_value"].to_numpy(dtype="float64") > 0)).sum())
    if len(cal) < 2:
        reason = f"only {len(cal)} customer(s) bought by then"
    elif not repeat_buyers:
        reason = (
            f"none of its {len(cal):,} customers bought again after their first purchase day, "
            "so it says nothing about the repeat-purchase rate"
        )
    elif spenders < 2:
        reason = (
            f"only {spenders} of its {len(cal):,} customers bought again with a positive amount, "
            "and the spend model needs at least 2 to learn how spend varies"
        )
    else:
        return
    raise InputError(
        f"cannot fit the holdout check on the calibration period: {reason}; choose a later "
        "calibration_end (a longer calibration period)."
    )


def purchase_model(rfm: pd.DataFrame, fit: str):
    """BG/NBD fitted on ``rfm``; a fit that does not converge is refused naming the report's
    fit (``fit``: :data:`CALIBRATION_FIT` or :data:`WHOLE_LOG_FIT`) and what to change, not the
    fit's own arguments."""
    try:
        return clv.BetaGeoModel().fit(rfm)
    except ConvergenceError as exc:
        repeat_buyers = int((rfm["frequency"].to_numpy() > 0).sum())
        said = str(exc).splitlines()[0].removesuffix(" Things to try:")
        later = " or a later calibration_end" if fit == CALIBRATION_FIT else ""
        raise ConvergenceError(
            f"the purchase model (BG/NBD) of {fit} did not converge on {len(rfm):,} customers "
            f"({repeat_buyers:,} repeat buyers): the log is likely too small or too regular to "
            "estimate purchase rates and dropout; use a longer log (more customers and "
            f"purchases){later}. The fit said: {said}"
        ) from None


def spend_model(rfm: pd.DataFrame, amount_col: str):
    """Gamma-Gamma fitted on ``rfm``; a log at a single price is refused in the report's words
    (:class:`SinglePriceError`), not with advice for fitting the models by hand."""
    if "monetary_value" in rfm.columns:
        spend = rfm["monetary_value"].to_numpy(dtype="float64")
        spend = spend[(rfm["frequency"].to_numpy() > 0) & (spend > 0)]
        if spend.size >= 2 and np.ptp(spend) <= 1e-9 * spend.max():
            raise SinglePriceError(spend.size, float(spend.max()), amount_col)
    return clv.GammaGammaModel().fit(rfm)
