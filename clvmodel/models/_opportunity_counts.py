"""BG/BB's predictions over the next n* opportunities, with intervals: the beta-function sums of
Fader, Hardie and Shang (2010) and the count distribution given a history.

Given alive at opportunity n, p ~ Beta(α + x, β + n − x) and θ ~ Beta(γ, δ + n), independently.
Let J be the number of the next n* opportunities the customer is alive for (alive at the start of
opportunity n + j after surviving j death coins):

    P(J ≥ j) = B(γ, δ + n + j)/B(γ, δ + n),
    P(J = j) = B(γ + 1, δ + n + j)/B(γ, δ + n)  (j < n*),  P(J = n*) = B(γ, δ + n + n*)/B(γ, δ + n).

Given J = j the count is beta-binomial, so

    P(X = k | alive) = Σ_j P(J = j) C(j, k) B(α + x + k, β + n − x + j − k)/B(α + x, β + n − x),

whose mean is E[J] (α + x)/(α + β + n), the paper's eq. (13) divided by P(alive). A customer dead
at n buys nothing. With ``interval=`` the expectations get confidence intervals from parameter
uncertainty, and the count a prediction interval from the mixture of these distributions over
parameter vectors, as for the continuous-time models (:mod:`clvmodel.models._intervals`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvmodel._grouping import group_rows
from clvmodel.errors import InputError
from clvmodel.models._bgbb_checks import one_whole
from clvmodel.models._bgbb_math import log_beta_ratio, no_purchase_if_alive, survival_sum
from clvmodel.models._count_tables import SurvivalTables, mixture_interval
from clvmodel.models._interval_draws import limits_over_points, parameter_points
from clvmodel.models._log_gamma import log_gamma_shift as shift

__all__ = ["OpportunityPredictions", "check_which", "count_survival_if_alive"]

#: The predictions of ``predict``, in their column order.
OPPORTUNITY_PREDICTIONS = ("probability_alive", "expected_purchases", "probability_no_purchase")

#: Largest horizon n* of the count's prediction interval: each history's table costs (n* + 1)²
#: cells per parameter vector (n* = 1,000 takes about 15 s for one history).
MAX_INTERVAL_HORIZON = 1_000

#: Parameter vectors the count's predictive distribution averages over (the first ones).
_MIXTURE_POINTS = 50


def _log_alive_for(gamma, delta_n, j, n_star: int):
    """ln P(J = j | alive at n), with δ + n given."""
    return np.where(
        j < n_star, log_beta_ratio(gamma, delta_n, 1.0, j), log_beta_ratio(gamma, delta_n, 0.0, j)
    )


def count_survival_if_alive(theta, x, n, n_star: int, cells: int = 4_000_000) -> np.ndarray:
    """P(X > k | alive at n) for k = 0 … n*, one row per (x, n): shape (rows, n* + 1), from
    ``cells``-sized blocks of rows (each row's (j, k) grid has (n* + 1)² cells)."""
    alpha, beta, gamma, delta = theta
    x, n = np.asarray(x, dtype="float64"), np.asarray(n, dtype="float64")
    j = np.arange(n_star + 1, dtype="float64")[None, :, None]  # opportunities alive for
    k = np.arange(n_star + 1, dtype="float64")[None, None, :]  # purchases
    kk = np.minimum(k, j)
    log_choose = shift(1.0 + j - kk, kk) - shift(1.0, kk)  # ln C(j, k), for k ≤ j
    above = np.empty((x.size, n_star + 1))
    step = max(1, cells // (n_star + 1) ** 2)
    for start in range(0, x.size, step):
        xs, ns = x[start : start + step, None, None], n[start : start + step, None, None]
        log_terms = (
            _log_alive_for(gamma, delta + ns, j, n_star)
            + log_choose
            + log_beta_ratio(alpha + xs, beta + (ns - xs), kk, j - kk)
        )
        pmf = np.where(k <= j, np.exp(log_terms), 0.0).sum(axis=1)
        above[start : start + step] = np.clip(1.0 - np.cumsum(pmf, axis=1), 0.0, 1.0)
    above[:, -1] = 0.0  # at most n* purchases in n* opportunities
    return above


class OpportunityPredictions:
    """Mixin of :class:`clvmodel.models.beta_geo_beta_binom.BetaGeoBetaBinomModel`: ``predict``.
    It uses the model's ``_rows``, ``_log_alive`` and ``_check_fitted``."""

    def predict(
        self, data, n_star, which=OPPORTUNITY_PREDICTIONS, *, interval=None, method="delta",
        n_draws=200, seed=0,
    ) -> pd.DataFrame:  # fmt: skip
        """Predictions for the next ``n_star`` opportunities, with intervals on request.

        Parameters
        ----------
        data : pandas.DataFrame
            ``frequency``, ``recency``, ``n_periods``.
        n_star : int
            Future opportunities.
        which : sequence of str
            Any of ``probability_alive`` (at the last observed opportunity),
            ``expected_purchases`` and ``probability_no_purchase`` (in the next n*).
        interval : float, optional
            Adds ``<name>_lower``/``_upper``, confidence intervals at this level (e.g. 0.9) from
            parameter uncertainty, and with ``expected_purchases`` the prediction interval of
            the count, ``purchases_lower``/``_upper``, with its probability
            ``purchases_interval_mass`` (see the module docstring).
        method, n_draws, seed
            ``"delta"`` (sigma points), ``"draws"`` (``n_draws`` draws, ``seed``) or
            ``"bootstrap"`` (the replicates of ``bootstrap``).

        Returns
        -------
        pandas.DataFrame
            Indexed like ``data``.
        """
        from clvmodel.models._intervals import check_level

        which = check_which(which, OPPORTUNITY_PREDICTIONS)
        theta, x, t_x, n, index = self._rows(data)
        horizon = one_whole(n_star, "n_star")
        # Everything once per distinct history (x, t_x, n), then spread back to the rows.
        group, first = group_rows(x, t_x, n)
        history = (x[first], t_x[first], n[first])
        columns = self._expectations(theta, *history, horizon)
        columns = {name: columns[name] for name in which}
        if interval is not None:
            level = check_level(interval)
            if "expected_purchases" in which:
                _check_interval_horizon(horizon)
            points = parameter_points(self, method, n_draws, seed)
            columns.update(self._limits(columns, points, history, horizon, level, method, which))
        return pd.DataFrame({name: values[group] for name, values in columns.items()}, index=index)

    def _expectations(self, theta, x, t_x, n, horizon) -> dict:
        """P(alive), E[X(n, n + n*)] and P(X(n, n + n*) = 0) per row at ``theta``."""
        alpha, beta, gamma, delta = theta
        alive = np.exp(np.minimum(self._log_alive(theta, x, t_x, n), 0.0))
        expected = (
            alive * (alpha + x) / (alpha + beta + n) * survival_sum(gamma, delta + n, horizon)
        )
        group, first = group_rows(x, n)
        silent = no_purchase_if_alive(theta, x[first], n[first], int(horizon))[group]
        none = np.clip(1.0 - alive * (1.0 - silent), 0.0, 1.0)
        return {"probability_alive": alive, "expected_purchases": expected,
                "probability_no_purchase": none}  # fmt: skip

    def _limits(self, estimates, points, rows, horizon, level, method, which) -> dict:
        """The interval columns of distinct histories: each expectation's limits over the
        parameter vectors and the count's prediction interval from their mixture."""
        at_points = [self._expectations(theta, *rows, horizon) for theta in points]
        out = {}
        for name in which:
            values = np.stack([v[name] for v in at_points])
            probability = name != "expected_purchases"
            low, high = limits_over_points(estimates[name], values, level, method, probability)
            out[f"{name}_lower"], out[f"{name}_upper"] = low, high
        if "expected_purchases" in which:
            x, _, n = rows
            mixture = points[:_MIXTURE_POINTS]
            group, first = group_rows(x, n)
            tables = [count_survival_if_alive(theta, x[first], n[first], int(horizon))
                      for theta in mixture]  # fmt: skip
            values = np.stack(tables, axis=2).reshape(-1)  # (group, k, point), flat
            size = np.full(first.size, int(horizon) + 1)
            offset = np.arange(first.size) * (int(horizon) + 1) * len(mixture)
            weights = np.stack([v["probability_alive"] for v in at_points[: len(mixture)]], axis=1)
            low, high, mass = mixture_interval(
                SurvivalTables(values, offset, size, len(mixture)), group, weights / len(mixture),
                level,
            )  # fmt: skip
            out["purchases_lower"], out["purchases_upper"] = low, high
            out["purchases_interval_mass"] = mass
        return out


def _check_interval_horizon(horizon) -> None:
    """Refuse a count interval over more than ``MAX_INTERVAL_HORIZON`` opportunities."""
    if horizon > MAX_INTERVAL_HORIZON:
        raise InputError(
            f"the prediction interval of the purchase count looks at most {MAX_INTERVAL_HORIZON} "
            f"opportunities ahead, got n_star={int(horizon)}; shorten the horizon, or leave "
            "interval= out (the expectations alone take any n_star)."
        )


def check_which(which, known) -> list[str]:
    """The predictions ``which`` names (one name or a list), each one of ``known``."""
    names = [which] if isinstance(which, str) else list(which)
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise InputError(f"which must name some of {list(known)}, got {which!r}.")
    return names
