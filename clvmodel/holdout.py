"""Calibration/holdout evaluation; kept for existing imports, the code is in
:mod:`clvmodel.evaluation`."""

from clvmodel.evaluation import PREDICTORS as PREDICTORS
from clvmodel.evaluation import HoldoutReport, evaluate_holdout, tracking_table

__all__ = ["HoldoutReport", "evaluate_holdout", "tracking_table"]
