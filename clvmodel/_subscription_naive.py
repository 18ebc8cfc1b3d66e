"""Is the naive constant-retention formula good enough? sBG and the naive projection of a cohort
side by side, and their holdout errors on simulated cohorts (re-exported by
:mod:`clvmodel.subscription_value`).

The naive projection keeps the retention rate constant; because the subscribers who stay are the
loyal ones, retention rises with tenure and the constant rate understates the survivors later on
(Fader and Hardie 2007, "How to project customer retention", Journal of Interactive Marketing
21(1), 76-90).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from clvmodel._random import random_generator
from clvmodel._subscription_table import checked_counts
from clvmodel._units import check_margin, check_number
from clvmodel.errors import InputError
from clvmodel.models._contractual import ContractualModel, check_discount_rate
from clvmodel.models.shifted_beta_geo import ShiftedBetaGeoModel
from clvmodel.subscriptions import from_survival_counts


@dataclass(repr=False)
class NaiveRetentionComparison:
    """Result of :func:`naive_vs_model_retention`.

    Attributes
    ----------
    projection : pandas.DataFrame
        Per projected period: ``actual``, ``model`` (sBG), ``naive`` survivors and the errors
        ``model_error``, ``naive_error`` (projection − actual).
    errors : pandas.DataFrame
        Per projection (``model``, ``naive``): ``mae``, ``mean_error`` and ``max_abs_error``.
    value : pandas.DataFrame
        Per subscriber still active after ``fit_periods`` periods: expected ``payments`` to come
        and ``value`` = price × margin × payments, by the naive formula (1 / churn, undiscounted,
        the current period included), by constant retention with DERL's conventions, and by sBG's
        DERL; ``holdout_payments`` compares the discounted payments within the projected periods
        with the actual ones.
    retention : float
        The naive constant retention rate.
    model : ShiftedBetaGeoModel
        The sBG fitted on the first ``fit_periods`` periods.
    """

    projection: pd.DataFrame
    errors: pd.DataFrame
    value: pd.DataFrame
    retention: float
    model: ShiftedBetaGeoModel

    def __repr__(self) -> str:
        return f"NaiveRetentionComparison(retention={self.retention:.4f})"


def naive_vs_model_retention(counts, fit_periods: int, price: float = 1.0, margin: float = 1.0,
                             *, discount_rate: float = 0.1,
                             naive: str = "last") -> NaiveRetentionComparison:  # fmt: skip
    """Project a cohort's survivors with sBG and with a constant retention rate, side by side.

    Parameters
    ----------
    counts : sequence of int
        Survivor counts of one cohort: ``counts[0]`` joined, ``counts[t]`` still subscribed after
        t renewals.
    fit_periods : int
        k: the models see ``counts[0 … k]`` and project ``counts[k + 1 …]``.
    price, margin : float
        Price per period (finite, ≥ 0) and the share of it kept as profit (0 < margin ≤ 1).
    discount_rate : float, keyword-only
        Per period, for DERL (default 10 %).
    naive : {"last", "average"}, keyword-only
        The constant retention rate: the last fitted period's, ``counts[k] / counts[k − 1]``
        (default), or the average one, ``(counts[k] / counts[0]) ** (1 / k)``.

    Returns
    -------
    NaiveRetentionComparison

    Notes
    -----
    The naive projection is counts[k] · r^(t − k); sBG's is counts[0] · S(t). With DERL's
    convention (the next renewal undiscounted) constant retention gives Σ_j r^(j+1) (1 + d)^−j =
    r (1 + d) / (1 + d − r) payments to come; the marketing formula "lifespan = 1 / churn" gives
    1 / (1 − r), undiscounted.

    Examples
    --------
    The "regular" cohort of Fader and Hardie (2007), fitted on years 1-7:

    >>> from clvmodel.subscription_value import naive_vs_model_retention
    >>> counts = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
    >>> result = naive_vs_model_retention(counts, 7, price=100.0, margin=0.3)
    >>> round(result.retention, 4)
    0.9198
    >>> for column in ("actual", "model", "naive"):  # years 8-12
    ...     print(column, result.projection[column].round(1).tolist())
    actual [223.0, 207.0, 194.0, 183.0, 173.0]
    model [220.1, 204.4, 191.2, 179.9, 170.0]
    naive [221.7, 203.9, 187.6, 172.5, 158.7]
    >>> result.value.round(2)
                               payments   value  holdout_payments
    naive formula (1 / churn)     12.48  374.29               NaN
    constant retention             5.62  168.50              3.32
    sBG DERL                       6.84  205.27              3.41
    >>> round(result.value.attrs["actual_holdout_payments"], 2)
    3.43
    """
    survivors, k = _checked_counts(counts, fit_periods)
    if naive not in ("last", "average"):
        raise InputError(f"naive must be 'last' or 'average', got {naive!r}.")
    price, margin = check_number("price", price, 0.0), check_margin(margin)
    d = check_discount_rate(discount_rate)
    if survivors[k] == 0 or survivors[k - 1] == 0:
        raise InputError(f"counts[{k}] is 0: no subscriber is left to project after fit_periods.")
    # One row per (periods, cancelled) with its count: a cohort of millions fits in no memory.
    rows = from_survival_counts(survivors[: k + 1], weighted=True)
    model = ShiftedBetaGeoModel().fit(rows, weights=rows["subscribers"])
    last, average = survivors[k] / survivors[k - 1], (survivors[k] / survivors[0]) ** (1.0 / k)
    r = last if naive == "last" else average
    projection, errors = _projections(model, survivors, k, r)
    value = _payments_to_come(model, survivors, k, r, d, price * margin)
    return NaiveRetentionComparison(projection, errors, value, float(r), model)


def _checked_counts(counts, fit_periods) -> tuple[np.ndarray, int]:
    """The survivor counts as floats and ``fit_periods`` as an int, after checking both."""
    try:
        survivors = checked_counts(counts)
    except InputError as error:
        raise InputError(f"counts: {error}") from None
    if survivors.size < 4:
        raise InputError(
            f"counts has {survivors.size} survivor counts; the comparison needs at least 4 (the "
            "cohort size, two periods to fit and one to project)."
        )
    whole = isinstance(fit_periods, (int, np.integer, float, np.floating)) and not isinstance(
        fit_periods, bool
    )
    if not (whole and fit_periods == int(fit_periods) and 2 <= fit_periods < survivors.size - 1):
        raise InputError(
            f"fit_periods must be a whole number from 2 to {survivors.size - 2} (len(counts) - 2), "
            f"got {fit_periods!r}: the models need two periods to fit and one to project."
        )
    return survivors, int(fit_periods)


def _projections(model, survivors: np.ndarray, k: int, r: float):
    """The sBG and naive projections of the survivors after period ``k``, and their errors."""
    t = np.arange(k + 1, survivors.size)
    actual = survivors[k + 1 :]
    projection = pd.DataFrame(
        {"actual": actual, "model": survivors[0] * model.survival_function(t),
         "naive": survivors[k] * r ** (t - k)},
        index=pd.Index(t, name="period"),
    )  # fmt: skip
    projection["model_error"] = projection["model"] - actual
    projection["naive_error"] = projection["naive"] - actual
    errors = pd.DataFrame(
        [[e.abs().mean(), e.mean(), e.abs().max()] for e in (projection["model_error"],
                                                             projection["naive_error"])],
        index=["model", "naive"], columns=["mae", "mean_error", "max_abs_error"],
    )  # fmt: skip
    return projection, errors


def _payments_to_come(model, survivors: np.ndarray, k: int, r: float, d: float, unit_value: float):
    """Expected payments to come (and ``unit_value`` × them) per subscriber active after ``k``
    periods: by the naive formula, by constant retention ``r`` and by the sBG DERL, with the
    discounted payments within the projected periods beside the actual ones (see the Notes of
    :func:`naive_vs_model_retention`)."""
    t = np.arange(k + 1, survivors.size)
    z = (1.0 + d) ** -(t - k - 1.0)
    tenure = pd.DataFrame({"periods": [k], "cancelled": [0]})
    derl = float(model.discounted_expected_residual_lifetime(tenure, d).iloc[0])
    conditional = model.retention_curve(tenure, periods=t.size).to_numpy()[0, 1:]
    payments = [1.0 / (1.0 - r) if r < 1.0 else np.inf,
                r * (1.0 + d) / (1.0 + d - r) if r < 1.0 + d else np.inf, derl]  # fmt: skip
    value = pd.DataFrame(
        {"payments": payments, "value": [unit_value * p for p in payments],
         "holdout_payments": [np.nan, (r ** (t - k) * z).sum(), (conditional * z).sum()]},
        index=["naive formula (1 / churn)", "constant retention", "sBG DERL"],
    )  # fmt: skip
    actual = survivors[k + 1 :]
    value.attrs["actual_holdout_payments"] = float((actual / survivors[k] * z).sum())
    return value


def naive_vs_model_on_simulated_cohorts(
    model,
    fit_periods: int,
    holdout_periods: int,
    n_cohorts: int = 20,
    cohort_size: int = 1000,
    *,
    naive: str = "last",
    random_state=None,
) -> pd.DataFrame:
    """The holdout error of the naive constant-retention projection and of sBG, on cohorts drawn
    from a known retention model.

    Each cohort of ``cohort_size`` subscribers is drawn from ``model``; its survivor counts over
    ``fit_periods + holdout_periods`` periods go to :func:`naive_vs_model_retention`, which fits
    sBG and the naive rate on the first ``fit_periods`` periods and projects the rest.

    Parameters
    ----------
    model : ContractualModel
        The population (sBG, or BdW to see sBG's error when duration dependence is present).
    fit_periods, holdout_periods : int
        Periods to fit on (≥ 2) and to project (≥ 1).
    n_cohorts, cohort_size : int
        How many cohorts, of how many subscribers.
    naive : {"last", "average"}, keyword-only
        The naive constant retention rate (see :func:`naive_vs_model_retention`).
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    pandas.DataFrame
        One row per cohort (index ``cohort``): ``model_mae``, ``naive_mae`` (mean absolute error of
        the projected survivors), ``model_mean_error``, ``naive_mean_error`` (projection − actual;
        negative understates) and ``retention`` (the naive rate).

    Examples
    --------
    >>> import clvmodel as clv
    >>> from clvmodel.subscription_value import naive_vs_model_on_simulated_cohorts
    >>> population = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.704, "beta": 1.182})
    >>> errors = naive_vs_model_on_simulated_cohorts(population, 7, 5, n_cohorts=5,
    ...                                              random_state=0)
    >>> bool(errors["naive_mean_error"].mean() < 0 < errors["naive_mae"].mean()
    ...      - errors["model_mae"].mean())
    True
    """
    if not isinstance(model, ContractualModel):
        raise InputError(f"model must be a subscription model, got {type(model).__name__}.")
    for name, value, low in (
        ("fit_periods", fit_periods, 2),
        ("holdout_periods", holdout_periods, 1),
        ("n_cohorts", n_cohorts, 1),
        ("cohort_size", cohort_size, 10),
    ):
        if not isinstance(value, (int, np.integer)) or value < low:
            raise InputError(f"{name} must be a whole number ≥ {low}, got {value!r}.")
    rng = random_generator(random_state, "random_state")
    horizon = int(fit_periods + holdout_periods)
    rows = []
    for _ in range(int(n_cohorts)):
        lifetime = model.simulate(cohort_size, horizon, random_state=rng)["lifetime"].to_numpy()
        counts = (lifetime[None, :] > np.arange(horizon + 1)[:, None]).sum(axis=1)
        result = _compare_drawn(counts.tolist(), int(fit_periods), naive, len(rows))
        errors = result.errors
        rows.append(
            {
                "model_mae": errors.loc["model", "mae"],
                "naive_mae": errors.loc["naive", "mae"],
                "model_mean_error": errors.loc["model", "mean_error"],
                "naive_mean_error": errors.loc["naive", "mean_error"],
                "retention": result.retention,
            }
        )
    return pd.DataFrame(rows, index=pd.RangeIndex(len(rows), name="cohort"))


def _compare_drawn(counts: list, fit_periods: int, naive: str, cohort: int):
    """:func:`naive_vs_model_retention` of a drawn cohort; its errors name the cohort, not
    ``counts`` (which the caller never gave)."""
    try:
        return naive_vs_model_retention(counts, fit_periods, naive=naive)
    except InputError as error:
        raise InputError(
            f"cohort {cohort} drawn from the model, survivors {counts}, cannot be compared: "
            f"{error} Draw larger cohorts (cohort_size), change fit_periods, or use a "
            "population whose cohorts both cancel and survive over those periods."
        ) from None
