"""Maximum-likelihood customer-base models.

Purchase models (the "Buy Till You Die" family) share the protocol of
:class:`clvmodel.models.base.PurchaseModel`; a new one is registered in ``PURCHASE_MODELS`` below
under its short name, which the command line and :func:`clvmodel.compare_models` use. Retention
models for subscriptions (sBG, beta-discrete-Weibull) and BG/BB for discrete purchase
opportunities stand beside them.
"""

from clvmodel.models._persistence import load_model
from clvmodel.models.base import PurchaseModel
from clvmodel.models.beta_discrete_weibull import BetaDiscreteWeibullModel
from clvmodel.models.beta_geo import BetaGeoModel
from clvmodel.models.beta_geo_beta_binom import BetaGeoBetaBinomModel
from clvmodel.models.beta_geo_covariates import BetaGeoCovariateModel
from clvmodel.models.bundle import ModelBundle, load_models
from clvmodel.models.gamma_gamma import GammaGammaModel
from clvmodel.models.gamma_gamma_covariates import GammaGammaCovariateModel
from clvmodel.models.modified_beta_geo import ModifiedBetaGeoModel
from clvmodel.models.pareto_nbd import ParetoNBDModel
from clvmodel.models.shifted_beta_geo import ShiftedBetaGeoModel

#: Purchase models by short name (command line ``--model``, :func:`clvmodel.compare_models`).
PURCHASE_MODELS = {
    "bgnbd": BetaGeoModel,
    "mbgnbd": ModifiedBetaGeoModel,
    "pnbd": ParetoNBDModel,
}

__all__ = [
    "PURCHASE_MODELS",
    "BetaDiscreteWeibullModel",
    "BetaGeoBetaBinomModel",
    "BetaGeoCovariateModel",
    "BetaGeoModel",
    "GammaGammaCovariateModel",
    "GammaGammaModel",
    "ModelBundle",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "PurchaseModel",
    "ShiftedBetaGeoModel",
    "load_model",
    "load_models",
]
