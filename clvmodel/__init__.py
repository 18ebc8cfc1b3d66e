"""clvmodel: probabilistic customer lifetime value from transaction logs.

Transactions become RFM summaries (:func:`rfm_summary`, or :func:`rfm_from_file` straight from a
file), which feed the purchase models (BG/NBD :class:`BetaGeoModel`, MBG/NBD
:class:`ModifiedBetaGeoModel`, Pareto/NBD :class:`ParetoNBDModel`; :func:`compare_models` picks
one by holdout) and the Gamma-Gamma model of spend (:class:`GammaGammaModel`); their predictions
become per-customer value (:func:`customer_lifetime_value`), shown beside the naive formula
(:func:`naive_clv`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from clvmodel._version import __version__ as __version__

# Names are imported on first use (PEP 562), so that `import clvmodel` and `clvmodel --help`
# stay fast: numpy, pandas and scipy load only when a model or table is touched.
_EXPORTS = {
    "BetaDiscreteWeibullModel": "clvmodel.models",
    "BetaGeoBetaBinomModel": "clvmodel.models",
    "BetaGeoCovariateModel": "clvmodel.models",
    "BetaGeoModel": "clvmodel.models",
    "ClvError": "clvmodel.errors",
    "ClvWarning": "clvmodel.errors",
    "ConvergenceError": "clvmodel.errors",
    "DayOneModel": "clvmodel.dayone",
    "Duration": "clvmodel._units",
    "GammaGammaCovariateModel": "clvmodel.models",
    "GammaGammaModel": "clvmodel.models",
    "HoldoutReport": "clvmodel.holdout",
    "InputError": "clvmodel.errors",
    "ModelBundle": "clvmodel.models",
    "ModelComparison": "clvmodel.compare",
    "ModelError": "clvmodel.errors",
    "ModelFileError": "clvmodel.errors",
    "ModifiedBetaGeoModel": "clvmodel.models",
    "NaiveRetentionComparison": "clvmodel.subscription_value",
    "NotFittedError": "clvmodel.errors",
    "OutsideRangeWarning": "clvmodel.errors",
    "ParetoNBDModel": "clvmodel.models",
    "PriceIncreasePlan": "clvmodel.churn",
    "PurchaseModel": "clvmodel.models",
    "RetentionComparison": "clvmodel.subscription_value",
    "ShiftedBetaGeoModel": "clvmodel.models",
    "StatisticalWarning": "clvmodel.errors",
    "build_report": "clvmodel.report",
    "cac_payback": "clvmodel.economics",
    "calibration_holdout_split": "clvmodel.rfm",
    "churn_risk": "clvmodel.churn",
    "churn_tier_summary": "clvmodel.churn",
    "clv_table": "clvmodel.value",
    "compare_models": "clvmodel.compare",
    "compare_retention_models": "clvmodel.subscription_value",
    "coverage_comparison": "clvmodel.coverage",
    "customer_lifetime_value": "clvmodel.value",
    "day_one_payback": "clvmodel.economics",
    "evaluate_holdout": "clvmodel.holdout",
    "interval_coverage": "clvmodel.coverage",
    "load": "clvmodel.loading",
    "load_model": "clvmodel.models",
    "load_models": "clvmodel.models",
    "naive_clv": "clvmodel.value",
    "naive_vs_model": "clvmodel.economics",
    "naive_vs_model_retention": "clvmodel.subscription_value",
    "net_clv": "clvmodel.economics",
    "opportunity_summary": "clvmodel.opportunities",
    "price_increase_plan": "clvmodel.churn",
    "probability_alive_at": "clvmodel.economics",
    "read_table": "clvmodel.io",
    "rfm_from_file": "clvmodel.rfm",
    "rfm_summary": "clvmodel.rfm",
    "simulate_customers": "clvmodel.simulate",
    "simulate_customers_with_covariates": "clvmodel.simulate",
    "simulate_transactions": "clvmodel.simulate",
    "subscriber_churn_risk": "clvmodel.subscription_churn",
    "subscriber_price_plan": "clvmodel.subscription_churn",
    "tracking_table": "clvmodel.holdout",
    "unit_economics_summary": "clvmodel.economics",
    "write_table": "clvmodel.io",
}
_SUBMODULES = frozenset(
    {
        "datasets",
        "dayone",
        "economics",
        "engine",
        "holdout",
        "evaluation",
        "io",
        "models",
        "plotting",
        "report",
        "scoring",
        "spark",
        "subscription_churn",
        "subscription_value",
        "subscriptions",
        "value",
    }
)

__all__ = [
    "BetaDiscreteWeibullModel",
    "BetaGeoBetaBinomModel",
    "BetaGeoCovariateModel",
    "BetaGeoModel",
    "ClvError",
    "ClvWarning",
    "ConvergenceError",
    "DayOneModel",
    "Duration",
    "GammaGammaCovariateModel",
    "GammaGammaModel",
    "HoldoutReport",
    "InputError",
    "ModelBundle",
    "ModelComparison",
    "ModelError",
    "ModelFileError",
    "ModifiedBetaGeoModel",
    "NaiveRetentionComparison",
    "NotFittedError",
    "OutsideRangeWarning",
    "ParetoNBDModel",
    "PriceIncreasePlan",
    "PurchaseModel",
    "RetentionComparison",
    "ShiftedBetaGeoModel",
    "StatisticalWarning",
    "build_report",
    "cac_payback",
    "calibration_holdout_split",
    "churn_risk",
    "churn_tier_summary",
    "clv_table",
    "compare_models",
    "compare_retention_models",
    "coverage_comparison",
    "customer_lifetime_value",
    "datasets",
    "day_one_payback",
    "economics",
    "evaluate_holdout",
    "interval_coverage",
    "load",
    "load_model",
    "load_models",
    "naive_clv",
    "naive_vs_model",
    "naive_vs_model_retention",
    "net_clv",
    "opportunity_summary",
    "price_increase_plan",
    "probability_alive_at",
    "read_table",
    "rfm_from_file",
    "rfm_summary",
    "simulate_customers",
    "simulate_customers_with_covariates",
    "simulate_transactions",
    "subscriber_churn_risk",
    "subscriber_price_plan",
    "subscriptions",
    "tracking_table",
    "unit_economics_summary",
    "write_table",
]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"clvmodel.{name}")
    raise AttributeError(f"module 'clvmodel' has no attribute {name!r}")


def __dir__() -> list[str]:
    # The public names (loaded or not) for tab completion, not this module's helpers.
    return sorted(__all__)


if TYPE_CHECKING:  # what static tools and IDEs see
    from clvmodel import datasets, economics, subscriptions
    from clvmodel._units import Duration
    from clvmodel.churn import (
        PriceIncreasePlan,
        churn_risk,
        churn_tier_summary,
        price_increase_plan,
    )
    from clvmodel.compare import ModelComparison, compare_models
    from clvmodel.coverage import coverage_comparison, interval_coverage
    from clvmodel.dayone import DayOneModel
    from clvmodel.economics import (
        cac_payback,
        day_one_payback,
        naive_vs_model,
        net_clv,
        probability_alive_at,
        unit_economics_summary,
    )
    from clvmodel.errors import (
        ClvError,
        ClvWarning,
        ConvergenceError,
        InputError,
        ModelError,
        ModelFileError,
        NotFittedError,
        OutsideRangeWarning,
        StatisticalWarning,
    )
    from clvmodel.holdout import HoldoutReport, evaluate_holdout, tracking_table
    from clvmodel.io import read_table, write_table
    from clvmodel.loading import load
    from clvmodel.models import (
        BetaDiscreteWeibullModel,
        BetaGeoBetaBinomModel,
        BetaGeoCovariateModel,
        BetaGeoModel,
        GammaGammaCovariateModel,
        GammaGammaModel,
        ModelBundle,
        ModifiedBetaGeoModel,
        ParetoNBDModel,
        PurchaseModel,
        ShiftedBetaGeoModel,
        load_model,
        load_models,
    )
    from clvmodel.opportunities import opportunity_summary
    from clvmodel.report import build_report
    from clvmodel.rfm import calibration_holdout_split, rfm_from_file, rfm_summary
    from clvmodel.simulate import (
        simulate_customers,
        simulate_customers_with_covariates,
        simulate_transactions,
    )
    from clvmodel.subscription_churn import subscriber_churn_risk, subscriber_price_plan
    from clvmodel.subscription_value import (
        NaiveRetentionComparison,
        RetentionComparison,
        compare_retention_models,
        naive_vs_model_retention,
    )
    from clvmodel.value import clv_table, customer_lifetime_value, naive_clv
