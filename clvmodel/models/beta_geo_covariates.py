"""The BG/NBD model with time-invariant covariates on purchasing and dropout.

Fader, P. S. and Hardie, B. G. S. (2007). Incorporating time-invariant covariates into the
Pareto/NBD and BG/NBD models. Note, brucehardie.com/notes/019; in the parameterisation of CLVTools
(Bachmann, P., Meierer, M. and Näf, J. (2021). The role of time-varying contextual factors in latent
attrition models for customer base analysis. Marketing Science 40(4), 783-809; R package CLVTools,
``bgnbd(..., covariates)``). Customer i with covariate vectors z_i (purchase) and w_i (dropout) has

    α_i = α₀ exp(−γ_purchaseᵀ z_i),  a_i = a₀ exp(γ_dropoutᵀ w_i),  b_i = b₀ exp(γ_dropoutᵀ w_i),

and otherwise follows BG/NBD (Fader, Hardie and Lee 2005) with (r, α_i, a_i, b_i): the purchase
rate λ ~ Gamma(r, α_i), so a positive purchase coefficient raises the mean rate r/α_i by the factor
exp(γ) per unit of the covariate; the dropout probability p ~ Beta(a_i, b_i), whose mean
a₀/(a₀ + b₀) is the same for everybody while a dropout coefficient changes its concentration
a_i + b_i (how alike customers with those covariates are). With no covariates the model is exactly
:class:`~clvmodel.BetaGeoModel`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.special import expit, gammaln, psi

from clvmodel.errors import ClvError, InputError
from clvmodel.models._fit import MaximumLikelihoodModel, _weighted_compress, check_weights
from clvmodel.models._special import expected_purchases_if_alive
from clvmodel.models.beta_geo import BetaGeoModel, _check_horizon
from clvmodel.rfm import validate_rfm

__all__ = ["BetaGeoCovariateModel"]

# Linear predictors are clipped here so that a wild optimiser step gives a large, finite value
# instead of inf; the optimum of any sensible data set lies far inside.
_MAX_LINEAR_PREDICTOR = 300.0


def _covariate_names(names, argument: str) -> list[str]:
    """Validate a list of covariate column names."""
    if isinstance(names, str):
        names = [names]
    try:
        names = list(names)
    except TypeError:
        raise InputError(
            f"{argument} must be a list of column names, got {names!r}; for example "
            f"{argument}=['log_first_amount']."
        ) from None
    bad = [n for n in names if not isinstance(n, str) or not n]
    if bad:
        raise InputError(f"{argument} must hold non-empty column names (strings), got {bad!r}.")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(f"{argument} names {repeated} more than once; list each column once.")
    return names


def covariate_matrix(data, names: list[str], *, fitting: bool) -> np.ndarray:
    """The named covariate columns of ``data`` as an (n, k) float array, checked.

    Parameters
    ----------
    data : pandas.DataFrame or mapping
        The table holding the covariate columns.
    names : list of str
        Covariate column names.
    fitting : bool
        Also refuse constant columns, which the model cannot tell apart from its intercept.

    Returns
    -------
    numpy.ndarray
        Shape (rows, len(names)).

    Raises
    ------
    InputError
        A column is missing, not numeric, holds missing or infinite values, or (when fitting) is
        constant.
    """
    columns = list(data.columns) if isinstance(data, pd.DataFrame) else list(data)
    missing = [n for n in names if n not in columns]
    if missing:
        raise InputError(
            f"the data have no covariate column {', '.join(map(repr, missing))}; the columns are "
            f"{list(map(str, columns))}. Add the covariates to the table (e.g. rfm.join(attributes)"
            ") or name the right columns."
        )
    n = len(data) if isinstance(data, pd.DataFrame) else len(next(iter(data.values()), []))
    matrix = np.empty((n, len(names)))
    for j, name in enumerate(names):
        column = data[name]
        if isinstance(column, pd.Series) and pd.api.types.is_bool_dtype(column):
            column = column.astype("float64")
        elif isinstance(column, pd.Series) and not pd.api.types.is_numeric_dtype(column):
            converted = pd.to_numeric(column, errors="coerce")
            unparsed = converted.isna() & column.notna()
            if unparsed.any():
                raise InputError(
                    f"covariate {name!r} is not numeric (for example "
                    f"{column[unparsed].head(5).tolist()}); encode categories as 0/1 indicator "
                    "columns (clvmodel.DayOneModel does this for you) or convert the column to "
                    "numbers."
                )
            column = converted
        try:
            if isinstance(column, pd.Series):
                values = column.to_numpy(dtype="float64", na_value=np.nan)
            else:
                values = np.asarray(column, dtype="float64").reshape(-1)
        except (TypeError, ValueError):
            raise InputError(
                f"covariate {name!r} is not numeric; encode categories as 0/1 indicator columns "
                "or convert the column to numbers."
            ) from None
        bad = ~np.isfinite(values)
        if bad.any():
            raise InputError(
                f"covariate {name!r} has {int(bad.sum())} missing or infinite value(s) (positions "
                f"{np.flatnonzero(bad)[:5].tolist()}); fill them (e.g. with the mean, plus an "
                "indicator column for 'was missing') or drop those customers."
            )
        if fitting and values.size and np.ptp(values) == 0:
            raise InputError(
                f"covariate {name!r} is constant ({values[0]:g} for every customer), so its effect "
                "cannot be told apart from the base parameters; drop it."
            )
        matrix[:, j] = values
    return matrix


def _linear(matrix: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """z_iᵀγ per row, clipped to a finite range."""
    if matrix.shape[1] == 0:
        return np.zeros(matrix.shape[0])
    value = np.einsum("ij,j->i", matrix, coefficients)
    return np.clip(value, -_MAX_LINEAR_PREDICTOR, _MAX_LINEAR_PREDICTOR)


def bgnbd_row_loglik(r, alpha, a, b, x, t_x, age, x_groups=None):
    """Per-customer BG/NBD log-likelihood (Fader, Hardie and Lee 2005, eq. 6) and its gradient.

    ``alpha``, ``a`` and ``b`` may be arrays (one value per customer, as with covariates) or
    numbers; ``r`` is a number.

    Parameters
    ----------
    r, alpha, a, b : float or numpy.ndarray
        BG/NBD parameters.
    x, t_x, age : numpy.ndarray
        Repeat purchases, recency and T per customer.
    x_groups : tuple of numpy.ndarray, optional
        ``np.unique(x, return_inverse=True)``: functions of x alone (and of a, b when those are
        numbers) are then evaluated once per distinct x.

    Returns
    -------
    ll : numpy.ndarray
        ln L_i.
    grad : numpy.ndarray
        Shape (4, n): ∂ ln L_i / ∂(r, α_i, a_i, b_i).

    Notes
    -----
    With B(·,·) written through lnΓ, ln L = lnΓ(r+x) − lnΓ(r) + r ln α + lnΓ(a+b) − lnΓ(b)
    − lnΓ(a+b+x) + lnΓ(b+x) + ln[(α+T)^−(r+x) + 1{x>0} a/(b+x−1) (α+t_x)^−(r+x)], and the
    "dropped out after the last purchase" branch adds only 1/a and −1/(b+x−1) to the digamma terms
    of a and b.
    """
    x, t_x, age = (np.asarray(v, dtype="float64") for v in (x, t_x, age))
    alpha, a, b = (np.asarray(v, dtype="float64") for v in (alpha, a, b))
    ux, ix = x_groups if x_groups is not None else (x, None)

    def by_x(values):
        return values if ix is None else values[ix]

    shared_ab = a.ndim == 0 and b.ndim == 0
    ab = a + b
    lg_rx, psi_rx = by_x(gammaln(r + ux)), by_x(psi(r + ux))
    if shared_ab:
        lg_bx, lg_abx = by_x(gammaln(b + ux)), by_x(gammaln(ab + ux))
        psi_bx, psi_abx = by_x(psi(b + ux)), by_x(psi(ab + ux))
    else:
        lg_bx, lg_abx, psi_bx, psi_abx = gammaln(b + x), gammaln(ab + x), psi(b + x), psi(ab + x)
    repeat = x > 0
    rx = r + x
    log_alpha = np.log(alpha)
    log_alpha_T = np.log(alpha + age)
    log_alpha_tx = np.log(alpha + t_x)
    inv_bx1 = np.where(repeat, 1.0 / np.where(repeat, b + x - 1.0, 1.0), 0.0)  # 1/(b+x−1)
    alive = -rx * log_alpha_T
    with np.errstate(divide="ignore"):
        dead = np.where(repeat, np.log(a * inv_bx1) - rx * log_alpha_tx, -np.inf)
    total = np.logaddexp(alive, dead)
    w_dead = np.exp(dead - total)
    w_alive = 1.0 - w_dead
    ll = lg_rx - gammaln(r) + r * log_alpha + gammaln(ab) - gammaln(b) - lg_abx + lg_bx + total

    psi_ab = psi(ab)
    grad = np.empty((4, ll.size))
    grad[0] = psi_rx - psi(r) + log_alpha - w_alive * log_alpha_T - w_dead * log_alpha_tx
    grad[1] = r / alpha - rx * (w_alive / (alpha + age) + w_dead / (alpha + t_x))
    grad[2] = psi_ab - psi_abx + w_dead / a
    grad[3] = psi_bx - psi_abx - psi(b) + psi_ab - w_dead * inv_bx1
    return ll, grad


class BetaGeoCovariateModel(MaximumLikelihoodModel):
    """BG/NBD with time-invariant covariates on the purchase rate and on dropout.

    α_i = α₀ exp(−γ_purchaseᵀ z_i), a_i = a₀ exp(γ_dropoutᵀ w_i), b_i = b₀ exp(γ_dropoutᵀ w_i),
    the form of Fader and Hardie (2007) as implemented in CLVTools (Bachmann et al. 2021). The
    covariates are columns of the table passed to :meth:`fit` and to the prediction methods, named
    here.

    Parameters
    ----------
    purchase_covariates : list of str
        Columns that shift the purchase rate: a coefficient γ multiplies the expected rate of a
        customer by exp(γ) per unit of the covariate.
    dropout_covariates : list of str
        Columns that scale a and b together (the concentration of the dropout probability; its
        mean a₀/(a₀ + b₀) is shared by everybody).
    max_iter : int
        Largest number of optimiser iterations.
    tol : float
        Convergence threshold on the gradient of the mean log-likelihood per customer.

    Attributes
    ----------
    params_ : pandas.Series
        ``r``, ``alpha``, ``a``, ``b`` (the base values α₀, a₀, b₀ at z = 0), then one coefficient
        per covariate, named ``purchase:<column>`` and ``dropout:<column>``.
    log_likelihood_ : float
        Maximised log-likelihood.
    standard_errors_ : pandas.Series
        Asymptotic standard errors from the Hessian.

    Notes
    -----
    The model is fitted on the distinct (x, t_x, T, covariates) rows, with BFGS over log(r, α₀, a₀,
    b₀) and the coefficients as they are; the gradient is the chain rule applied to the per-customer
    BG/NBD gradient in (α_i, a_i, b_i). Standardise continuous covariates (mean 0, s.d. 1) for a
    well-conditioned fit and comparable coefficients; :class:`clvmodel.DayOneModel` does this.

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

    _setting_names = ("purchase_covariates", "dropout_covariates", "max_iter", "tol")

    def __init__(
        self,
        purchase_covariates=(),
        dropout_covariates=(),
        *,
        max_iter: int = 2000,
        tol: float = 1e-6,
    ):
        super().__init__(max_iter=max_iter, tol=tol)
        self.purchase_covariates = _covariate_names(purchase_covariates, "purchase_covariates")
        self.dropout_covariates = _covariate_names(dropout_covariates, "dropout_covariates")
        coefficients = tuple(f"purchase:{c}" for c in self.purchase_covariates) + tuple(
            f"dropout:{c}" for c in self.dropout_covariates
        )
        self.param_names = ("r", "alpha", "a", "b") + coefficients
        self.unconstrained_params = coefficients

    # ----------------------------------------------------------------------------------------------
    def _prepare(self, data, weights):
        rfm = validate_rfm(data)
        z_purchase = covariate_matrix(data, self.purchase_covariates, fitting=True)
        z_dropout = covariate_matrix(data, self.dropout_covariates, fitting=True)
        weights = check_weights(weights, rfm.frequency.size)
        columns = (rfm.frequency, rfm.recency, rfm.T, *z_purchase.T, *z_dropout.T)
        distinct, counts = _weighted_compress(columns, weights)
        x, t_x, age = distinct[:3]
        if (age <= 0).all():
            raise InputError(
                "every customer has T = 0, so there is no time in which to observe purchases; "
                "choose a later observation_end."
            )
        kp = len(self.purchase_covariates)
        z_p = np.column_stack(distinct[3 : 3 + kp]) if kp else np.empty((x.size, 0))
        z_d = (
            np.column_stack(distinct[3 + kp :])
            if self.dropout_covariates
            else np.empty((x.size, 0))
        )
        n_customers = rfm.frequency.size if weights is None else weights.sum()
        return (x, t_x, age, z_p, z_d, np.unique(x, return_inverse=True)), counts, n_customers

    def _initial(self, arrays, counts):
        """The plain BG/NBD fit on the same histories, with every coefficient 0."""
        x, t_x, age = arrays[:3]
        zeros = np.zeros(len(self.param_names) - 4)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                plain = BetaGeoModel(max_iter=self.max_iter).fit(
                    pd.DataFrame({"frequency": x, "recency": t_x, "T": age}), weights=counts
                )
            return np.concatenate([plain.params_.to_numpy(), zeros])
        except ClvError:
            mean_age = max(float(counts @ age / counts.sum()), 1e-3)
            mean_x = float(counts @ x / counts.sum())
            return np.concatenate([[1.0, mean_age / (mean_x + 1.0), 1.0, 1.0], zeros])

    def _split(self, theta):
        kp = len(self.purchase_covariates)
        return theta[0], theta[1], theta[2], theta[3], theta[4 : 4 + kp], theta[4 + kp :]

    def _individual(self, theta, z_p, z_d):
        """r and each row's α_i, a_i, b_i; a and b stay numbers without dropout covariates."""
        r, alpha0, a0, b0, g_p, g_d = self._split(np.asarray(theta, dtype="float64"))
        alpha = alpha0 * np.exp(-_linear(z_p, g_p)) if z_p.shape[1] else alpha0
        if z_d.shape[1] == 0:
            return r, alpha, a0, b0
        scale = np.exp(_linear(z_d, g_d))
        return r, alpha, a0 * scale, b0 * scale

    def _loglik(self, theta, arrays):
        """Per-row log-likelihood and its gradient in (r, α₀, a₀, b₀, γ_purchase, γ_dropout).

        Chain rule from the gradient g in (r, α_i, a_i, b_i): ∂/∂α₀ = g_α α_i/α₀,
        ∂/∂γ_purchase = −g_α α_i z_i, ∂/∂a₀ = g_a a_i/a₀, ∂/∂b₀ = g_b b_i/b₀ and
        ∂/∂γ_dropout = (g_a a_i + g_b b_i) w_i.
        """
        x, t_x, age, z_p, z_d, x_groups = arrays
        r, alpha, a, b = self._individual(theta, z_p, z_d)
        ll, g = bgnbd_row_loglik(r, alpha, a, b, x, t_x, age, x_groups)
        d_alpha, d_a, d_b = g[1] * alpha, g[2] * a, g[3] * b
        grad = np.empty((len(self.param_names), ll.size))
        grad[0] = g[0]
        grad[1] = d_alpha / theta[1]
        grad[2] = d_a / theta[2]
        grad[3] = d_b / theta[3]
        kp = z_p.shape[1]
        grad[4 : 4 + kp] = -(z_p * d_alpha[:, None]).T
        grad[4 + kp :] = (z_d * (d_a + d_b)[:, None]).T
        return ll, grad

    # ----------------------------------------------------------------------------------------------
    # Predictions
    def individual_params(self, data) -> pd.DataFrame:
        """Each customer's own BG/NBD parameters (r, α_i, a_i, b_i) from their covariates.

        Parameters
        ----------
        data : pandas.DataFrame
            A table with the covariate columns.

        Returns
        -------
        pandas.DataFrame
            Columns ``r``, ``alpha``, ``a``, ``b``, indexed like ``data``.
        """
        theta = self._check_fitted()
        z_p = covariate_matrix(data, self.purchase_covariates, fitting=False)
        z_d = covariate_matrix(data, self.dropout_covariates, fitting=False)
        r, alpha, a, b = self._individual(theta, z_p, z_d)
        n = len(data)
        return pd.DataFrame(
            {
                "r": np.full(n, r),
                "alpha": np.broadcast_to(alpha, n),
                "a": np.broadcast_to(a, n),
                "b": np.broadcast_to(b, n),
            },
            index=data.index if isinstance(data, pd.DataFrame) else None,
        )

    def probability_alive(self, data) -> pd.Series:
        """P(alive at T | x, t_x, T, covariates), eq. (13) of Fader, Hardie and Lee (2005) with the
        customer's own α_i, a_i, b_i.

        Parameters
        ----------
        data : pandas.DataFrame
            RFM table with ``frequency``, ``recency``, ``T`` and the covariate columns.

        Returns
        -------
        pandas.Series
            Indexed like ``data``; exactly 1 without a repeat purchase.
        """
        rfm = validate_rfm(data)
        params = self.individual_params(data)
        values = expit(-self._log_odds_dead(params, rfm.frequency, rfm.recency, rfm.T))
        return pd.Series(values, index=rfm.index, name="probability_alive")

    @staticmethod
    def _log_odds_dead(params, x, t_x, age):
        r, alpha, a, b = (params[c].to_numpy() for c in ("r", "alpha", "a", "b"))
        safe_x = np.where(x > 0, x, 1.0)
        odds = (
            np.log(a)
            - np.log(b + safe_x - 1.0)
            + (r + safe_x) * (np.log(alpha + age) - np.log(alpha + t_x))
        )
        return np.where(x > 0, odds, -np.inf)

    def expected_purchases(self, data, t) -> pd.Series:
        """Expected purchases in the next ``t`` time units given each customer's history and
        covariates: eq. (10) of Fader, Hardie and Lee (2005) with (r, α_i, a_i, b_i).

        Parameters
        ----------
        data : pandas.DataFrame
            RFM table with ``frequency``, ``recency``, ``T`` and the covariate columns.
        t : float or array_like
            Horizon in the model's time unit (≥ 0); an array must have one value per customer.

        Returns
        -------
        pandas.Series
            Indexed like ``data``.
        """
        rfm = validate_rfm(data)
        t = _check_horizon(t, rfm.frequency.size)
        params = self.individual_params(data)
        alive = expit(-self._log_odds_dead(params, rfm.frequency, rfm.recency, rfm.T))
        r, alpha, a, b = (params[c].to_numpy() for c in ("r", "alpha", "a", "b"))
        values = alive * expected_purchases_if_alive(r, alpha, a, b, rfm.frequency, rfm.T, t)
        return pd.Series(values, index=rfm.index, name="expected_purchases")

    def expected_purchases_new(self, data, t) -> pd.Series:
        """Expected repeat purchases in (0, t] of a newly acquired customer with these covariates,
        E[X(t) | z_i]: eq. (9) of Fader, Hardie and Lee (2005) with (r, α_i, a_i, b_i).

        Parameters
        ----------
        data : pandas.DataFrame
            One row per (new) customer, with the covariate columns.
        t : float or array_like
            Time since the first purchase, in the model's time unit.

        Returns
        -------
        pandas.Series
            Repeat purchases expected (the first purchase is not counted), indexed like ``data``.
        """
        params = self.individual_params(data)
        t = _check_horizon(t, len(params))
        r, alpha, a, b = (params[c].to_numpy() for c in ("r", "alpha", "a", "b"))
        values = expected_purchases_if_alive(r, alpha, a, b, 0.0, 0.0, t)
        return pd.Series(
            np.broadcast_to(values, len(params)),
            index=params.index,
            name="expected_purchases_new",
        )
