"""The aggregate tables of a holdout report: period transactions, conditional expectations by
calibration frequency, and the quality of the churn scores."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel._grouping import group_rows
from clvmodel.errors import InputError
from clvmodel.metrics import brier_score, roc_auc


def frequency_labels(x: np.ndarray, max_frequency: int) -> tuple[np.ndarray, list[str]]:
    """Each customer's frequency class (0 … max_frequency, the last pooled) and the labels."""
    group = np.minimum(x, max_frequency).astype("int64")
    labels = [str(n) for n in range(max_frequency)] + [f"{max_frequency}+"]
    return group, labels


def period_transactions(segments, age, x, max_frequency) -> pd.DataFrame:
    """Observed and expected number of customers with n calibration repeat purchases."""
    group, labels = frequency_labels(x, max_frequency)
    n = np.arange(max_frequency)
    # Σ_i P(X(T_i) = n) (for BG/NBD eq. 8), evaluated once per distinct T (and parameter group);
    # the top class is the remainder.
    expected = np.zeros(max_frequency)
    for model, members in segments:
        ages, counts = np.unique(age[members], return_counts=True)
        probabilities = np.asarray(model.probability_of_purchases(n[:, None], ages[None, :]))
        expected += probabilities @ counts
    expected = np.append(expected, max(x.size - expected.sum(), 0.0))
    actual = np.bincount(group, minlength=max_frequency + 1)
    table = pd.DataFrame({"actual": actual, "model": expected}, index=labels)
    table.index.name = "repeat_purchases"
    return table


def parameter_groups(model, calibration: pd.DataFrame) -> list:
    """(model, members) pairs covering every customer: the model itself for all without
    covariates; with covariates, one model without them per distinct set of customers' own
    parameters (for the predictions of new customers, which depend on covariates only)."""
    if not model.has_covariates:
        return [(model, np.ones(len(calibration), dtype=bool))]
    params = model.individual_params(calibration)
    group, first = group_rows(*(params[name].to_numpy() for name in params.columns))
    plain = type(model)
    return [
        (
            plain.from_params(params.iloc[row].to_dict(), time_unit=model.time_unit_),
            group == g,
        )
        for g, row in enumerate(first)
    ]


def conditional_expectation(x, columns: dict[str, np.ndarray], max_frequency) -> pd.DataFrame:
    """Customers and mean of each column (actual and predicted holdout purchases) per class of
    calibration repeat purchases."""
    group, labels = frequency_labels(x, max_frequency)
    frame = pd.DataFrame({"group": group, **columns})
    grouped = frame.groupby("group")
    table = grouped.mean()
    table.insert(0, "customers", grouped.size())
    table.index = pd.Index([labels[g] for g in table.index], name="repeat_purchases")
    return table


def score_quality(probability_alive, probability_purchase, bought, bins):
    """ROC AUC and Brier score of the churn scores (and of the base rate) for holdout buying."""
    share = float(bought.mean())
    rows = {}
    for name, score in (
        ("probability_alive", probability_alive),
        ("probability_purchase", probability_purchase),
        ("base_rate", np.full(bought.size, share)),
    ):
        try:
            auc = roc_auc(score, bought)
        except InputError:  # everybody bought: a ranking cannot be scored
            auc = np.nan
        rows[name] = {"roc_auc": auc, "brier": brier_score(score, bought)}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "score"
    return table
