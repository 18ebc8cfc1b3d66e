"""Per-customer holdout comparison: actual purchases, spend and value beside the model's
predictions and the two baselines (naive formula, own past rate), and their error metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel.errors import InputError
from clvmodel.evaluation._shared import examples
from clvmodel.evaluation.alignment import column
from clvmodel.metrics import prediction_errors

#: The predictors compared, as column prefixes ("model_purchases", "naive_spend", ...).
PREDICTOR_KEYS = ("model", "naive", "own_rate")


def compare_customers(bg, gg, calibration, holdout, rfm, actual, duration):
    """The per-customer table (with spend and value when ``gg`` is given), the naive formula's
    purchase rate and the metrics table indexed by (target, predictor)."""
    customers, naive_rate = purchase_comparison(bg, calibration, rfm, actual, duration)
    rows = metric_rows(customers, "purchases")
    if gg is not None:
        spend_comparison(gg, calibration, holdout, rfm, customers)
        rows.update(metric_rows(customers[customers["bought"]], "spend"))
        rows.update(metric_rows(customers, "value"))
    metrics = pd.DataFrame.from_dict(rows, orient="index")
    metrics.index = pd.MultiIndex.from_tuples(metrics.index, names=["target", "predictor"])
    return customers, naive_rate, metrics


def purchase_comparison(bg, calibration, rfm, actual, duration) -> tuple[pd.DataFrame, float]:
    """Per customer: calibration history, holdout purchases (actual, model, naive formula, own
    past rate) and the churn scores; and the naive formula's purchase rate."""
    x, age = rfm.frequency, rfm.T
    calibration_length = float(age.max())
    model = bg.expected_purchases(calibration, duration).to_numpy()
    naive_rate = float((x + 1).sum() / (x.size * calibration_length))
    naive = np.full(x.size, naive_rate * duration)
    own_rate = np.divide(x, age, out=np.zeros(x.size), where=age > 0) * duration
    probability_alive = bg.probability_alive(calibration).to_numpy()
    probability_purchase = 1.0 - bg.probability_no_purchase(calibration, duration).to_numpy()
    customers = pd.DataFrame(
        {
            "frequency": x,
            "recency": rfm.recency,
            "T": age,
            "actual_purchases": actual,
            "model_purchases": model,
            "naive_purchases": naive,
            "own_rate_purchases": own_rate,
            "probability_alive": probability_alive,
            "probability_purchase": probability_purchase,
            "bought": actual > 0,
        },
        index=calibration.index,
    )
    return customers, naive_rate


def spend_comparison(gg, calibration, holdout, rfm, customers: pd.DataFrame) -> None:
    """Add spend per purchase and holdout value (actual, model, naive, own rate) to
    ``customers``."""
    x = rfm.frequency
    spent = column(holdout, ("monetary_value_holdout",))
    if spent is None or rfm.monetary_value is None:
        raise InputError(
            "spend needs amounts: the calibration table must have monetary_value and the "
            "holdout table monetary_value_holdout. Split with amount_col= naming your amount "
            "column, or leave out gg."
        )
    try:
        actual_spend = np.asarray(spent, dtype="float64")
    except (TypeError, ValueError):
        raise InputError("monetary_value_holdout must hold numbers (amounts).") from None
    bad = ~np.isfinite(actual_spend) | (actual_spend < 0)
    if bad.any():
        raise InputError(
            f"{int(bad.sum())} monetary_value_holdout value(s) are missing, infinite or negative "
            f"(customers {examples(holdout.index[bad])}); it is the mean amount per holdout "
            "purchase day, 0 for a customer without one."
        )
    m = rfm.monetary_value
    if (x > 0).sum() == 0:
        raise InputError("no calibration repeat purchases: there is no spend to learn from.")
    average_order = float((x * m).sum() / x.sum())
    customers["actual_spend"] = actual_spend
    customers["model_spend"] = gg.expected_spend(calibration).to_numpy()
    customers["naive_spend"] = np.full(x.size, average_order)
    customers["own_rate_spend"] = np.where(x > 0, m, average_order)
    for name in ("actual",) + PREDICTOR_KEYS:
        customers[f"{name}_value"] = (
            customers[f"{name}_purchases"].to_numpy() * customers[f"{name}_spend"].to_numpy()
        )


def metric_rows(customers: pd.DataFrame, target: str) -> dict:
    """:func:`~clvmodel.metrics.prediction_errors` of each predictor of ``target``
    ("purchases", "spend" or "value"), keyed by (target, predictor)."""
    suffix = {"purchases": "_purchases", "spend": "_spend", "value": "_value"}[target]
    actual = customers[f"actual{suffix}"].to_numpy()
    return {
        (target, predictor): prediction_errors(customers[f"{predictor}{suffix}"].to_numpy(), actual)
        for predictor in PREDICTOR_KEYS
    }
