"""Issue 15's bar for the coverage of prediction intervals on a holdout: shared by
:func:`clvmodel.coverage_comparison` and the holdout report's reading of its coverage table."""

from __future__ import annotations

import pandas as pd

__all__ = ["meets_target"]

#: Observed coverage within 3 points of the predicted mass, and of the nominal level from below.
TARGET = 0.03


def meets_target(table: pd.DataFrame, interval: float) -> pd.Series:
    """Per group of a :func:`clvmodel.interval_coverage` table: whether its observed coverage
    is within 3 points of the predicted mass and not more than 3 points below the nominal
    level ``interval`` (missing for a group without customers: nothing to judge).

    Parameters
    ----------
    table : pandas.DataFrame
        A table of :func:`clvmodel.interval_coverage` (or of
        :func:`clvmodel.coverage_comparison`).
    interval : float
        The nominal level.

    Returns
    -------
    pandas.Series
        Nullable booleans, one per group.
    """
    meets = (table["difference"].abs() <= TARGET) & (
        table["observed_coverage"] >= interval - TARGET
    )
    return meets.astype("boolean").mask(table["customers"] == 0)
