"""The per-tier summary of churn scores (:func:`churn_tier_summary`)."""

from __future__ import annotations

import pandas as pd

from clvmodel.churn._scores import check_scores, tier_table, tiers_of


def churn_tier_summary(scores: pd.DataFrame) -> pd.DataFrame:
    """Customers, churn risk and predicted value per risk tier.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`churn_risk` (or a plan's ``assignments``).

    Returns
    -------
    pandas.DataFrame
        Indexed by tier, lowest risk first, every tier listed (empty ones with 0 customers and NaN
        risk statistics): ``customers``, ``share_of_customers``, ``mean_churn_risk``,
        ``min_churn_risk``, ``max_churn_risk`` and, with ``predicted_clv``,
        ``total_predicted_clv`` and ``share_of_value``.

    Examples
    --------
    >>> import pandas as pd
    >>> from clvmodel.churn import price_increase_plan
    >>> scores = pd.DataFrame({"churn_risk": [0.1, 0.6, 0.9, 0.95],
    ...                        "predicted_clv": [40.0, 30.0, 20.0, 10.0]})
    >>> plan = price_increase_plan(scores, thresholds=(0.5, 0.8), margin=1.0)
    >>> churn_tier_summary(plan.assignments)["customers"].tolist()
    [1, 1, 2]
    """
    scores = check_scores(scores, need_tier=True)
    categorical, labels = tiers_of(scores, None)
    return tier_table(scores, categorical, labels)
