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

from clvmodel._subscription_naive import NaiveRetentionComparison as NaiveRetentionComparison
from clvmodel._subscription_naive import (
    naive_vs_model_on_simulated_cohorts as naive_vs_model_on_simulated_cohorts,
)
from clvmodel._subscription_naive import naive_vs_model_retention as naive_vs_model_retention
from clvmodel._subscription_table import refuse_weighted_rows
from clvmodel.compare import break_ties
from clvmodel.errors import InputError
from clvmodel.models._contractual import ContractualModel
from clvmodel.models._contractual_checks import censor_running_periods
from clvmodel.models.beta_discrete_weibull import BetaDiscreteWeibullModel
from clvmodel.models.shifted_beta_geo import ShiftedBetaGeoModel
from clvmodel.subscriptions import refuse_repeated_subscribers, validate_subscribers

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
        ``bic``, ``holdout_mae`` and ``holdout_max_error`` (survivors; NaN without a holdout),
        ``parameters`` and ``note`` (a tie on the holdout error, ranked by BIC).
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


# Over 80 lines for its numpydoc docstring (with the paper's example); the body is 40 lines.
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
        N the number of subscribers in ``data`` (Σᵢ Sᵢ(t), each subscriber's own survival, for a
        model with covariates). With it the models are ranked by the mean absolute error of that
        projection, without it by BIC.
    models : str, model or sequence
        ``"sbg"``, ``"bdw"`` or contractual model objects (fitted ones are used as they are, and
        must share the billing period of ``data``), one or a sequence. A model with covariates is
        labelled with them, e.g. ``"sBG (covariates: premium)"``; two models with one label are
        refused.

    Returns
    -------
    RetentionComparison

    Notes
    -----
    AIC = 2k − 2 ln L and BIC = k ln(N) − 2 ln L, k parameters. BdW has sBG as the case c = 1, so
    its log-likelihood is never lower; the holdout (or BIC's penalty) says whether c earns its keep.
    Models whose holdout MAE differs by at most 0.01 % (relative) are tied: they are ranked by
    BIC, and ``note`` says so, as in :func:`clvmodel.compare_models`.

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
    refuse_weighted_rows(data, "compare_retention_models")
    periods, cancelled, _ = validate_subscribers(data)
    fitted = {}
    for item in [models] if isinstance(models, (str, ContractualModel)) else models:
        model = _retention_model(item)
        if getattr(model, "params_", None) is None:
            model.fit(data)
        validate_subscribers(data, getattr(model, "period_", None))
        label = _comparison_label(model)
        if label in fitted:
            raise InputError(
                f"models: two models have the label {label!r}; compare each model once (give "
                "covariate models different covariates)."
            )
        fitted[label] = model
    if not fitted:
        raise InputError("models is empty; give at least one of 'sbg', 'bdw'.")
    n, rows = float(periods.size), []
    active = int((~cancelled).sum())
    actual = None if holdout is None else _holdout_counts(holdout, int(periods.max()), n, active)
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
            projection[label] = projected = _survivors(model, data, actual.index.to_numpy(), n)
            errors = np.abs(projected - actual.to_numpy())
            row.update(holdout_mae=float(errors.mean()), holdout_max_error=float(errors.max()))
        row["parameters"] = ", ".join(f"{p}={v:.4g}" for p, v in model.params_.items())
        rows.append({**row, "note": ""})
    ranked_by = "bic" if actual is None else "holdout_mae"
    table = pd.DataFrame(rows).sort_values(ranked_by, kind="stable").reset_index(drop=True)
    if actual is not None:  # near-ties on the holdout error by BIC, not by the order of models
        table = break_ties(table)
    return RetentionComparison(table, projection, fitted, ranked_by)


def holdout_log_likelihood(model, calibration, later) -> tuple[float, int]:
    """Log-likelihood of what the subscribers active at the end of calibration did next.

    For a subscriber active after t₀ periods in ``calibration`` and seen again in ``later`` with
    t₁ periods: ln[S(t₁ − 1) − S(t₁)] − ln S(t₀) if they cancelled, ln S(t₁) − ln S(t₀) if
    still active. Unlike survivor counts of one cohort, this handles subscribers who started at
    different dates and covariates; the model with the higher value predicts the holdout better.
    A subscriber who cancelled in a period still running at the end of calibration (with
    ``observed_periods``, see :func:`clvmodel.subscriptions.from_subscription_table`) counts as
    active after the periods completed there, as in the fit.

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
    period = getattr(model, "period_", None)
    t0, cancelled0, index0 = validate_subscribers(calibration, period, "calibration")
    # As the fit does: a cancellation in a period still running at the end of calibration is
    # censored there, and what they did next is part of the holdout.
    t0, cancelled0 = censor_running_periods(calibration, t0, cancelled0)
    t1, cancelled1, index1 = validate_subscribers(later, period, "later")
    # And at the end of the holdout: a cancellation in its running period is not yet an outcome.
    t1, cancelled1 = censor_running_periods(later, t1, cancelled1)
    refuse_repeated_subscribers(index0, "calibration")
    refuse_repeated_subscribers(index1, "later")
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
    rows = None
    if isinstance(calibration, pd.DataFrame):
        rows = calibration.loc[~cancelled0].assign(periods=start, cancelled=0)
    if rows is None:
        rows = pd.DataFrame({"periods": start, "cancelled": 0})
    reach = model.probability_cancel(rows, end - start).to_numpy()
    before = model.probability_cancel(rows, np.maximum(end - 1.0 - start, 0.0)).to_numpy()
    with np.errstate(divide="ignore"):
        terms = np.where(gone, np.log(reach - before), np.log1p(-reach))
    return float(terms.sum()), int(active.size)


def _comparison_label(model) -> str:
    """The model's label, with its covariates: "sBG (covariates: premium)"."""
    a, b = list(model.alpha_covariates), list(model.beta_covariates)
    if a == b:
        parts = [f"covariates: {', '.join(a)}"] if a else []
    else:
        links = (("alpha", a), ("beta", b))
        parts = [f"{link} covariates: {', '.join(names)}" for link, names in links if names]
    return f"{model.label} ({'; '.join(parts)})" if parts else model.label


def _survivors(model, data, t: np.ndarray, n: float) -> np.ndarray:
    """Expected survivors of the cohort after t periods: Σ_i S_i(t), each subscriber's own
    survival given their covariates (N × S(t) without covariates)."""
    if not model.has_covariates:
        return n * model.survival_function(t)
    start = pd.DataFrame(data).assign(periods=0, cancelled=0)
    return model.retention_curve(start, int(t.max()))[t].sum(axis=0).to_numpy()


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


def _holdout_counts(holdout, last: int, n: float, active: int) -> pd.Series:
    try:
        if isinstance(holdout, (pd.Series, dict)):
            counts = pd.Series(holdout, dtype="float64")
        else:
            values = np.asarray(holdout, dtype="float64").reshape(-1)
            counts = pd.Series(values, index=np.arange(last + 1, last + 1 + values.size))
        index = np.asarray(counts.index, dtype="float64")
    except (TypeError, ValueError):
        raise InputError(
            f"holdout must be survivor counts (numbers), by period or in a sequence for the "
            f"periods after the last one in data; got {holdout!r}."
        ) from None
    if counts.empty or (index < 1).any() or (index != np.round(index)).any():
        raise InputError(f"holdout needs survivor counts of whole periods ≥ 1, got {holdout!r}.")
    if (index <= last).any():  # survivors the model was fitted to, or periods counted from 1
        raise InputError(
            f"holdout periods must come after the last period in data ({last}), got "
            f"{sorted(index[index <= last].astype('int64').tolist())[:5]}; number them as data "
            f"does ({last + 1}, {last + 2}, …) or give a sequence, which starts at {last + 1}."
        )
    values = counts.to_numpy()
    # Survivors are whole subscribers: shares (0.223) would be compared with N × S(t) silently.
    bad = ~np.isfinite(values) | (values < 0) | (values > n) | (values != np.round(values))
    if bad.any():
        raise InputError(
            f"holdout counts must be whole numbers between 0 and the {n:g} subscribers in data; "
            f"got {counts[bad].tolist()[:5]}. Give survivors of the same subscribers, not shares."
        )
    counts = counts.sort_index()
    growing = np.flatnonzero(np.diff(counts.to_numpy()) > 0)
    if growing.size:
        k = growing[0]
        raise InputError(
            f"holdout survivors must never increase: {counts.iloc[k + 1]:g} in period "
            f"{counts.index[k + 1]:g} after {counts.iloc[k]:g} in period {counts.index[k]:g}."
        )
    if counts.iloc[0] > active:
        raise InputError(
            f"holdout counts start at {counts.iloc[0]:g} survivors, but only {active:g} of the "
            "subscribers in data are still active; give survivors of the same subscribers."
        )
    counts.index = pd.Index(counts.index.to_numpy(dtype="float64").astype("int64"), name="period")
    return counts.rename("actual")
