"""Maximum-likelihood customer-base models."""

from clvmodel.models._fit import load_model
from clvmodel.models.beta_geo import BetaGeoModel
from clvmodel.models.gamma_gamma import GammaGammaModel

__all__ = ["BetaGeoModel", "GammaGammaModel", "load_model"]
