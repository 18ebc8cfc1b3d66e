"""Scores for predictions: errors of counts and values, and the quality of probabilities.

Predictions and outcomes given as two pandas Series are paired by their index (the customer
ids), not by position: scores sorted by risk may be scored against outcomes in file order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel._correlation import average_ranks, pearson, spearman
from clvmodel.errors import InputError

__all__ = ["binned_means", "brier_score", "prediction_errors", "reliability_table", "roc_auc"]


def _aligned(predicted, actual):
    """Two pandas Series paired by customer, not by position: ``actual`` in the order of
    ``predicted`` when both list the same customers (scores sorted by risk, say, against holdout
    outcomes in file order), refused when they list different ones."""
    if not (isinstance(predicted, pd.Series) and isinstance(actual, pd.Series)):
        return predicted, actual
    if predicted.index.equals(actual.index):
        return predicted, actual
    same = (
        not predicted.index.has_duplicates
        and not actual.index.has_duplicates
        and len(predicted) == len(actual)
        and predicted.index.isin(actual.index).all()
    )
    if not same:
        first = predicted.index.difference(actual.index)[:3].tolist()
        second = actual.index.difference(predicted.index)[:3].tolist()
        which = (
            f"{first} only in the predictions" if first
            else f"{second} only in the outcomes" if second
            else "ids that repeat"
        )  # fmt: skip
        raise InputError(
            f"predictions and outcomes are Series indexed by different customers ({which}); "
            "pair them by customer first, e.g. outcome.reindex(prediction.index), or pass arrays "
            "in the same order."
        )
    return predicted, actual.reindex(predicted.index)


def _pair(predicted, actual) -> tuple[np.ndarray, np.ndarray]:
    predicted, actual = _aligned(predicted, actual)
    try:
        predicted = np.asarray(predicted, dtype="float64").ravel()
        actual = np.asarray(actual, dtype="float64").ravel()
    except (TypeError, ValueError):
        raise InputError("predictions and outcomes must be numbers (not text).") from None
    if predicted.size != actual.size:
        raise InputError(
            f"predictions ({predicted.size}) and outcomes ({actual.size}) differ in length."
        )
    if predicted.size == 0:
        raise InputError("there are no predictions to score.")
    if not (np.isfinite(predicted).all() and np.isfinite(actual).all()):
        raise InputError("predictions and outcomes must be finite numbers.")
    return predicted, actual


def _binary(outcome: np.ndarray) -> np.ndarray:
    """The outcomes as booleans, refusing anything but 0/1 (or False/True)."""
    other = (outcome != 0) & (outcome != 1)
    if other.any():
        raise InputError(
            f"outcomes must be 0 or 1 (or False/True: made a purchase or not); got "
            f"{outcome[other][:3].tolist()}. Compare counts with prediction_errors."
        )
    return outcome == 1


def _probabilities(probability: np.ndarray) -> np.ndarray:
    """The predictions, refused unless probabilities (a rounding hair outside [0, 1] is clipped)."""
    outside = (probability < -1e-9) | (probability > 1.0 + 1e-9)
    if outside.any():
        raise InputError(
            f"probabilities must lie between 0 and 1 (0.3 for 30 %); got "
            f"{probability[outside][:3].tolist()}."
        )
    return np.clip(probability, 0.0, 1.0)


def _nearly_constant(values: np.ndarray) -> bool:
    """Equal but for rounding: their differences are a float's last bits, not information."""
    return bool(np.ptp(values) <= 1e-12 * np.max(np.abs(values)))


def roc_auc(score, outcome) -> float:
    """Area under the ROC curve: the probability that a random positive outranks a random negative.

    Computed from ranks (the Mann-Whitney U statistic), with ties counted as one half.

    Parameters
    ----------
    score : array_like
        Higher means more likely positive.
    outcome : array_like of bool or {0, 1}
        The observed outcome.

    Returns
    -------
    float
        In [0, 1]; 0.5 is chance.

    Raises
    ------
    InputError
        Both classes must be present; outcomes other than 0/1 (or bool) are refused.

    Examples
    --------
    >>> roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    0.75
    """
    score, outcome = _pair(score, outcome)
    positive = _binary(outcome)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        raise InputError("ROC AUC needs both outcomes (some positives and some negatives).")
    ranks = average_ranks(score)
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def brier_score(probability, outcome) -> float:
    """Mean squared difference between predicted probabilities and 0/1 outcomes (lower is better).

    Parameters
    ----------
    probability : array_like
        Predicted probabilities, in [0, 1] (0.3, not 30, for 30 %).
    outcome : array_like of bool or {0, 1}
        The observed outcome.

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> brier_score([1.0, 0.0, 0.5], [1, 0, 1])
    0.08333333333333333
    """
    probability, outcome = _pair(probability, outcome)
    probability, outcome = _probabilities(probability), _binary(outcome)
    return float(np.mean((probability - outcome) ** 2))


def reliability_table(probability, outcome, bins: int = 10) -> pd.DataFrame:
    """Mean predicted probability against the observed frequency, by quantile bin of the prediction.

    Parameters
    ----------
    probability : array_like
        Predicted probabilities, in [0, 1] (0.3, not 30, for 30 %).
    outcome : array_like of bool or {0, 1}
        Observed outcomes.
    bins : int
        Number of (roughly equal-sized) bins; ties are kept together, so there may be fewer.

    Returns
    -------
    pandas.DataFrame
        One row per bin: ``customers``, ``mean_predicted``, ``observed_rate``, ``lower`` and
        ``upper`` (bin edges of the prediction).

    Examples
    --------
    >>> reliability_table([0.2, 0.5, 0.7, 0.9], [0, 1, 1, 1], bins=2)["observed_rate"].tolist()
    [0.5, 1.0]
    """
    probability, outcome = _pair(probability, outcome)
    # An outcome of 3 (a count) or a probability of 50 (a percentage) would be binned and
    # averaged as if it were a 0/1 outcome or a probability: refuse them, as brier_score does.
    probability, outcome = _probabilities(probability), _binary(outcome)
    return _binned(probability, outcome, bins).rename(columns={"mean_actual": "observed_rate"})


def binned_means(predicted, actual, bins: int = 10) -> pd.DataFrame:
    """Mean prediction against the mean outcome, by quantile bin of the prediction, for any
    numbers (predicted purchases against actual counts, say).

    Parameters
    ----------
    predicted, actual : array_like
        Predictions and outcomes, finite numbers of the same length.
    bins : int
        Number of (roughly equal-sized) bins; ties are kept together, so there may be fewer.

    Returns
    -------
    pandas.DataFrame
        One row per bin: ``customers``, ``mean_predicted``, ``mean_actual``, ``lower`` and
        ``upper`` (bin edges of the prediction).
    """
    return _binned(*_pair(predicted, actual), bins)


def _binned(predicted: np.ndarray, actual: np.ndarray, bins) -> pd.DataFrame:
    """:func:`binned_means` of paired, checked arrays."""
    try:  # 10 or 10.0, as evaluate_holdout takes them
        whole = not isinstance(bins, bool | np.bool_ | str) and int(bins) == bins and bins >= 1
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        raise InputError(f"bins must be a whole number ≥ 1, got {bins!r}.")
    bins = int(bins)
    order = np.argsort(predicted, kind="stable")
    # Bin by rank so each bin holds about the same number of customers, then merge bins whose
    # edges fall inside a run of tied predictions so that equal predictions share a bin.
    rank_bin = np.empty(predicted.size, dtype="int64")
    rank_bin[order] = np.arange(predicted.size) * bins // predicted.size
    edges = pd.Series(predicted).groupby(rank_bin).max()
    bin_of = np.searchsorted(np.unique(edges.to_numpy()), predicted, side="left")
    frame = pd.DataFrame({"bin": bin_of, "p": predicted, "y": actual})
    grouped = frame.groupby("bin")
    table = pd.DataFrame(
        {
            "customers": grouped.size(),
            "mean_predicted": grouped["p"].mean(),
            "mean_actual": grouped["y"].mean(),
            "lower": grouped["p"].min(),
            "upper": grouped["p"].max(),
        }
    )
    table.index = pd.RangeIndex(1, len(table) + 1, name="bin")
    return table


def prediction_errors(predicted, actual) -> dict[str, float]:
    """Error metrics of numeric predictions against outcomes.

    Returns
    -------
    dict
        ``mae``, ``rmse``, ``bias`` (mean of predicted − actual), ``pearson`` and ``spearman``
        correlations (NaN when either side is constant, or with fewer than three pairs, whose
        correlation is ±1 whatever they are), ``total_predicted``, ``total_actual`` and
        ``total_error_pct`` (100 × (predicted − actual) / actual, NaN when the actual total is 0).

    Examples
    --------
    >>> prediction_errors([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])["mae"]
    0.6666666666666666
    """
    predicted, actual = _pair(predicted, actual)
    difference = predicted - actual
    # Two points always lie on a line: their correlation (±1) says nothing about the predictions.
    constant = _nearly_constant(predicted) or _nearly_constant(actual) or predicted.size < 3
    total_actual = float(actual.sum())
    return {
        "mae": float(np.mean(np.abs(difference))),
        "rmse": float(np.sqrt(np.mean(difference**2))),
        "bias": float(np.mean(difference)),
        "pearson": np.nan if constant else pearson(predicted, actual),
        "spearman": np.nan if constant else spearman(predicted, actual),
        "total_predicted": float(predicted.sum()),
        "total_actual": total_actual,
        "total_error_pct": (
            np.nan if total_actual == 0 else 100.0 * (predicted.sum() - total_actual) / total_actual
        ),
    }
