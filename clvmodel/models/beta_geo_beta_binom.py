"""The BG/BB model of purchasing at discrete opportunities.

Fader, P. S., Hardie, B. G. S. and Shang, J. (2010). Customer-base analysis in a discrete-time
noncontractual setting. Marketing Science 29(6), 1086-1108.

Transactions can only happen at discrete opportunities 1, 2, …, n (yearly events, donation
drives). At the start of each opportunity a customer who is still "alive" dies with probability θ;
an alive customer transacts with probability p. Across customers p ~ Beta(α, β) and
θ ~ Beta(γ, δ). A customer is described by x (transactions in the n opportunities after the
first, which is not counted) and t_x (the opportunity of the last one; 0 if x = 0).

With B(·,·) the beta function, the likelihood of a history is

    L = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
        + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ):

alive through all n opportunities, or died at the start of opportunity t_x + i + 1. Given alive at
n, p ~ Beta(α+x, β+n−x) and θ ~ Beta(γ, δ+n), which gives the conditional predictions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import psi

from clvmodel._grouping import group_rows
from clvmodel._random import random_generator
from clvmodel.errors import InputError
from clvmodel.models._alignment import align_to_index
from clvmodel.models._bgbb_checks import (
    one_whole,
    plain,
    simulation_size,
    validate_opportunities,
    whole,
)
from clvmodel.models._bgbb_likelihood import death_sum
from clvmodel.models._bgbb_math import log_beta_ratio, survival_sum
from clvmodel.models._compress import weighted_compress
from clvmodel.models._fit import MaximumLikelihoodModel
from clvmodel.models._log_gamma import log_gamma_shift as shift
from clvmodel.models._opportunity_counts import OpportunityPredictions
from clvmodel.models._optimise import subsample_rows
from clvmodel.models._weights import check_weights

__all__ = ["BetaGeoBetaBinomModel", "validate_opportunities"]


class BetaGeoBetaBinomModel(OpportunityPredictions, MaximumLikelihoodModel):
    """BG/BB model (Fader, Hardie and Shang 2010) fitted by maximum likelihood.

    Parameters
    ----------
    max_iter : int
        Largest number of optimiser iterations.
    tol : float
        Convergence threshold on the gradient of the mean log-likelihood per customer.

    Attributes
    ----------
    params_ : pandas.Series
        ``alpha``, ``beta`` (transaction probability p ~ Beta(α, β)) and ``gamma``, ``delta``
        (death probability θ ~ Beta(γ, δ)).
    log_likelihood_ : float
        Maximised log-likelihood.
    standard_errors_ : pandas.Series

    Examples
    --------
    The donations data of the paper (11,104 donors, 6 opportunities), as shipped by lifetimes:

    >>> from clvmodel.models.beta_geo_beta_binom import BetaGeoBetaBinomModel
    >>> from lifetimes.datasets import load_donations
    >>> donations = load_donations().rename(columns={"periods": "n_periods"})
    >>> bgbb = BetaGeoBetaBinomModel().fit(donations, weights=donations["weights"])
    >>> bgbb.params_.round(3).tolist(), round(bgbb.log_likelihood_, 2)
    ([1.204, 0.75, 0.657, 2.783], -33225.58)

    Predictions for donors who gave in every one of the 6 years, and in none:

    >>> bgbb = BetaGeoBetaBinomModel.from_params(
    ...     {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})
    >>> import pandas as pd
    >>> donors = pd.DataFrame({"frequency": [6, 0], "recency": [6, 0], "n_periods": [6, 6]})
    >>> bgbb.probability_alive(donors, m=1).round(3).tolist()
    [0.93, 0.108]
    >>> bgbb.expected_purchases(donors, 5).round(3).tolist()
    [3.752, 0.073]

    A new donor's chance of giving in none and in all of the next 6 years, and the mean:

    >>> bgbb.probability_of_purchases([0, 6], 6).round(3).tolist()
    [0.311, 0.113]
    >>> round(bgbb.expected_purchases_new(6), 3)
    2.22
    """

    _convergence_advice = (
        "  1. check the table: frequency ≤ recency ≤ n_periods, whole numbers of opportunities;\n"
        "  2. pass initial_params= near plausible values;\n"
        "  3. raise max_iter=."
    )

    param_names = ("alpha", "beta", "gamma", "delta")
    label = "BG/BB"

    @classmethod
    def from_params(cls, params, time_unit: str | None = None, **kwargs):
        """A BG/BB model with known parameters (see :meth:`MaximumLikelihoodModel.from_params`);
        it counts opportunities, not calendar time, so it takes no ``time_unit``."""
        _refuse_time_unit(time_unit)
        return super().from_params(params, None, **kwargs)

    def fit(self, data, weights=None, initial_params=None, time_unit=None):
        """Fit on a table of (``frequency``, ``recency``, ``n_periods``) rows, as
        :meth:`MaximumLikelihoodModel.fit` does; ``time_unit`` is refused and a table's
        recorded time unit ignored (opportunities have none: see :func:`opportunity_summary`).
        A table with a column of customers per row (``weights``, ``customers``, ``count``) and
        no ``weights=`` is warned about: each row then counts as one customer."""
        _refuse_time_unit(time_unit)
        if isinstance(data, pd.DataFrame) and "time_unit" in data.attrs:
            data = data.copy(deep=False)
            data.attrs = {k: v for k, v in data.attrs.items() if k != "time_unit"}
        return super().fit(data, weights, initial_params)

    # ----------------------------------------------------------------------------------------------
    def _prepare(self, data, weights, time_unit=None):  # occasions: no time unit to check
        x, t_x, n, _ = validate_opportunities(data)
        weights = check_weights(weights, x.size)
        n_customers = x.size if weights is None else float(weights.sum())
        (x, t_x, n), counts = weighted_compress((x, t_x, n), weights)
        keep = counts > 0
        if counts.sum() < 2:
            raise InputError(
                f"cannot fit {type(self).__name__} on {counts.sum():g} customer(s): the model "
                "describes differences between customers and needs many of them (hundreds or more)."
            )
        return self._grid(x[keep], t_x[keep], n[keep]), counts[keep], n_customers

    @staticmethod
    def _grid(x, t_x, n):
        """The likelihood's arrays: the histories themselves (its sums are taken in bounded
        memory by :func:`clvmodel.models._bgbb_likelihood.death_sum`, no padded grid)."""
        return x, t_x, n

    def _initial(self, arrays, counts):
        return np.ones(4)

    _subsample = subsample_rows  # bootstrap refits on some distinct rows

    def _loglik(self, theta, arrays):
        """ln L per row and its gradient: a log-sum-exp over the terms, whose derivatives are
        digamma differences weighted by each term's share of L (summed in bounded memory by
        :func:`clvmodel.models._bgbb_likelihood.death_sum`)."""
        alpha, beta, gamma, delta = theta
        x, t_x, n = arrays
        alive = log_beta_ratio(alpha, beta, x, n - x) + log_beta_ratio(gamma, delta, 0.0, n)
        gd = psi(gamma + delta + n)
        pieces = (psi(alpha + beta + n), psi(beta + (n - x)), psi(gamma) - gd, psi(delta + n) - gd)
        ll, (ab, b, g, d) = death_sum(
            (alpha, beta, x, t_x - x), (gamma, delta, 1.0, t_x), n - t_x, (alive, pieces), True
        )
        grad = np.array(
            [
                psi(alpha + x) - psi(alpha) + psi(alpha + beta) - ab,
                b - psi(beta) + psi(alpha + beta) - ab,
                g - psi(gamma) + psi(gamma + delta),
                d - psi(delta) + psi(gamma + delta),
            ]
        )
        return ll, grad

    # ----------------------------------------------------------------------------------------------
    def _rows(self, data):
        theta = self._check_fitted()
        x, t_x, n, index = validate_opportunities(data)
        return theta, x, t_x, n, index

    def _log_alive(self, theta, x, t_x, n, m=0.0):
        """ln P(alive at opportunity n + m | x, t_x, n), evaluated once per distinct history."""
        alpha, beta, gamma, delta = theta
        group, first = group_rows(x, t_x, n)
        x, t_x, n = x[first], t_x[first], n[first]
        ll, _ = self._loglik(theta, (x, t_x, n))
        alive = log_beta_ratio(alpha, beta, x, n - x) + log_beta_ratio(gamma, delta, 0.0, n + m)
        return (alive - ll)[group]

    def probability_alive(self, data, m: int = 0) -> pd.Series:
        """P(alive at opportunity n + m | x, t_x, n): m = 0 alive through the last observed
        opportunity, m = 1 at the next one.

        Parameters
        ----------
        data : pandas.DataFrame
            ``frequency``, ``recency``, ``n_periods``.
        m : int
            Opportunities after n.

        Returns
        -------
        pandas.Series
        """
        theta, x, t_x, n, index = self._rows(data)
        m = one_whole(m, "m")
        values = np.exp(np.minimum(self._log_alive(theta, x, t_x, n, m), 0.0))
        return pd.Series(values, index=index, name="probability_alive")

    def expected_purchases(self, data, n_star) -> pd.Series:
        """E[X(n, n + n*) | x, t_x, n]: expected transactions in the next n* opportunities
        (eq. 13) = P(alive at n) · (α+x)/(α+β+n) · Σ_{k=1}^{n*} B(γ, δ+n+k)/B(γ, δ+n).

        Parameters
        ----------
        data : pandas.DataFrame
            ``frequency``, ``recency``, ``n_periods``.
        n_star : int, array_like or pandas.Series
            Future opportunities: one, or one per customer (an array in the table's row order,
            or a Series matched to the rows by customer id).

        Returns
        -------
        pandas.Series
        """
        theta, x, t_x, n, index = self._rows(data)
        alpha, beta, gamma, delta = theta
        horizon = whole(align_to_index(n_star, index, "n_star"), "n_star")
        if horizon.ndim and horizon.shape != x.shape:
            raise InputError(
                f"n_star must be one number of opportunities or one per row ({x.size}), got "
                f"{horizon.size}: {plain(n_star)}."
            )
        alive = np.exp(np.minimum(self._log_alive(theta, x, t_x, n), 0.0))
        values = alive * (alpha + x) / (alpha + beta + n) * survival_sum(gamma, delta + n, horizon)
        return pd.Series(values, index=index, name="expected_purchases")

    def expected_purchases_new(self, n):
        """E[X(n)] for a customer just acquired: α/(α+β) · Σ_{k=1}^{n} B(γ, δ+k)/B(γ, δ).

        Parameters
        ----------
        n : int or array_like

        Returns
        -------
        float or numpy.ndarray
        """
        alpha, beta, gamma, delta = self._check_fitted()
        values = alpha / (alpha + beta) * survival_sum(gamma, delta, whole(n, "n"))
        return float(values) if np.ndim(values) == 0 else values

    def probability_of_purchases(self, x, n):
        """P(X(n) = x) for a customer just acquired (eq. 7):

        C(n, x) B(α+x, β+n−x)/B(α,β) B(γ, δ+n)/B(γ,δ)
        + Σ_{i=x}^{n−1} C(i, x) B(α+x, β+i−x)/B(α,β) B(γ+1, δ+i)/B(γ,δ).

        Parameters
        ----------
        x : int or array_like
            Number of transactions (0 … n).
        n : int
            Opportunities.

        Returns
        -------
        float or numpy.ndarray
        """
        alpha, beta, gamma, delta = self._check_fitted()
        x = whole(x, "x", horizon=False)
        n = one_whole(n, "n")
        i = np.arange(n, dtype="float64")
        xs = np.asarray(x)[..., None]
        # ln C(i, x) = ln Γ(i + 1) − ln Γ(i − x + 1) − ln Γ(x + 1), for i ≥ x
        log_choose = shift(np.maximum(1.0 + i - xs, 1.0), xs) - shift(1.0, xs)
        died = np.where(
            i >= xs,
            np.exp(
                log_choose
                + log_beta_ratio(alpha, beta, xs, np.maximum(i - xs, 0.0))
                + log_beta_ratio(gamma, delta, 1.0, i)
            ),
            0.0,
        ).sum(axis=-1)
        alive = np.exp(
            shift(np.maximum(1.0 + n - x, 1.0), x) - shift(1.0, x)
            + log_beta_ratio(alpha, beta, x, np.maximum(n - x, 0.0))
            + log_beta_ratio(gamma, delta, 0.0, n)
        )  # fmt: skip
        values = np.where(x <= n, alive + died, 0.0)
        return float(values) if values.ndim == 0 else values

    def simulate(self, n_customers: int, n_periods: int, random_state=None) -> pd.DataFrame:
        """Draw customers from the model over ``n_periods`` opportunities.

        Parameters
        ----------
        n_customers, n_periods : int
        random_state : int or numpy.random.Generator, optional

        Returns
        -------
        pandas.DataFrame
            ``frequency``, ``recency``, ``n_periods``, and the true ``p``, ``theta`` and
            ``alive`` (alive through opportunity n).
        """
        alpha, beta, gamma, delta = self._check_fitted()
        rng = random_generator(random_state, "random_state")
        size, n = simulation_size(n_customers, n_periods)
        p = rng.beta(alpha, beta, size)
        theta = rng.beta(gamma, delta, size)
        # The opportunity at whose start the customer dies: geometric, from 1.
        death = rng.geometric(np.clip(theta, 1e-300, 1.0))
        opportunity = np.arange(1, n + 1)
        buys = (rng.uniform(size=(size, n)) < p[:, None]) & (opportunity[None, :] < death[:, None])
        x = buys.sum(axis=1)
        t_x = np.where(x > 0, np.max(np.where(buys, opportunity[None, :], 0), axis=1), 0)
        return pd.DataFrame(
            {"frequency": x, "recency": t_x, "n_periods": n, "p": p, "theta": theta,
             "alive": death > n}
        )  # fmt: skip


def _refuse_time_unit(time_unit) -> None:
    if time_unit is not None:
        raise InputError(
            f"time_unit={time_unit!r}: BG/BB counts opportunities (occasions: the years, months, "
            "weeks or days of clvmodel.opportunity_summary), not calendar time, so it takes no "
            "time unit; leave time_unit out."
        )
