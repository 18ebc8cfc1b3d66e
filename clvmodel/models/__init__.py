"""Maximum-likelihood customer-base models.

Purchase models (the "Buy Till You Die" family) share the protocol of
:class:`clvmodel.models.base.PurchaseModel`; a new one is registered in ``PURCHASE_MODELS`` below
under its short name, which the command line and :func:`clvmodel.compare_models` use.
"""

from clvmodel.models._persistence import load_model
from clvmodel.models.base import PurchaseModel
from clvmodel.models.beta_geo import BetaGeoModel
from clvmodel.models.beta_geo_covariates import BetaGeoCovariateModel
from clvmodel.models.bundle import ModelBundle, load_models
from clvmodel.models.gamma_gamma import GammaGammaModel
from clvmodel.models.gamma_gamma_covariates import GammaGammaCovariateModel
from clvmodel.models.modified_beta_geo import ModifiedBetaGeoModel
from clvmodel.models.pareto_nbd import ParetoNBDModel

#: Purchase models by short name (command line ``--model``, :func:`clvmodel.compare_models`).
PURCHASE_MODELS = {
    "bgnbd": BetaGeoModel,
    "mbgnbd": ModifiedBetaGeoModel,
    "pnbd": ParetoNBDModel,
}

__all__ = [
    "PURCHASE_MODELS",
    "BetaGeoCovariateModel",
    "BetaGeoModel",
    "GammaGammaCovariateModel",
    "GammaGammaModel",
    "ModelBundle",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "PurchaseModel",
    "load_model",
    "load_models",
]
