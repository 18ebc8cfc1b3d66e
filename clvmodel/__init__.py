"""clvmodel: probabilistic customer lifetime value from transaction logs.

Transactions become RFM summaries (:func:`rfm_summary`, or :func:`rfm_from_file` straight from a
file), which feed the purchase models (BG/NBD :class:`BetaGeoModel`, MBG/NBD
:class:`ModifiedBetaGeoModel`, Pareto/NBD :class:`ParetoNBDModel`; :func:`compare_models` picks
one by holdout) and the Gamma-Gamma model of spend (:class:`GammaGammaModel`); their predictions
become per-customer value (:func:`customer_lifetime_value`), shown beside the naive formula
(:func:`naive_clv`).
"""

from clvmodel import datasets, economics, subscriptions
from clvmodel.churn import (
    PriceIncreasePlan,
    churn_risk,
    churn_tier_summary,
    price_increase_plan,
)
from clvmodel.compare import ModelComparison, compare_models
from clvmodel.coverage import interval_coverage
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
    StatisticalWarning,
)
from clvmodel.holdout import HoldoutReport, evaluate_holdout, tracking_table
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
from clvmodel.rfm import calibration_holdout_split, rfm_from_file, rfm_summary
from clvmodel.simulate import (
    simulate_customers,
    simulate_customers_with_covariates,
    simulate_transactions,
)
from clvmodel.subscription_value import (
    NaiveRetentionComparison,
    RetentionComparison,
    compare_retention_models,
    naive_vs_model_retention,
)
from clvmodel.value import clv_table, customer_lifetime_value, naive_clv

__version__ = "0.1.0"

__all__ = [
    "NaiveRetentionComparison",
    "RetentionComparison",
    "compare_retention_models",
    "naive_vs_model_retention",
    "BetaDiscreteWeibullModel",
    "BetaGeoBetaBinomModel",
    "ShiftedBetaGeoModel",
    "subscriptions",
    "BetaGeoCovariateModel",
    "BetaGeoModel",
    "ClvError",
    "ClvWarning",
    "ConvergenceError",
    "DayOneModel",
    "GammaGammaCovariateModel",
    "GammaGammaModel",
    "HoldoutReport",
    "InputError",
    "ModelBundle",
    "ModelComparison",
    "ModelError",
    "ModifiedBetaGeoModel",
    "ModelFileError",
    "NotFittedError",
    "ParetoNBDModel",
    "PriceIncreasePlan",
    "PurchaseModel",
    "StatisticalWarning",
    "calibration_holdout_split",
    "churn_risk",
    "churn_tier_summary",
    "cac_payback",
    "clv_table",
    "compare_models",
    "customer_lifetime_value",
    "day_one_payback",
    "datasets",
    "economics",
    "evaluate_holdout",
    "interval_coverage",
    "load",
    "load_model",
    "load_models",
    "naive_clv",
    "naive_vs_model",
    "net_clv",
    "price_increase_plan",
    "probability_alive_at",
    "rfm_from_file",
    "rfm_summary",
    "simulate_customers",
    "simulate_customers_with_covariates",
    "simulate_transactions",
    "tracking_table",
    "unit_economics_summary",
]
