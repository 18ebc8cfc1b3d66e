"""Calibration/holdout evaluation: how well do the predictions match what customers then did?

Fit the models on a calibration period, predict the holdout period that follows, and compare with
what happened, for the model and for two baselines:

* the **naive formula**: the calibration period's average purchase rate per customer (first
  purchases included, as the marketing formula counts orders) × the holdout length, the same
  number for everybody;
* the customer's **own past rate**: each customer's repeat purchases per unit of time since their
  first purchase, x / T, × the holdout length.

:func:`evaluate_holdout` returns a :class:`HoldoutReport` holding per-customer predictions, error
metrics, the conditional-expectation table (Fader, Hardie and Lee 2005, "Counting your customers
the easy way", its conditional-expectations figure), tracking of cumulative and incremental repeat
transactions (its tracking figures), the exact expected histogram of calibration repeat purchases,
and the quality of churn scores. The figures are in :mod:`clvmodel.plotting.holdout`.

The package, one job per module: :mod:`~clvmodel.evaluation.evaluate` (:func:`evaluate_holdout`),
:mod:`~clvmodel.evaluation.report` (:class:`HoldoutReport`, as text and JSON),
:mod:`~clvmodel.evaluation.tracking` (:func:`tracking_table`) and
:mod:`~clvmodel.evaluation.alignment` (the checks that model, tables and transactions agree);
internally ``_customers`` (per-customer predictions beside the baselines, and their errors) and
``_tables`` (the tables by calibration frequency and the churn scores' quality).
Interval coverage comes from :func:`clvmodel.interval_coverage`.
"""

from clvmodel.evaluation.evaluate import evaluate_holdout
from clvmodel.evaluation.report import PREDICTORS as PREDICTORS
from clvmodel.evaluation.report import HoldoutReport
from clvmodel.evaluation.tracking import tracking_table

__all__ = ["HoldoutReport", "evaluate_holdout", "tracking_table"]
