"""The BG/NBD model with time-invariant covariates, under its former name.

Covariates are now a mode of every purchase model: ``BetaGeoModel(purchase_covariates=[...],
dropout_covariates=[...])`` is this model (see :mod:`clvmodel.models.base`). The class stays so
that code and model files written for it keep working.
"""

from __future__ import annotations

from clvmodel.models.beta_geo import BetaGeoModel

__all__ = ["BetaGeoCovariateModel"]


class BetaGeoCovariateModel(BetaGeoModel):
    """BG/NBD with time-invariant covariates on the purchase rate and on dropout.

    The same model as ``BetaGeoModel(purchase_covariates, dropout_covariates)``, kept for code
    and model files that use this name (``expected_purchases_new`` also takes its former argument
    order ``(data, t)``).

    Parameters
    ----------
    purchase_covariates, dropout_covariates : list of str
        See :class:`~clvmodel.BetaGeoModel`.
    max_iter : int
        Largest number of optimiser iterations.
    tol : float
        Convergence threshold on the gradient of the mean log-likelihood per customer.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import clvmodel as clv
    >>> rng = np.random.default_rng(1)
    >>> z = pd.DataFrame({"z": rng.normal(size=4000)})
    >>> rfm = clv.simulate_customers_with_covariates(
    ...     z, dict(r=0.5, alpha=5.0, a=0.8, b=2.5), T=52.0,
    ...     purchase_coefficients={"z": 0.5}, seed=2)
    >>> model = clv.BetaGeoCovariateModel(purchase_covariates=["z"]).fit(rfm)
    >>> bool(abs(model.params_["purchase:z"] - 0.5) < 4 * model.standard_errors_["purchase:z"])
    True
    """
