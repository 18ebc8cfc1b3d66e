"""The Gamma-Gamma spend model with time-invariant covariates on the spend scale.

Plain Gamma-Gamma (Fader, Hardie and Lee 2005, "RFM and CLV"; Hardie's 2013 note "The Gamma-Gamma
model of monetary value"): each transaction's value is Gamma(p, ν_i), and ν_i ~ Gamma(q, γ)
across customers, so the expected spend per transaction is p γ / (q − 1). Here the scale of the
mixing distribution depends on the customer's covariates,

    ν_i ~ Gamma(q, v_i),   v_i = v₀ · exp(γ_spendᵀ z_i),

so E[spend | z_i] = p v_i / (q − 1): a coefficient γ multiplies a customer's expected spend per
transaction by exp(γ) per unit of the covariate, while p and q (the shape of spend variation
within and across customers) stay common. This is the same log-link on a Gamma scale parameter
that CLVTools uses for the purchase rate of BG/NBD and Pareto/NBD (α_i = α₀ exp(−γᵀz_i); Bachmann,
Meierer and Näf 2021); CLVTools' own Gamma-Gamma has no covariates. With no covariates the model is
exactly :class:`~clvmodel.GammaGammaModel`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from clvmodel.errors import ClvError, InputError, ModelError
from clvmodel.models._covariates import covariate_matrix
from clvmodel.models._covariates import covariate_names as _covariate_names
from clvmodel.models._covariates import linear_predictor as _linear
from clvmodel.models._fit import MaximumLikelihoodModel, _weighted_compress
from clvmodel.models.gamma_gamma import GammaGammaModel, _repeat_buyers
from clvmodel.rfm import validate_rfm

__all__ = ["GammaGammaCovariateModel"]

# The plain model's per-row log-likelihood accepts an array v: one per customer.
_PLAIN = GammaGammaModel()


class GammaGammaCovariateModel(MaximumLikelihoodModel):
    """Gamma-Gamma spend model with covariates on the spend scale, v_i = v₀ exp(γ_spendᵀ z_i).

    Fitted by maximum likelihood on repeat buyers with positive spend, like
    :class:`~clvmodel.GammaGammaModel`; the covariates are columns of the table.

    Parameters
    ----------
    spend_covariates : list of str
        Columns that scale expected spend per transaction by exp(γ) per unit.
    max_iter : int
        Largest number of optimiser iterations.
    tol : float
        Convergence threshold on the gradient of the mean log-likelihood per customer.

    Attributes
    ----------
    params_ : pandas.Series
        ``p``, ``q``, ``v`` (v₀, the scale at z = 0), then ``spend:<column>`` per covariate.
    log_likelihood_ : float
        Maximised log-likelihood of the mean spends (eq. 1a of Hardie's note, with v_i).

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

    _setting_names = ("spend_covariates", "max_iter", "tol")

    def __init__(self, spend_covariates=(), *, max_iter: int = 2000, tol: float = 1e-6):
        super().__init__(max_iter=max_iter, tol=tol)
        self.spend_covariates = _covariate_names(spend_covariates, "spend_covariates")
        coefficients = tuple(f"spend:{c}" for c in self.spend_covariates)
        self.param_names = ("p", "q", "v") + coefficients
        self.unconstrained_params = coefficients

    def _prepare(self, data, weights):
        rfm = validate_rfm(data, require=("frequency", "monetary_value"))
        z = covariate_matrix(data, self.spend_covariates, fitting=False)
        x, m = rfm.frequency, rfm.monetary_value
        keep, w = _repeat_buyers(x, m, weights)
        for j, name in enumerate(self.spend_covariates):
            if np.ptp(z[keep, j]) == 0:
                raise InputError(
                    f"covariate {name!r} is constant among the repeat buyers the spend model is "
                    "fitted on, so its effect on spend cannot be estimated; drop it from "
                    "spend_covariates."
                )
        distinct, counts = _weighted_compress((x[keep], m[keep], *z[keep].T), w)
        ux, um = distinct[:2]
        uz = np.column_stack(distinct[2:]) if self.spend_covariates else np.empty((ux.size, 0))
        n_customers = int(keep.sum()) if w is None else w.sum()
        arrays = (ux, um, np.log(ux), np.log(um), np.log(ux * um), uz)
        return arrays, counts, n_customers

    def _initial(self, arrays, counts):
        """The plain Gamma-Gamma fit on the same spends, with every coefficient 0."""
        x, m = arrays[:2]
        zeros = np.zeros(len(self.spend_covariates))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                plain = GammaGammaModel(max_iter=self.max_iter).fit(
                    pd.DataFrame({"frequency": x, "monetary_value": m}), weights=counts
                )
            return np.concatenate([plain.params_.to_numpy(), zeros])
        except ClvError:
            return np.concatenate([[1.0, 2.0, float(counts @ m / counts.sum())], zeros])

    def _loglik(self, theta, arrays):
        """Per-row log-likelihood and gradient in (p, q, v₀, γ_spend): the plain model's with
        v_i, and the chain rule ∂/∂v₀ = g_v v_i/v₀, ∂/∂γ = g_v v_i z_i."""
        p, q, v0 = theta[:3]
        z = arrays[5]
        v = v0 * np.exp(_linear(z, np.asarray(theta[3:], dtype="float64")))
        ll, g = _PLAIN._loglik((p, q, v), arrays[:5])
        d_v = g[2] * v
        grad = np.empty((len(self.param_names), ll.size))
        grad[:2] = g[:2]
        grad[2] = d_v / v0
        grad[3:] = (z * d_v[:, None]).T
        return ll, grad

    # ----------------------------------------------------------------------------------------------
    def individual_scale(self, data) -> pd.Series:
        """Each customer's scale v_i = v₀ exp(γ_spendᵀ z_i).

        Parameters
        ----------
        data : pandas.DataFrame
            A table with the covariate columns.

        Returns
        -------
        pandas.Series
            Indexed like ``data``.
        """
        theta = self._check_fitted()
        z = covariate_matrix(data, self.spend_covariates, fitting=False)
        v = theta[2] * np.exp(_linear(z, theta[3:]))
        index = data.index if isinstance(data, pd.DataFrame) else None
        return pd.Series(np.broadcast_to(v, z.shape[0]), index=index, name="v")

    def _q_above_one(self) -> tuple[float, float]:
        p, q = self._check_fitted()[:2]
        if q <= 1:
            raise ModelError(
                f"q = {q:.4g} ≤ 1: under these parameters the mean spend is infinite. The spend "
                "data may have extreme outliers; inspect or cap them and refit."
            )
        return p, q

    def expected_spend_new(self, data) -> pd.Series:
        """Expected spend per transaction of a customer with no repeat purchase yet,
        E[Z | z_i] = p v_i / (q − 1).

        Parameters
        ----------
        data : pandas.DataFrame
            One row per customer, with the covariate columns.

        Returns
        -------
        pandas.Series
            Indexed like ``data``.

        Raises
        ------
        ModelError
            When q ≤ 1, where the mean is infinite.
        """
        p, q = self._q_above_one()
        v = self.individual_scale(data)
        return (p * v / (q - 1.0)).rename("expected_spend")

    def expected_spend(self, data) -> pd.Series:
        """Expected spend per future transaction given each customer's history and covariates,
        eq. (5) of Hardie's note with v_i: (v_i + x m_x) p / (p x + q − 1).

        Parameters
        ----------
        data : pandas.DataFrame
            RFM table with ``frequency``, ``monetary_value`` and the covariate columns. Customers
            without a repeat purchase get p v_i / (q − 1).

        Returns
        -------
        pandas.Series
            Indexed like ``data``.
        """
        rfm = validate_rfm(data, require=("frequency", "monetary_value"))
        p, q = self._q_above_one()
        v = self.individual_scale(data).to_numpy()
        x, m = rfm.frequency, np.where(rfm.frequency > 0, rfm.monetary_value, 0.0)
        values = (v + x * m) * p / (p * x + q - 1.0)
        return pd.Series(values, index=rfm.index, name="expected_spend")
