"""The BG/NBD model of purchasing and dropout.

Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your customers" the easy way: an
alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284. Equation numbers below refer
to that paper; the derivations are in Hardie's note "Implementing the BG/NBD model".

While alive, a customer buys at Poisson rate λ ~ Gamma(r, α); after each repeat purchase they drop
out with probability p ~ Beta(a, b). A customer is described by x (repeat purchases), t_x (time of
the last one, from the first purchase) and T (age at the end of observation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betainc, betaln, expit, gammaln, polygamma, psi

from clvmodel.errors import InputError
from clvmodel.models._fit import MaximumLikelihoodModel, _weighted_compress, check_weights
from clvmodel.models._special import expected_purchases_if_alive
from clvmodel.rfm import validate_rfm

__all__ = ["BetaGeoModel"]


def _dot(u: np.ndarray, v: np.ndarray) -> float:
    # einsum rather than BLAS: threaded BLAS dot products slow down badly on small machines when
    # other thread pools (pyarrow's) are loaded, and these vectors are not worth threading.
    return float(np.einsum("i,i->", u, v))


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values, by hashing (faster than the sort behind np.unique)."""
    codes, uniques = pd.factorize(values)
    return codes.astype("int64", copy=False), np.asarray(uniques, dtype="float64")


def tri(z):
    """Trigamma function ψ₁(z)."""
    return polygamma(1, z)


class _Histories:
    """Distinct (x, t_x, T) rows with their counts, indexed by their distinct x, t_x and T values so
    that special functions are evaluated once per distinct value, and with the sums over rows that
    do not depend on the parameters computed once."""

    def __init__(self, x, t_x, age, counts):
        self.x, self.t_x, self.T = x, t_x, age
        self.ix, self.ux = _factorize(x)
        self.it_x, self.ut_x = _factorize(t_x)
        self.iT, self.uT = _factorize(age)
        self.repeat = x > 0
        self.urepeat = self.ux > 0
        # Customers per distinct x; customers and their repeat purchases per distinct T.
        self.count_x = np.bincount(self.ix, weights=counts, minlength=self.ux.size)
        self.count_T = np.bincount(self.iT, weights=counts, minlength=self.uT.size)
        self.purchases_T = np.bincount(self.iT, weights=counts * x, minlength=self.uT.size)
        # Rows with repeat purchases: only they carry the "dropped out after the last purchase"
        # term of eq. (6).
        rows = np.flatnonzero(self.repeat)
        self.r_ix, self.r_it_x, self.r_iT = self.ix[rows], self.it_x[rows], self.iT[rows]
        self.r_x, self.r_counts = x[rows], counts[rows]


class BetaGeoModel(MaximumLikelihoodModel):
    """BG/NBD model (Fader, Hardie and Lee 2005) fitted by maximum likelihood.

    Parameters
    ----------
    max_iter : int
        Largest number of optimiser iterations.
    tol : float
        Convergence threshold on the gradient of the mean log-likelihood per customer.

    Attributes
    ----------
    params_ : pandas.Series
        ``r``, ``alpha``, ``a``, ``b``.
    log_likelihood_ : float
        Maximised log-likelihood (eq. 6 summed over customers).
    standard_errors_ : pandas.Series
        Asymptotic standard errors from the Hessian.

    Examples
    --------
    >>> import clvmodel as clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow_sample(), observation_end="1997-09-30")
    >>> bg = clv.BetaGeoModel().fit(rfm)
    >>> bg.params_.round(4).tolist()
    [0.2426, 4.4136, 0.7929, 2.4259]
    """

    param_names = ("r", "alpha", "a", "b")

    def _prepare(self, data, weights):
        rfm = validate_rfm(data)
        weights = check_weights(weights, rfm.frequency.size)
        (x, t_x, age), counts = _weighted_compress((rfm.frequency, rfm.recency, rfm.T), weights)
        if (age <= 0).all():
            raise InputError(
                "every customer has T = 0, so there is no time in which to observe purchases; "
                "choose a later observation_end."
            )
        n_customers = rfm.frequency.size if weights is None else weights.sum()
        return _Histories(x, t_x, age, counts), counts, n_customers

    def _subsample(self, h, counts, rows):
        return _Histories(h.x[rows], h.t_x[rows], h.T[rows], counts[rows]), counts[rows]

    def _initial(self, h, counts):
        mean_age = max(float(counts @ h.T / counts.sum()), 1e-3)
        mean_x = float(counts @ h.x / counts.sum())
        return np.array([1.0, mean_age / (mean_x + 1.0), 1.0, 1.0])

    def _loglik(self, theta, h):
        """Log of eq. (6) per distinct row, and its gradient in (r, α, a, b)."""
        r, alpha, a, b = theta
        ux = h.ux
        rx = r + h.x
        log_alpha_T = np.log(alpha + h.uT)[h.iT]
        log_alpha_tx = np.log(alpha + h.ut_x)[h.it_x]
        # Per distinct x: Γ and B terms of eq. (6) and their digamma derivatives.
        base = gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
        beta_alive = betaln(a, b + ux) - betaln(a, b)
        ux_rep = np.where(h.urepeat, ux, 1.0)
        beta_dead = np.where(h.urepeat, betaln(a + 1, b + ux_rep - 1) - betaln(a, b), -np.inf)
        d_base_r = psi(r + ux) - psi(r) + np.log(alpha)
        d_alive_a = psi(a + b) - psi(a + b + ux)
        d_alive_b = psi(b + ux) - psi(a + b + ux) - psi(b) + psi(a + b)
        d_dead_a = psi(a + 1) - psi(a + b + ux) - psi(a) + psi(a + b)
        d_dead_b = np.where(
            h.urepeat, psi(b + ux_rep - 1) - psi(a + b + ux) - psi(b) + psi(a + b), 0.0
        )

        ix = h.ix
        alive = beta_alive[ix] - rx * log_alpha_T
        dead = beta_dead[ix] - rx * log_alpha_tx
        total = np.logaddexp(alive, dead)
        w_dead = np.exp(dead - total)
        w_alive = 1.0 - w_dead
        ll = base[ix] + total

        grad = np.empty((4, ll.size))
        grad[0] = d_base_r[ix] - w_alive * log_alpha_T - w_dead * log_alpha_tx
        grad[1] = r / alpha - rx * (
            w_alive / (alpha + h.uT)[h.iT] + w_dead / (alpha + h.ut_x)[h.it_x]
        )
        grad[2] = w_alive * d_alive_a[ix] + w_dead * d_dead_a[ix]
        grad[3] = w_alive * d_alive_b[ix] + w_dead * d_dead_b[ix]
        return ll, grad

    _analytic_hessian = True

    def _objective(self, theta, h, counts, hessian):
        """Eq. (6) summed over customers, with its gradient and Hessian in (r, α, a, b).

        Per customer, ll = A + softplus(D) where A is the log-likelihood of being alive at T,

            A = lnΓ(r+x) − lnΓ(r) + r ln α + lnB(a, b+x) − lnB(a, b) − (r+x) ln(α+T),

        and D = ln a − ln(b+x−1) − (r+x)[ln(α+t_x) − ln(α+T)] the log-odds of having dropped out
        right after the last purchase (x > 0 only). A's terms are sums over distinct x and T; only
        softplus(D) and its derivatives need a pass over the rows.
        """
        r, alpha, a, b = theta
        ux, cx = h.ux, h.count_x
        log_T, inv_T = np.log(alpha + h.uT), 1.0 / (alpha + h.uT)
        log_tx, inv_tx = np.log(alpha + h.ut_x), 1.0 / (alpha + h.ut_x)
        weight_T = r * h.count_T + h.purchases_T  # Σ over customers with that T of (r + x)

        ll = (
            cx @ (gammaln(r + ux) - gammaln(r) + r * np.log(alpha))
            + cx @ (gammaln(b + ux) - gammaln(a + b + ux) - gammaln(b) + gammaln(a + b))
            - weight_T @ log_T
        )
        grad = np.array(
            [
                cx @ (psi(r + ux) - psi(r) + np.log(alpha)) - h.count_T @ log_T,
                cx.sum() * r / alpha - weight_T @ inv_T,
                cx @ (psi(a + b) - psi(a + b + ux)),
                cx @ (psi(b + ux) - psi(a + b + ux) - psi(b) + psi(a + b)),
            ]
        )

        # Rows with repeat purchases: D = k_x − m δ1, with δ1 = ln(α+t_x) − ln(α+T).
        m = r + h.r_x
        delta1 = log_tx[h.r_it_x] - log_T[h.r_iT]
        inv_tx_rows, inv_T_rows = inv_tx[h.r_it_x], inv_T[h.r_iT]
        delta2 = inv_tx_rows - inv_T_rows
        ux_rep = np.where(h.urepeat, ux, 2.0)
        inv_bx = np.where(h.urepeat, 1.0 / (b + ux_rep - 1.0), 0.0)  # 1 / (b + x − 1)
        k = (np.log(a) - np.log(b + ux_rep - 1.0))[h.r_ix]
        dead = k - m * delta1
        # softplus(D) = max(D, 0) + log1p(e), w = expit(D), both from e = exp(−|D|).
        e = np.exp(-np.abs(dead))
        log_term = np.log1p(e)
        positive = np.maximum(dead, 0.0)
        w = np.where(dead > 0, 1.0, e) / (1.0 + e)  # P(dropped out | history)
        cw = h.r_counts * w
        cw_by_x = np.bincount(h.r_ix, weights=cw, minlength=ux.size)
        cw_m_delta2 = _dot(cw, m * delta2)

        ll += _dot(h.r_counts, positive + log_term)
        grad += np.array([-_dot(cw, delta1), -cw_m_delta2, cw_by_x.sum() / a, -(cw_by_x @ inv_bx)])
        if not hessian:
            return ll, grad, None

        # d²D: (r,α) −δ2; (α,α) m(1/(α+t_x)² − 1/(α+T)²); (a,a) −1/a²; (b,b) 1/(b+x−1)².
        # w(1−w) dD dDᵀ with dD = (−δ1, −m δ2, 1/a, −1/(b+x−1)).
        v = cw * (1.0 - w)
        v_by_x = np.bincount(h.r_ix, weights=v, minlength=ux.size)
        v_delta1_by_x = np.bincount(h.r_ix, weights=v * delta1, minlength=ux.size)
        v_m_delta2_by_x = np.bincount(h.r_ix, weights=v * m * delta2, minlength=ux.size)
        inv_tx2 = delta2 * (inv_tx_rows + inv_T_rows)  # 1/(α+t_x)² − 1/(α+T)²
        hess = np.empty((4, 4))
        hess[0, 0] = cx @ (tri(r + ux) - tri(r)) + _dot(v, delta1**2)
        hess[0, 1] = (
            cx.sum() / alpha - h.count_T @ inv_T - _dot(cw, delta2) + _dot(v, m * delta1 * delta2)
        )
        hess[1, 1] = (
            -cx.sum() * r / alpha**2
            + weight_T @ inv_T**2
            + _dot(cw, m * inv_tx2)
            + _dot(v, m**2 * delta2**2)
        )
        hess[0, 2] = -v_delta1_by_x.sum() / a
        hess[0, 3] = v_delta1_by_x @ inv_bx
        hess[1, 2] = -v_m_delta2_by_x.sum() / a
        hess[1, 3] = v_m_delta2_by_x @ inv_bx
        common = cx @ (tri(a + b) - tri(a + b + ux))
        hess[2, 2] = common + (v_by_x.sum() - cw_by_x.sum()) / a**2
        hess[2, 3] = common - (v_by_x @ inv_bx) / a
        hess[3, 3] = (
            cx @ (tri(b + ux) - tri(a + b + ux) - tri(b) + tri(a + b))
            + (cw_by_x + v_by_x) @ inv_bx**2
        )
        lower = np.tril_indices(4, -1)
        hess[lower] = hess.T[lower]
        return ll, grad, hess

    # ----------------------------------------------------------------------------------------------
    # Predictions
    def _histories(self, data):
        rfm = validate_rfm(data)
        return rfm.frequency, rfm.recency, rfm.T, rfm.index

    def _log_odds_dead(self, x, t_x, age):
        """log[P(dead) / P(alive)] given (x, t_x, T); -inf without repeat purchases (eq. 13)."""
        r, alpha, a, b = self._check_fitted()
        safe_x = np.where(x > 0, x, 1.0)
        odds = (
            np.log(a)
            - np.log(b + safe_x - 1.0)
            + (r + safe_x) * (np.log(alpha + age) - np.log(alpha + t_x))
        )
        return np.where(x > 0, odds, -np.inf)

    def probability_alive(self, data) -> pd.Series:
        """P(alive at T | x, t_x, T), eq. (13).

        Parameters
        ----------
        data : pandas.DataFrame
            RFM table with ``frequency``, ``recency`` and ``T``.

        Returns
        -------
        pandas.Series
            One probability per customer, indexed like ``data``. Customers without a repeat
            purchase get exactly 1: in BG/NBD a customer can only drop out right after a repeat
            purchase, so P(alive) is no churn score on its own (see :func:`clvmodel.churn_risk`).
        """
        return self.predict(data, 0.0, which=("probability_alive",))["probability_alive"]

    def expected_purchases(self, data, t) -> pd.Series:
        """Expected purchases in the next ``t`` time units given each customer's history, eq. (10).

        Computed as P(alive) × E[purchases | alive], with the second factor evaluated once per
        distinct (x, T) by the stable methods of :mod:`clvmodel.models._special`; finite for any
        valid history, including heavy buyers and a = 1.

        Parameters
        ----------
        data : pandas.DataFrame
            RFM table with ``frequency``, ``recency`` and ``T``.
        t : float or array_like
            Horizon in the model's time unit (≥ 0); an array must have one value per customer.

        Returns
        -------
        pandas.Series
            Indexed like ``data``.
        """
        predictions = self.predict(data, t, which=("expected_purchases",))
        return predictions["expected_purchases"]

    def expected_purchases_new(self, t):
        """Expected purchases in (0, t] of a newly acquired customer, E[X(t)], eq. (9).

        Parameters
        ----------
        t : float or array_like
            Time since the first purchase, in the model's time unit.

        Returns
        -------
        float or numpy.ndarray
            Repeat purchases expected (the first purchase is not counted).
        """
        r, alpha, a, b = self._check_fitted()
        t_arr = _check_horizon(t, None)
        values = expected_purchases_if_alive(r, alpha, a, b, 0.0, 0.0, t_arr)
        return float(values) if np.ndim(values) == 0 else values

    def probability_of_purchases(self, n, t):
        """P(X(t) = n): probability that a new customer makes n repeat purchases in (0, t], eq. (8).

        Parameters
        ----------
        n : int or array_like of int
            Number of repeat purchases (≥ 0).
        t : float or array_like
            Length of the period, in the model's time unit.

        Returns
        -------
        float or numpy.ndarray
            Probabilities, broadcast over ``n`` and ``t``.

        Notes
        -----
        The sum over j < n in eq. (8) is the negative-binomial tail P(N(t) ≥ n), evaluated as the
        regularised incomplete beta function I_{t/(α+t)}(n, r) to avoid cancellation.
        """
        r, alpha, a, b = self._check_fitted()
        n_arr = np.asarray(n, dtype="float64")
        if (n_arr < 0).any() or (n_arr != np.round(n_arr)).any():
            raise InputError(f"n must be whole numbers ≥ 0, got {n!r}.")
        t_arr = _check_horizon(t, None)
        n_arr, t_arr = np.broadcast_arrays(n_arr, t_arr)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_q = np.log(t_arr) - np.log(alpha + t_arr)
            log_first = (
                betaln(a, b + n_arr)
                - betaln(a, b)
                + gammaln(r + n_arr)
                - gammaln(r)
                - gammaln(n_arr + 1)
                + r * (np.log(alpha) - np.log(alpha + t_arr))
                + np.where(n_arr > 0, n_arr * log_q, 0.0)
            )
            safe_n = np.where(n_arr > 0, n_arr, 1.0)
            second = np.where(
                n_arr > 0,
                np.exp(betaln(a + 1, b + safe_n - 1) - betaln(a, b))
                * betainc(safe_n, r, t_arr / (alpha + t_arr)),
                0.0,
            )
        values = np.where(t_arr > 0, np.exp(log_first) + second, (n_arr == 0).astype(float))
        return float(values) if values.ndim == 0 else values

    def probability_no_purchase(self, data, t) -> pd.Series:
        """P(no purchase in (T, T + t] | x, t_x, T).

        A customer makes no purchase either because they have already dropped out, or because they
        are alive and the Poisson process stays silent; dropout itself happens only at a purchase.
        Hence P = 1 − P(alive) · (1 − ((α + T)/(α + T + t))^(r + x)), the posterior of λ given
        survival being Gamma(r + x, α + T).

        Parameters
        ----------
        data : pandas.DataFrame
            RFM table.
        t : float or array_like
            Horizon in the model's time unit.

        Returns
        -------
        pandas.Series
            Indexed like ``data``.
        """
        predictions = self.predict(data, t, which=("probability_no_purchase",))
        return predictions["probability_no_purchase"]

    def predict(
        self,
        data,
        t,
        which=("probability_alive", "probability_no_purchase", "expected_purchases"),
    ) -> pd.DataFrame:
        """Several history-conditional predictions at once, from one pass over the data.

        Parameters
        ----------
        data : pandas.DataFrame
            RFM table with ``frequency``, ``recency`` and ``T``.
        t : float or array_like
            Horizon in the model's time unit (≥ 0); an array must have one value per customer.
        which : sequence of str
            Any of ``probability_alive`` (eq. 13), ``probability_no_purchase`` and
            ``expected_purchases`` (eq. 10); see the methods of the same names.

        Returns
        -------
        pandas.DataFrame
            One column per name in ``which``, indexed like ``data``; the same numbers as the
            single methods, with the data validated and P(alive) computed once.
        """
        unknown = set(which) - {
            "probability_alive",
            "probability_no_purchase",
            "expected_purchases",
        }
        if unknown:
            raise InputError(f"unknown prediction(s) {sorted(unknown)}.")
        x, t_x, age, index = self._histories(data)
        t = _check_horizon(t, x.size)
        r, alpha, a, b = self._check_fitted()
        alive = expit(-self._log_odds_dead(x, t_x, age))
        columns = {}
        for name in which:
            if name == "probability_alive":
                columns[name] = alive
            elif name == "probability_no_purchase":
                # Alive customers stay silent with probability ((α+T)/(α+T+t))^(r+x).
                buys = -np.expm1(-(r + x) * np.log1p(t / (alpha + age)))
                columns[name] = 1.0 - alive * buys
            else:
                columns[name] = alive * expected_purchases_if_alive(r, alpha, a, b, x, age, t)
        return pd.DataFrame(columns, index=index)


def _check_horizon(t, n: int | None) -> np.ndarray:
    try:
        values = np.asarray(t, dtype="float64")
    except (TypeError, ValueError):
        raise InputError(f"the horizon t must be a number of time units, got {t!r}.") from None
    if not np.all(np.isfinite(values)) or (values < 0).any():
        raise InputError(f"the horizon t must be finite and ≥ 0, got {t!r}.")
    if n is not None and values.ndim > 0 and values.size not in (1, n):
        raise InputError(f"t has {values.size} values; give one, or one per customer ({n}).")
    return values
