"""Which retention model, and how far off is the naive formula? Subscription projections compared.

:func:`compare_retention_models` fits the shifted-beta-geometric (sBG) and beta-discrete-Weibull
(BdW) models on the same subscribers and ranks them by the error of their survival projection on
later periods, or by BIC. :func:`naive_vs_model_retention` puts the sBG projection of a cohort
beside the naive one, which keeps the retention rate constant, and the value "price × margin /
churn rate" beside price × margin × DERL. Because the subscribers who stay are the loyal ones,
retention rises with tenure and the constant rate understates the survivors later on (Fader and
Hardie 2007, "How to project customer retention", Journal of Interactive Marketing 21(1), 76-90).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clvmodel.errors import InputError
from clvmodel.models._contractual import ContractualModel, check_discount_rate
from clvmodel.models.beta_discrete_weibull import BetaDiscreteWeibullModel
from clvmodel.models.shifted_beta_geo import ShiftedBetaGeoModel
from clvmodel.subscriptions import from_survival_counts, validate_subscribers

__all__ = ["NaiveRetentionComparison", "RetentionComparison", "compare_retention_models",
           "holdout_log_likelihood", "naive_vs_model_on_simulated_cohorts",
           "naive_vs_model_retention"]  # fmt: skip

RETENTION_MODELS = {"sbg": ShiftedBetaGeoModel, "bdw": BetaDiscreteWeibullModel}


@dataclass(repr=False)
class RetentionComparison:
    """Result of :func:`compare_retention_models`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per model, best first: ``model``, ``n_params``, ``log_likelihood``, ``aic``,
        ``bic``, ``holdout_mae`` and ``holdout_max_error`` (survivors; NaN without a holdout)
        and ``parameters``.
    projection : pandas.DataFrame or None
        Per holdout period: ``actual`` survivors and one column per model.
    models : dict
        The fitted models by label.
    ranked_by : str
        ``"holdout_mae"`` or ``"bic"``.
    """

    table: pd.DataFrame
    projection: pd.DataFrame | None
    models: dict
    ranked_by: str

    @property
    def best(self) -> ContractualModel:
        """The first model of the ranking."""
        return self.models[self.table["model"].iloc[0]]

    def __repr__(self) -> str:
        best = self.table["model"].iloc[0]
        return f"RetentionComparison(best={best!r}, ranked_by={self.ranked_by!r})"


def compare_retention_models(data, holdout=None, models=("sbg", "bdw")) -> RetentionComparison:
    """Fit the subscription models on the same subscribers and rank them.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subscriber with ``periods`` and ``cancelled`` (from
        :func:`clvmodel.subscriptions.from_survival_counts` or ``from_subscription_table``).
    holdout : sequence, mapping or pandas.Series, optional
        Survivor counts of the same subscribers in later periods: a sequence for the periods right
        after the last one in ``data``, or counts indexed by period. The projection is N × S(t),
        N the number of subscribers in ``data``. With it the models are ranked by the mean
        absolute error of that projection, without it by BIC.
    models : sequence
        ``"sbg"``, ``"bdw"`` or contractual model objects (fitted ones are used as they are).

    Returns
    -------
    RetentionComparison

    Notes
    -----
    AIC = 2k − 2 ln L and BIC = k ln(N) − 2 ln L, k parameters. BdW has sBG as the case c = 1, so
    its log-likelihood is never lower; the holdout (or BIC's penalty) says whether c earns its keep.

    Examples
    --------
    The "regular" cohort of Fader and Hardie (2007), fitted on years 1-7, judged on years 8-12:

    >>> import clvmodel as clv
    >>> from clvmodel.subscription_value import compare_retention_models
    >>> rows = clv.subscriptions.from_survival_counts([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> result = compare_retention_models(rows, holdout=[223, 207, 194, 183, 173])
    >>> result.table[["model", "n_params", "log_likelihood", "bic", "holdout_mae"]].round(2)
      model  n_params  log_likelihood      bic  holdout_mae
    0   BdW         3        -1679.60  3379.93         2.56
    1   sBG         2        -1680.27  3374.35         2.88
    """
    periods, _, _ = validate_subscribers(data)
    fitted = {}
    for item in models:
        model = _retention_model(item)
        if getattr(model, "params_", None) is None:
            model.fit(data)
        fitted[model.label] = model
    if not fitted:
        raise InputError("models is empty; give at least one of 'sbg', 'bdw'.")
    n, rows = float(periods.size), []
    actual = None if holdout is None else _holdout_counts(holdout, int(periods.max()), n)
    projection = None if actual is None else pd.DataFrame({"actual": actual})
    for label, model in fitted.items():
        k = len(model.param_names)
        # The log-likelihood of these data, also for models fitted elsewhere.
        arrays, counts, _ = model._prepare(data, None)
        ll = float(counts @ model._loglik(model._check_fitted(), arrays)[0])
        row = {"model": label, "n_params": k, "log_likelihood": ll, "aic": 2.0 * k - 2.0 * ll,
               "bic": k * math.log(n) - 2.0 * ll, "holdout_mae": np.nan,
               "holdout_max_error": np.nan}  # fmt: skip
        if actual is not None:
            projection[label] = projected = n * model.survival_function(actual.index.to_numpy())
            errors = np.abs(projected - actual.to_numpy())
            row.update(holdout_mae=float(errors.mean()), holdout_max_error=float(errors.max()))
        row["parameters"] = ", ".join(f"{p}={v:.4g}" for p, v in model.params_.items())
        rows.append(row)
    ranked_by = "bic" if actual is None else "holdout_mae"
    table = pd.DataFrame(rows).sort_values(ranked_by, kind="stable").reset_index(drop=True)
    return RetentionComparison(table, projection, fitted, ranked_by)


def holdout_log_likelihood(model, calibration, later) -> tuple[float, int]:
    """Log-likelihood of what the subscribers active at the end of calibration did next.

    For a subscriber active after t₀ periods in ``calibration`` and seen again in ``later`` with
    t₁ periods: ln[S(t₁ − 1) − S(t₁)] − ln S(t₀) if they cancelled, ln S(t₁) − ln S(t₀) if
    still active. Unlike survivor counts of one cohort, this handles subscribers who started at
    different dates and covariates; the model with the higher value predicts the holdout better.

    Parameters
    ----------
    model : ContractualModel
        Fitted on ``calibration``.
    calibration, later : pandas.DataFrame
        Subscriber rows (``periods``, ``cancelled``, covariate columns) at the end of calibration
        and at a later date, indexed by subscriber; every subscriber active in ``calibration``
        must be in ``later``.

    Returns
    -------
    log_likelihood : float
    subscribers : int
        How many subscribers were active at the end of calibration (the terms of the sum).

    Examples
    --------
    >>> import pandas as pd
    >>> import clvmodel as clv
    >>> from clvmodel.subscription_value import holdout_log_likelihood
    >>> sbg = clv.ShiftedBetaGeoModel.from_params({"alpha": 0.704, "beta": 1.182})
    >>> cal = pd.DataFrame({"periods": [2, 2, 1], "cancelled": [0, 0, 1]})
    >>> later = pd.DataFrame({"periods": [4, 3, 1], "cancelled": [0, 1, 1]})
    >>> ll, n = holdout_log_likelihood(sbg, cal, later)
    >>> round(ll, 4), n
    (-2.0638, 2)
    """
    if not isinstance(model, ContractualModel):
        raise InputError(f"model must be a subscription model, got {type(model).__name__}.")
    t0, cancelled0, index0 = validate_subscribers(calibration)
    t1, cancelled1, index1 = validate_subscribers(later)
    active = index0[~cancelled0]
    missing = active.difference(index1)
    if len(missing):
        raise InputError(
            f"{len(missing)} subscriber(s) active at the end of calibration are not in later "
            f"(for example {missing[:5].tolist()}); give both tables for the same subscribers."
        )
    position = index1.get_indexer(active)
    start, end, gone = t0[~cancelled0], t1[position], cancelled1[position]
    bad = (end < start) | (gone & (end < start + 1))
    if bad.any():
        raise InputError(
            f"{int(bad.sum())} subscriber(s) have fewer periods later than in calibration (for "
            f"example {active[bad][:5].tolist()}); later must be observed after calibration."
        )
    rows = calibration.loc[~cancelled0] if isinstance(calibration, pd.DataFrame) else None
    if rows is None:
        rows = pd.DataFrame({"periods": start, "cancelled": 0})
    reach = model.probability_cancel(rows, end - start).to_numpy()
    before = model.probability_cancel(rows, np.maximum(end - 1.0 - start, 0.0)).to_numpy()
    with np.errstate(divide="ignore"):
        terms = np.where(gone, np.log(reach - before), np.log1p(-reach))
    return float(terms.sum()), int(active.size)


def _retention_model(item) -> ContractualModel:
    if isinstance(item, ContractualModel):
        return item
    key = str(item).lower()
    if key not in RETENTION_MODELS:
        raise InputError(
            f"models: unknown retention model {item!r}; choose from {sorted(RETENTION_MODELS)} or "
            "pass a ShiftedBetaGeoModel / BetaDiscreteWeibullModel."
        )
    return RETENTION_MODELS[key]()


def _holdout_counts(holdout, last: int, n: float) -> pd.Series:
    if isinstance(holdout, (pd.Series, dict)):
        counts = pd.Series(holdout, dtype="float64")
    else:
        values = np.asarray(holdout, dtype="float64").reshape(-1)
        counts = pd.Series(values, index=np.arange(last + 1, last + 1 + values.size))
    index = np.asarray(counts.index, dtype="float64")
    if counts.empty or (index < 1).any() or (index != np.round(index)).any():
        raise InputError(f"holdout needs survivor counts of whole periods ≥ 1, got {holdout!r}.")
    values = counts.to_numpy()
    bad = ~np.isfinite(values) | (values < 0) | (values > n)
    if bad.any():
        raise InputError(
            f"holdout counts must be between 0 and the {n:g} subscribers in data; got "
            f"{counts[bad].tolist()[:5]}. Give survivors of the same subscribers, not shares."
        )
    counts.index = pd.Index(index.astype("int64"), name="period")
    return counts.rename("actual")


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
        Price per period and the share of it kept as profit.
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
    try:
        from_survival_counts(counts)
    except InputError as error:
        raise InputError(f"counts: {error}") from None
    survivors = np.asarray(counts, dtype="float64").reshape(-1)
    if not isinstance(fit_periods, (int, np.integer)) or not 2 <= fit_periods < survivors.size - 1:
        raise InputError(
            f"fit_periods must be a whole number from 2 to {survivors.size - 2} (len(counts) - 2), "
            f"got {fit_periods!r}: the models need two periods to fit and one to project."
        )
    k = int(fit_periods)
    if naive not in ("last", "average"):
        raise InputError(f"naive must be 'last' or 'average', got {naive!r}.")
    for name, number in (("price", price), ("margin", margin)):
        if not isinstance(number, (int, float, np.number)) or not np.isfinite(number):
            raise InputError(f"{name} must be a finite number, got {number!r}.")
    d = check_discount_rate(discount_rate)
    if survivors[k] == 0 or survivors[k - 1] == 0:
        raise InputError(f"counts[{k}] is 0: no subscriber is left to project after fit_periods.")
    model = ShiftedBetaGeoModel().fit(from_survival_counts(survivors[: k + 1]))
    last, average = survivors[k] / survivors[k - 1], (survivors[k] / survivors[0]) ** (1.0 / k)
    r = last if naive == "last" else average
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
    z = (1.0 + d) ** -(t - k - 1.0)
    tenure = pd.DataFrame({"periods": [k], "cancelled": [0]})
    derl = float(model.discounted_expected_residual_lifetime(tenure, d).iloc[0])
    conditional = model.retention_curve(tenure, periods=t.size).to_numpy()[0, 1:]
    payments = [1.0 / (1.0 - r) if r < 1.0 else np.inf,
                r * (1.0 + d) / (1.0 + d - r) if r < 1.0 + d else np.inf, derl]  # fmt: skip
    value = pd.DataFrame(
        {"payments": payments, "value": [float(price) * float(margin) * p for p in payments],
         "holdout_payments": [np.nan, (r ** (t - k) * z).sum(), (conditional * z).sum()]},
        index=["naive formula (1 / churn)", "constant retention", "sBG DERL"],
    )  # fmt: skip
    value.attrs["actual_holdout_payments"] = float((actual / survivors[k] * z).sum())
    return NaiveRetentionComparison(projection, errors, value, float(r), model)


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
    rng = np.random.default_rng(random_state)
    horizon = int(fit_periods + holdout_periods)
    rows = []
    for _ in range(int(n_cohorts)):
        lifetime = model.simulate(cohort_size, horizon, random_state=rng)["lifetime"].to_numpy()
        counts = (lifetime[None, :] > np.arange(horizon + 1)[:, None]).sum(axis=1)
        result = naive_vs_model_retention(counts.tolist(), int(fit_periods), naive=naive)
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
