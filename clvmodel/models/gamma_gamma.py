"""The Gamma-Gamma model of spend per transaction.

Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). RFM and CLV: using iso-value curves for
customer base analysis. Journal of Marketing Research 42(4), 415-430; and Hardie's note "The
Gamma-Gamma model of monetary value" (2013), whose equation numbers are cited below.

Each transaction's value is Gamma(p, ν) distributed around the customer's mean p/ν, and ν varies
across customers as Gamma(q, γ). The model sees a customer through x (repeat transactions) and m_x
(their mean value), and assumes spend is independent of the purchase process.

Covariates are a mode of the model, as for the purchase models: with ``spend_covariates`` the
scale of the mixing distribution depends on the customer, ν_i ~ Gamma(q, v_i) with
v_i = v₀ exp(γ_spendᵀ z_i), so E[spend | z_i] = p v_i / (q − 1) and a coefficient multiplies the
expected spend per transaction by exp(γ) per unit of the covariate, while p and q stay common
(the log-link on a gamma scale that CLVTools uses for the purchase rate; CLVTools' own
Gamma-Gamma has no covariates).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.special import polygamma

from clvmodel.errors import ClvError, InputError, ModelError
from clvmodel.models._compress import weighted_compress
from clvmodel.models._covariate_ranges import warn_model_ranges
from clvmodel.models._covariates import (
    covariate_matrix,
    covariate_names,
    linear_predictor,
    times_exp,
)
from clvmodel.models._fit import MaximumLikelihoodModel
from clvmodel.models._gamma_gamma_limits import (
    gamma_limit,
    inverse_gamma_limit,
    log_beta_terms,
    odds_terms,
)
from clvmodel.models._log_gamma import digamma_shift, trigamma_shift
from clvmodel.models._spend_data import repeat_buyers
from clvmodel.rfm import validate_rfm

__all__ = ["conditional_spend", "GammaGammaModel"]

# The shapes p and q of the other starts tried when the first fit ends on an edge.
_SHAPE_STARTS = (0.03, 0.3, 3.0, 30.0)
# How far towards an edge (p, or q, at this value) a start near that edge lies.
_EDGE_START = 1e6


class GammaGammaModel(MaximumLikelihoodModel):
    """Gamma-Gamma spend model fitted by maximum likelihood on repeat buyers.

    Parameters
    ----------
    spend_covariates : list of str
        Columns of the table passed to :meth:`fit` and :meth:`expected_spend` that scale the
        expected spend per transaction by exp(γ) per unit (see the module docstring).
    max_iter : int
        Largest number of optimiser iterations.
    tol : float
        Convergence threshold on the gradient of the mean log-likelihood per customer.

    Attributes
    ----------
    params_ : pandas.Series
        ``p``, ``q`` and ``v`` (the paper's γ; v₀, the scale at z = 0, with covariates), then
        ``spend:<column>`` per covariate.
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

    _convergence_advice = (
        "  1. check monetary_value: the mean spend of a repeat buyer's repeat purchases, > 0;\n"
        "  2. check that spend does not hold a few absurd values (a unit or a join gone wrong);\n"
        "  3. pass initial_params= near plausible values;\n"
        "  4. raise max_iter=."
    )

    param_names = ("p", "q", "v")
    _setting_names = ("spend_covariates", "max_iter", "tol")

    def __init__(self, spend_covariates=(), *, max_iter: int = 2000, tol: float = 1e-6):
        super().__init__(max_iter=max_iter, tol=tol)
        self.spend_covariates = covariate_names(spend_covariates, "spend_covariates")
        coefficients = tuple(f"spend:{c}" for c in self.spend_covariates)
        self.param_names = type(self).param_names + coefficients
        self.unconstrained_params = coefficients

    def _prepare(self, data, weights, time_unit=None):
        rfm = validate_rfm(data, require=("frequency", "monetary_value"), time_unit=time_unit)
        z = covariate_matrix(data, self.spend_covariates, fitting=False)
        x, m = rfm.frequency, rfm.monetary_value
        keep, w = repeat_buyers(x, m, weights)
        for j, name in enumerate(self.spend_covariates):
            if keep.any() and np.ptp(z[keep, j]) == 0:  # (no buyer left: refused below)
                raise InputError(
                    f"covariate {name!r} is constant among the repeat buyers the spend model is "
                    "fitted on, so its effect on spend cannot be estimated; drop it from "
                    "spend_covariates."
                )
        distinct, counts = weighted_compress((x[keep], m[keep], *z[keep].T), w)
        ux, um = distinct[:2]
        if counts.sum() < 2:  # weights: the repeat buyers' weights sum to too few customers
            raise InputError(
                f"cannot fit {type(self).__name__} on {counts.sum():g} repeat buyer(s) (the sum "
                "of their weights): the model describes differences between customers and needs "
                "many of them (hundreds or more)."
            )
        # The spends' own scale (their geometric mean), against which γ's edge is judged.
        self._spend_scale = float(np.exp(np.average(np.log(um), weights=counts)))
        n_customers = int(keep.sum()) if w is None else w.sum()
        arrays = (ux, um, np.log(ux), np.log(um), np.log(ux * um))
        if self.spend_covariates:
            arrays += (np.column_stack(distinct[2:]),)
        return arrays, counts, n_customers

    @property
    def _analytic_hessian(self) -> bool:
        return not self.spend_covariates

    def _subsample(self, arrays, counts, rows):
        return tuple(a[rows] for a in arrays), counts[rows]

    def _objective(self, theta, arrays, counts, hessian):
        """Eq. (1a) summed over customers, with gradient and Hessian in (p, q, γ).

        Per customer, in a form that keeps its digits wherever the parameters run (p → ∞ with pγ
        fixed is the edge where the spends are inverse-gamma; q, γ → ∞ with γ/q fixed the edge
        where they are gamma):

            ln L = −ln B(px, q) − ln m − q ln(1 + xm/γ) − px ln(1 + γ/(xm)),

        the beta function and the derivatives as shifts of lnΓ, ψ and ψ'
        (:mod:`clvmodel.models._log_gamma`). Terms in x alone are evaluated once per distinct x;
        the rest once per row. With covariates each row has its own scale, and the base's
        row-by-row form is used instead.
        """
        if self.spend_covariates:
            return super()._objective(theta, arrays, counts, hessian)
        p, q, v = theta
        x, m, log_x, log_m, log_xm = arrays
        ux, ix = np.unique(x, return_inverse=True)
        cx = np.bincount(ix, weights=counts, minlength=ux.size)
        pux = p * ux
        cx_x = counts * x
        soft_v, soft_xm, share_v, share_xm = odds_terms(np.log(v) - log_xm)

        # The sums over rows, each once (by einsum, not BLAS: see _compress.weighted_sum).
        soft_xm_sum, soft_v_sum = (
            np.einsum("i,i->", counts, soft_xm),
            np.einsum("i,i->", cx_x, soft_v),
        )
        share_xm_sum, share_v_sum = (
            np.einsum("i,i->", counts, share_xm),
            np.einsum("i,i->", cx_x, share_v),
        )
        ll = (
            cx @ log_beta_terms(pux, q)
            - np.einsum("i,i->", counts, log_m)
            - q * soft_xm_sum
            - p * soft_v_sum
        )
        grad = np.array(
            [
                cx @ (ux * digamma_shift(pux, q)) - soft_v_sum,
                cx @ digamma_shift(q, pux) - soft_xm_sum,
                (q * share_xm_sum - p * share_v_sum) / v,
            ]
        )
        if not hessian:
            return ll, grad, None
        hess = np.empty((3, 3))
        hess[0, 0] = cx @ (ux**2 * trigamma_shift(pux, q))
        hess[0, 1] = hess[1, 0] = cx @ (ux * polygamma(1, pux + q))
        hess[1, 1] = cx @ trigamma_shift(q, pux)
        hess[0, 2] = hess[2, 0] = -share_v_sum / v
        hess[1, 2] = hess[2, 1] = share_xm_sum / v
        # ∂²/∂γ² = Σ [(px + q) s_γ² − q] / γ², with s_γ = γ/(γ + xm).
        hess[2, 2] = (
            np.einsum("i,i->", cx_x, share_v**2) * p
            - q * np.einsum("i,i->", counts, share_xm * (1.0 + share_v))
        ) / v**2
        return ll, grad, hess

    def _initial(self, arrays, counts):
        """A rough start; with covariates, the fit without them and every coefficient 0."""
        # The mean spend by np.average, not a BLAS dot (whose threads spin after a long one).
        start = np.array([1.0, 2.0, float(np.average(arrays[1], weights=counts))])
        if self.spend_covariates:
            spends = pd.DataFrame({"frequency": arrays[0], "monetary_value": arrays[1]})
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    plain = type(self)(max_iter=self.max_iter).fit(spends, weights=counts)
                start = plain.params_.to_numpy()
            except ClvError:
                pass
        return np.concatenate([start, np.zeros(len(self.spend_covariates))])

    def _degeneracy_hint(self, parameters):
        if "p" in parameters:
            return (
                "p → ∞ with pγ fixed: each customer's spend per transaction is constant, and "
                "spends differ across customers as an inverse-gamma distribution"
            )
        if "q" in parameters:
            return (
                "q, γ → ∞ with γ/q fixed: every customer's spends follow one gamma "
                "distribution, with no difference between customers"
            )
        return super()._degeneracy_hint(parameters)

    def _edge_logs(self, theta):
        logs = super()._edge_logs(theta)
        logs[2] -= np.log(self._spend_scale)  # γ is in the spends' unit of money
        return logs

    def _other_starts(self, arrays, counts, log_likelihood, on_edge):
        """Starts near each edge whose limiting model (:mod:`clvmodel.models._gamma_gamma_limits`)
        rises above the maximum found; after a failed fit or one on an edge, also a grid on both
        sides of each shape, with γ keeping the spends' typical scale p γ / q."""
        if self.spend_covariates:
            return []
        x, m, _, log_m = arrays[:4]
        starts = []
        inverse_gamma = inverse_gamma_limit(m, log_m, counts)
        gamma = gamma_limit(x, m, log_m, counts)
        if inverse_gamma is not None and _above(inverse_gamma[2], log_likelihood):
            q, c, _ = inverse_gamma
            starts.append(np.array([_EDGE_START, q, c / _EDGE_START]))
        if gamma is not None and _above(gamma[2], log_likelihood):
            p, theta, _ = gamma
            starts.append(np.array([p, _EDGE_START, theta * _EDGE_START]))
        if log_likelihood is None or on_edge:
            starts += [
                np.array([p, q, self._spend_scale * q / p])
                for p in _SHAPE_STARTS
                for q in _SHAPE_STARTS
            ]
        return starts

    def _loglik(self, theta, arrays):
        """Per-row log-likelihood and gradient in (p, q, v₀, γ_spend): eq. (1a) with each row's
        v_i, and the chain rule ∂/∂v₀ = g_v v_i/v₀, ∂/∂γ = g_v v_i z_i."""
        if not self.spend_covariates:
            return _row_loglik(theta, arrays)
        p, q, v0 = theta[:3]
        z = arrays[5]
        v = times_exp(v0, linear_predictor(z, np.asarray(theta[3:], dtype="float64")))
        ll, g = _row_loglik((p, q, v), arrays[:5])
        d_v = g[2] * v
        grad = np.empty((len(self.param_names), ll.size))
        grad[:2] = g[:2]
        grad[2] = d_v / v0
        grad[3:] = (z * d_v[:, None]).T
        return ll, grad

    def _coefficient_blocks(self, arrays):
        """The spend coefficients' slice, their covariate matrix and the scale v they multiply
        (see :mod:`clvmodel.models._covariate_scaling`)."""
        if self.spend_covariates:
            yield slice(3, len(self.param_names)), arrays[5], [(2, 1.0)]

    def _replace_covariates(self, arrays, matrices):
        """The rows with the covariate matrix of :meth:`_coefficient_blocks` replaced."""
        return (*arrays[:5], *matrices)

    # ----------------------------------------------------------------------------------------------
    def individual_scale(self, data) -> pd.Series:
        """Each customer's scale v_i = v₀ exp(γ_spendᵀ z_i) (v for everybody without covariates).

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
        warn_model_ranges(self, (self.spend_covariates, z))
        v = times_exp(theta[2], linear_predictor(z, theta[3:]))
        index = data.index if isinstance(data, pd.DataFrame) else None
        return pd.Series(np.broadcast_to(v, z.shape[0]), index=index, name="v")

    def expected_spend_new(self, data) -> pd.Series:
        """Expected spend per transaction of a customer with no repeat purchase yet,
        E[Z | z_i] = p v_i / (q − 1).

        Parameters
        ----------
        data : pandas.DataFrame
            One row per customer (with the covariate columns).

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

    def _q_above_one(self) -> tuple[float, float]:
        p, q = self._check_fitted()[:2]
        if q <= 1:
            raise ModelError(
                f"q = {q:.4g} ≤ 1: under these parameters the mean spend is infinite. The spend "
                "data may have extreme outliers; inspect or cap them and refit."
            )
        return p, q

    def population_mean_spend(self) -> float:
        """Mean spend per transaction across the population, E[Z] = p γ / (q − 1).

        Raises
        ------
        ModelError
            When q ≤ 1, where the population mean is infinite, or when the model has covariates
            (use :meth:`expected_spend_new` with the customers' covariates).
        """
        if self.spend_covariates:
            raise ModelError(
                "with spend covariates the mean spend differs by customer: use "
                "expected_spend_new(data) with their covariate columns."
            )
        p, q = self._q_above_one()
        return float(p * self._check_fitted()[2] / (q - 1.0))

    def expected_spend(self, data) -> pd.Series:
        """Expected mean spend per future transaction given each customer's history, eq. (5).

        E[M | p, q, γ, m_x, x] = (γ + x m_x) p / (p x + q − 1), a weighted average of the
        population mean p γ / (q − 1) and the customer's own mean m_x (with covariates γ is the
        customer's own v_i). Customers without a repeat purchase get the population mean
        p v_i / (q − 1).

        Parameters
        ----------
        data : pandas.DataFrame
            RFM table with ``frequency`` and ``monetary_value`` (and the covariate columns).

        Returns
        -------
        pandas.Series
            Indexed like ``data``.
        """
        rfm = validate_rfm(data, require=("frequency", "monetary_value"))
        p, q = self._q_above_one()
        v = self.individual_scale(data).to_numpy()
        x, m = rfm.frequency, np.where(rfm.frequency > 0, rfm.monetary_value, 0.0)
        values = conditional_spend(p, q, v, x, m)
        return pd.Series(values, index=rfm.index, name="expected_spend")


def conditional_spend(p, q, v, x, m):
    """Eq. (5) as (γ + x m_x) / (x + (q − 1)/p), where p never multiplies a sum (no overflow at
    a huge p); ``v`` is γ or each customer's own scale, ``m`` 0 where ``x`` is 0."""
    return (v + x * m) / (x + (q - 1.0) / p)


def _row_loglik(theta, arrays):
    """Log of eq. (1a): density of the mean spend m_x given x, and its gradient in (p, q, γ);
    γ may be an array (one scale per row). Written as in ``GammaGammaModel._objective``."""
    p, q, v = theta
    x, m, log_x, log_m, log_xm = arrays
    px = p * x
    soft_v, soft_xm, share_v, share_xm = odds_terms(np.log(v) - log_xm)
    ll = log_beta_terms(px, q) - log_m - q * soft_xm - px * soft_v
    grad = np.empty((3, ll.size))
    grad[0] = x * (digamma_shift(px, q) - soft_v)
    grad[1] = digamma_shift(q, px) - soft_xm
    grad[2] = (q * share_xm - px * share_v) / v
    return ll, grad


def _above(edge: float, found: float | None) -> bool:
    """Whether an edge's log-likelihood exceeds the maximum found (None: no maximum found)."""
    return found is None or edge > found + 1e-9 * abs(found)
