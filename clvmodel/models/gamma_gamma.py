"""The Gamma-Gamma model of spend per transaction.

Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). RFM and CLV: using iso-value curves for
customer base analysis. Journal of Marketing Research 42(4), 415-430; and Hardie's note "The
Gamma-Gamma model of monetary value" (2013), whose equation numbers are cited below.

Each transaction's value is Gamma(p, ν) distributed around the customer's mean p/ν, and ν varies
across customers as Gamma(q, γ). The model sees a customer through x (repeat transactions) and m_x
(their mean value), and assumes spend is independent of the purchase process.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.special import gammaln, polygamma, psi

from clvmodel.errors import InputError, ModelError, StatisticalWarning
from clvmodel.models._fit import MaximumLikelihoodModel, _weighted_compress, check_weights
from clvmodel.rfm import validate_rfm

__all__ = ["GammaGammaModel"]

# Above this |correlation| between frequency and spend, the independence assumption is doubtful.
_CORRELATION_WARNING = 0.3


class GammaGammaModel(MaximumLikelihoodModel):
    """Gamma-Gamma spend model fitted by maximum likelihood on repeat buyers.

    Parameters
    ----------
    max_iter : int
        Largest number of optimiser iterations.
    tol : float
        Convergence threshold on the gradient of the mean log-likelihood per customer.

    Attributes
    ----------
    params_ : pandas.Series
        ``p``, ``q`` and ``v`` (the paper's γ).
    log_likelihood_ : float
        Maximised log-likelihood of the mean spends, eq. (1a) of Hardie's note.

    Examples
    --------
    >>> import clvmodel as clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow_sample(), observation_end="1997-09-30")
    >>> gg = clv.GammaGammaModel().fit(rfm)
    >>> gg.params_.round(2).tolist()
    [6.25, 3.74, 15.44]
    """

    param_names = ("p", "q", "v")

    def _prepare(self, data, weights):
        rfm = validate_rfm(data, require=("frequency", "monetary_value"))
        x, m = rfm.frequency, rfm.monetary_value
        keep, w = _repeat_buyers(x, m, weights)
        (ux, um), counts = _weighted_compress((x[keep], m[keep]), w)
        n_customers = int(keep.sum()) if w is None else w.sum()
        return (ux, um, np.log(ux), np.log(um), np.log(ux * um)), counts, n_customers

    _analytic_hessian = True

    def _objective(self, theta, arrays, counts, hessian):
        """Eq. (1a) summed over customers, with gradient and Hessian in (p, q, γ).

        Every term but ln(γ + x m_x) depends on x alone or not on the parameters, so special
        functions are evaluated once per distinct x and a single logarithm per row remains.
        """
        p, q, v = theta
        x, m, log_x, log_m, log_xm = arrays
        ux, ix = np.unique(x, return_inverse=True)
        cx = np.bincount(ix, weights=counts, minlength=ux.size)
        total = cx.sum()
        pux = p * ux
        spend_sum = np.einsum("i,i->", counts, x * log_m)  # Σ c x ln m
        log_m_sum = np.einsum("i,i->", counts, log_m)
        log_total = np.log(v + np.exp(log_xm))
        inv_total = np.exp(-log_total)
        c_log_total = np.einsum("i,i->", counts, log_total)
        cx_log_total = np.einsum("i,i->", counts * x, log_total)
        c_inv = np.einsum("i,i->", counts, inv_total)
        cx_inv = np.einsum("i,i->", counts * x, inv_total)

        ll = (
            cx @ (gammaln(pux + q) - gammaln(pux) + pux * np.log(ux))
            - total * gammaln(q)
            + total * q * np.log(v)
            + p * spend_sum
            - log_m_sum
            - p * cx_log_total
            - q * c_log_total
        )
        grad = np.array(
            [
                cx @ (ux * (psi(pux + q) - psi(pux) + np.log(ux))) + spend_sum - cx_log_total,
                cx @ (psi(pux + q) - psi(q)) + total * np.log(v) - c_log_total,
                total * q / v - p * cx_inv - q * c_inv,
            ]
        )
        if not hessian:
            return ll, grad, None
        c_inv2 = np.einsum("i,i->", counts, inv_total**2)
        cx_inv2 = np.einsum("i,i->", counts * x, inv_total**2)
        tri_pq = polygamma(1, pux + q)
        hess = np.empty((3, 3))
        hess[0, 0] = cx @ (ux**2 * (tri_pq - polygamma(1, pux)))
        hess[0, 1] = hess[1, 0] = cx @ (ux * tri_pq)
        hess[1, 1] = cx @ (tri_pq - polygamma(1, q))
        hess[0, 2] = hess[2, 0] = -cx_inv
        hess[1, 2] = hess[2, 1] = total / v - c_inv
        hess[2, 2] = -total * q / v**2 + p * cx_inv2 + q * c_inv2
        return ll, grad, hess

    def _initial(self, arrays, counts):
        mean_spend = float(counts @ arrays[1] / counts.sum())
        return np.array([1.0, 2.0, mean_spend])

    def _loglik(self, theta, arrays):
        """Log of eq. (1a): density of the mean spend m_x given x, and its gradient."""
        p, q, v = theta
        x, m, log_x, log_m, log_xm = arrays
        px = p * x
        log_total = np.logaddexp(np.log(v), log_xm)
        ll = (
            gammaln(px + q)
            - gammaln(px)
            - gammaln(q)
            + q * np.log(v)
            + (px - 1.0) * log_m
            + px * log_x
            - (px + q) * log_total
        )
        grad = np.empty((3, ll.size))
        grad[0] = x * (psi(px + q) - psi(px) + log_m + log_x - log_total)
        grad[1] = psi(px + q) - psi(q) + np.log(v) - log_total
        grad[2] = q / v - (px + q) * np.exp(-log_total)
        return ll, grad

    # ----------------------------------------------------------------------------------------------
    def population_mean_spend(self) -> float:
        """Mean spend per transaction across the population, E[Z] = p γ / (q − 1).

        Raises
        ------
        ModelError
            When q ≤ 1, where the population mean is infinite.
        """
        p, q, v = self._check_fitted()
        if q <= 1:
            raise ModelError(
                f"q = {q:.4g} ≤ 1: under these parameters the population mean spend is infinite. "
                "The spend data may have extreme outliers; inspect or cap them and refit."
            )
        return float(p * v / (q - 1.0))

    def expected_spend(self, data) -> pd.Series:
        """Expected mean spend per future transaction given each customer's history, eq. (5).

        E[M | p, q, γ, m_x, x] = (γ + x m_x) p / (p x + q − 1), a weighted average of the
        population mean p γ / (q − 1) and the customer's own mean m_x. Customers without a repeat
        purchase get the population mean.

        Parameters
        ----------
        data : pandas.DataFrame
            RFM table with ``frequency`` and ``monetary_value``.

        Returns
        -------
        pandas.Series
            Indexed like ``data``.
        """
        rfm = validate_rfm(data, require=("frequency", "monetary_value"))
        p, q, v = self._check_fitted()
        x, m = rfm.frequency, rfm.monetary_value
        population = self.population_mean_spend()
        denominator = p * x + q - 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            conditional = (v + x * m) * p / denominator
        values = np.where(x > 0, conditional, population)
        return pd.Series(values, index=rfm.index, name="expected_spend")


def _repeat_buyers(x: np.ndarray, m: np.ndarray, weights) -> tuple[np.ndarray, np.ndarray | None]:
    """Which customers the spend model is fitted on (repeat buyers with positive spend), and their
    weights; warns when spend and frequency look dependent, as the model assumes they are not."""
    keep = x > 0
    zero_spend = keep & (m <= 0)
    if zero_spend.any():
        warnings.warn(
            f"{int(zero_spend.sum())} repeat buyer(s) have monetary_value 0 and are left out "
            "of the spend model, which needs positive amounts.",
            StatisticalWarning,
            stacklevel=4,
        )
        keep &= m > 0
    if keep.sum() < 2:
        raise InputError(
            f"the Gamma-Gamma model needs repeat buyers with positive spend; this table has "
            f"{int(keep.sum())}. Use a longer observation period."
        )
    if np.unique(m[keep]).size > 1 and np.unique(x[keep]).size > 1:
        correlation = float(np.corrcoef(x[keep], m[keep])[0, 1])
        if abs(correlation) > _CORRELATION_WARNING:
            warnings.warn(
                f"frequency and monetary_value are correlated ({correlation:.2f}) among repeat "
                "buyers; the Gamma-Gamma model assumes they are independent, so its spend "
                "predictions may be biased.",
                StatisticalWarning,
                stacklevel=4,
            )
    w = check_weights(weights, x.size)
    return keep, (None if w is None else w[keep])
