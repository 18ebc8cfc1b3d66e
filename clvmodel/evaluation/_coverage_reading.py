"""The reading of a coverage table in sentences, for the holdout report's text."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel._coverage_target import meets_target

__all__ = ["coverage_reading"]


def coverage_reading(table: pd.DataFrame) -> list[str]:
    """What a table of :func:`clvmodel.interval_coverage` says, in sentences: whether every group's
    observed coverage is within 3 points of the model's probability (and not more than 3 points
    below the nominal level), and for each group that is not, by how much, in standard errors,
    on which side the counts fell, and the group's actual against predicted mean purchases.

    Parameters
    ----------
    table : pandas.DataFrame
        A table of :func:`clvmodel.interval_coverage` (its ``attrs["interval"]`` is the
        level).

    Returns
    -------
    list of str
        One line per sentence; none for a table that does not record its level.
    """
    interval = float(table.attrs.get("interval", np.nan))
    if not 0.0 < interval < 1.0:
        return []
    missed = table[meets_target(table, interval).eq(False).fillna(False).to_numpy(dtype=bool)]
    if missed.empty:
        return [
            "Every group's observed coverage is within 3 points of the model's probability: "
            "the intervals hold on this holdout."
        ]
    lines = []
    for group, row in missed.iterrows():
        side = "above" if row["observed_above"] > row["observed_below"] else "below"
        predicted = row["predicted_above"]
        if side == "below":  # P(X < L) = 1 − P(L ≤ X ≤ U) − P(X > U)
            predicted = 1.0 - row["predicted_mass"] - predicted
        lines.append(
            f"Group {group} ({row['customers']:,.0f} customers): {row['observed_coverage']:.3f} "
            f"inside against {row['predicted_mass']:.3f} expected, "
            f"{100 * abs(row['difference']):.1f} points off ({_in_errors(row)}); "
            f"{100 * row[f'observed_{side}']:.1f} % {side} the interval where the model expects "
            f"{100 * predicted:.1f} %; mean purchases {row['actual_mean']:.2f} actual, "
            f"{row['expected_mean']:.2f} predicted."
        )
    errors = (missed["difference"].abs() / missed["standard_error"]).fillna(np.inf)
    if (errors >= 2.0).any():
        lines.append(
            "A miss of two standard errors or more is unlikely to be luck: the model misreads "
            "these customers, and another may fit them better (compare models on this holdout)."
        )
    else:
        lines.append("Within two standard errors: in groups this small, that can be luck.")
    return lines


def _in_errors(row) -> str:
    error = row["standard_error"]
    if not error > 0:
        return "no sampling error to compare with"
    return f"{abs(row['difference']) / error:.1f} standard errors"
