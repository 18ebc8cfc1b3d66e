"""Churn-risk scores and a staged price-increase plan.

A price increase is safest for the customers least likely to leave. :func:`churn_risk` scores
every customer with the BG/NBD probability of making **no purchase within a horizon**, given their
history, and sorts them into labelled risk tiers; :func:`price_increase_plan` turns the tiers
into stages (lowest risk first, with the largest increase; the highest-risk tier at 0 % by
default) and reports the value at stake and the break-even extra churn of each stage.

Why not 1 − P(alive)? In BG/NBD a customer can only drop out right after a repeat purchase, so every
customer without one has P(alive) = 1 however long ago they bought, and 1 − P(alive) ranks them as
the *safest* customers although they are the least likely to buy again. On the CDNOW sample
(39-week calibration and holdout) 1 − P(alive) has a ROC AUC of about 0.32 against "no purchase in
the holdout", worse than chance; the probability of no purchase in the next 39 weeks has about 0.76.

The package is split by job: :mod:`~clvmodel.churn.tiers` (labels and cut points),
:mod:`~clvmodel.churn.risk` (the scores), :mod:`~clvmodel.churn._scores` (checks of a scores table
and its tiers, shared with the plotting), :mod:`~clvmodel.churn.summary` (the per-tier summary),
:mod:`~clvmodel.churn.plan_inputs` and :mod:`~clvmodel.churn.plan` (the staged plan) and
:mod:`~clvmodel.churn.rendering` (the plan object, as text and JSON).
"""

from clvmodel.churn.plan import price_increase_plan
from clvmodel.churn.rendering import PriceIncreasePlan
from clvmodel.churn.risk import churn_risk
from clvmodel.churn.summary import churn_tier_summary
from clvmodel.churn.tiers import (  # noqa: F401  (default_tier_labels: used by the CLI)
    DEFAULT_THRESHOLDS,
    DEFAULT_TIERS,
    default_tier_labels,
    risk_tiers,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "DEFAULT_TIERS",
    "PriceIncreasePlan",
    "churn_risk",
    "churn_tier_summary",
    "price_increase_plan",
    "risk_tiers",
]
