"""Maximum-likelihood customer-base models."""

from clvmodel.models._fit import load_model
from clvmodel.models.beta_geo import BetaGeoModel
from clvmodel.models.beta_geo_covariates import BetaGeoCovariateModel
from clvmodel.models.bundle import ModelBundle, load_models
from clvmodel.models.gamma_gamma import GammaGammaModel
from clvmodel.models.gamma_gamma_covariates import GammaGammaCovariateModel

__all__ = [
    "BetaGeoCovariateModel",
    "BetaGeoModel",
    "GammaGammaCovariateModel",
    "GammaGammaModel",
    "ModelBundle",
    "load_model",
    "load_models",
]
