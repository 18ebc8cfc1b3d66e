"""The Gamma-Gamma spend model with covariates, under its former name.

Covariates are now a mode of the model: ``GammaGammaModel(spend_covariates=[...])`` is this model
(see :mod:`clvmodel.models.gamma_gamma`). The class stays so that code and model files written for
it keep working.
"""

from __future__ import annotations

from clvmodel.models.gamma_gamma import GammaGammaModel

__all__ = ["GammaGammaCovariateModel"]


class GammaGammaCovariateModel(GammaGammaModel):
    """Gamma-Gamma spend model with covariates on the spend scale, v_i = v₀ exp(γ_spendᵀ z_i).

    The same model as ``GammaGammaModel(spend_covariates)``, kept for code and model files that
    use this name.

    Parameters
    ----------
    spend_covariates : list of str
        Columns that scale expected spend per transaction by exp(γ) per unit.
    max_iter : int
        Largest number of optimiser iterations.
    tol : float
        Convergence threshold on the gradient of the mean log-likelihood per customer.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import clvmodel as clv
    >>> rng = np.random.default_rng(3)
    >>> z = pd.DataFrame({"z": rng.normal(size=6000)})
    >>> rfm = clv.simulate_customers_with_covariates(
    ...     z, dict(r=1.0, alpha=5.0, a=0.5, b=5.0), T=52.0,
    ...     gg_params=dict(p=6.0, q=4.0, v=15.0), spend_coefficients={"z": 0.3}, seed=4)
    >>> gg = clv.GammaGammaCovariateModel(spend_covariates=["z"]).fit(rfm)
    >>> bool(abs(gg.params_["spend:z"] - 0.3) < 4 * gg.standard_errors_["spend:z"])
    True
    """
