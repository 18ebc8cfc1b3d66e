"""Which purchase model? Fit several on the same calibration data and let the holdout decide.

:func:`compare_models` fits each candidate (by default BG/NBD, MBG/NBD and Pareto/NBD) on one
calibration table and ranks them: by their holdout errors when a holdout table is given, by BIC
otherwise. Beside the ranking it reports what tells the models apart in practice: the churn score's
quality, and whether the predicted share of one-time buyers who stay silent matches the observed one
(BG/NBD lets a customer drop out only after a repeat purchase, so it cannot get this share right).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clvmodel.coverage import model_label
from clvmodel.errors import ClvError, InputError
from clvmodel.holdout import evaluate_holdout
from clvmodel.models import PURCHASE_MODELS
from clvmodel.models.base import PurchaseModel

__all__ = ["ModelComparison", "compare_models", "purchase_model"]

DEFAULT_MODELS = ("bgnbd", "mbgnbd", "pnbd")


def purchase_model(name) -> PurchaseModel:
    """A new, unfitted purchase model from its short name.

    Parameters
    ----------
    name : str
        ``"bgnbd"``, ``"mbgnbd"`` or ``"pnbd"`` (case and the characters ``/``, ``-``, ``_``
        are ignored, so ``"BG/NBD"`` and ``"pareto-nbd"`` work too).

    Returns
    -------
    PurchaseModel
    """
    key = "".join(ch for ch in str(name).lower() if ch.isalnum())
    key = {"paretonbd": "pnbd", "modifiedbetageo": "mbgnbd", "betageo": "bgnbd"}.get(key, key)
    if key not in PURCHASE_MODELS:
        raise InputError(f"unknown purchase model {name!r}; choose from {sorted(PURCHASE_MODELS)}.")
    return PURCHASE_MODELS[key]()


@dataclass(repr=False)
class ModelComparison:
    """Result of :func:`compare_models`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per model, best first: ``model``, ``n_params``, ``log_likelihood``, ``aic``,
        ``bic``, the holdout columns (``holdout_mae``, ``holdout_rmse``,
        ``holdout_total_error_pct``, ``churn_auc`` and ``churn_brier`` of P(no purchase in the
        holdout) against "made no purchase", ``one_time_no_purchase_predicted`` and
        ``one_time_no_purchase_observed``: the share of customers without a repeat purchase in
        calibration who make none in the holdout), ``parameters`` and ``note`` (why a model
        failed or ended on the edge of its parameter space, and ties on the holdout error).
    conditional_expectation : pandas.DataFrame or None
        Mean holdout purchases by calibration repeat purchases (0, 1, …, 7+): ``customers``,
        ``actual`` and one column per model.
    models : dict
        The fitted models by label.
    ranked_by : str
        ``"holdout_mae"`` or ``"bic"``.
    """

    table: pd.DataFrame
    conditional_expectation: pd.DataFrame | None
    models: dict
    ranked_by: str

    @property
    def best(self) -> PurchaseModel:
        """The first model of the ranking."""
        return self.models[self.table["model"].iloc[0]]

    def __repr__(self) -> str:
        return (
            f"ModelComparison(best={self.table['model'].iloc[0]!r}, ranked_by={self.ranked_by!r})"
        )

    def __str__(self) -> str:
        shown = self.table.drop(columns=["parameters"]).set_index("model")
        shown["note"] = [_short(note) for note in shown["note"]]
        text = f"Purchase models ranked by {self.ranked_by} (best first)\n{shown.to_string()}"
        if self.conditional_expectation is not None:
            ce = self.conditional_expectation.to_string(float_format=lambda v: f"{v:.3f}")
            text += f"\n\nMean holdout purchases by calibration repeat purchases\n{ce}"
        return text


def compare_models(calibration, holdout=None, models=None, *, max_frequency: int = 7):
    """Fit several purchase models on one calibration table and rank them.

    Parameters
    ----------
    calibration : pandas.DataFrame
        Calibration RFM table (from :func:`clvmodel.calibration_holdout_split`), with the
        covariate columns of any covariate model among ``models``.
    holdout : pandas.DataFrame, optional
        The matching holdout table. With it, models are ranked by the mean absolute error of
        holdout purchases; without it, by BIC.
    models : str, model or sequence, optional
        Model names (``"bgnbd"``, ``"mbgnbd"``, ``"pnbd"``) or model objects (fitted ones are used
        as they are and must have been fitted on ``calibration``'s customers, unfitted ones are
        fitted on ``calibration``), one or a sequence. Default: the three models.
    max_frequency : int
        Top class of the conditional-expectation table.

    Returns
    -------
    ModelComparison

    Notes
    -----
    AIC = 2k − 2 ln L and BIC = k ln(N) − 2 ln L, with k parameters and N customers. A model whose
    fit fails stays in the table with its reason in ``note`` and is ranked last. Models whose
    holdout MAE differs by at most 0.01 % (relative) are tied: they are ranked by BIC, and
    ``note`` says so.

    Examples
    --------
    >>> import clvmodel as clv
    >>> cal, hold = clv.calibration_holdout_split(
    ...     clv.datasets.load_cdnow_sample(), calibration_end="1997-09-30",
    ...     observation_end="1998-06-30")
    >>> result = clv.compare_models(cal, hold)
    >>> result.table["model"].tolist()
    ['Pareto/NBD', 'MBG/NBD', 'BG/NBD']
    """
    if not isinstance(calibration, pd.DataFrame) or len(calibration) == 0:
        raise InputError("calibration must be a non-empty RFM table (a DataFrame).")
    candidates = [
        _candidate(m, k)
        for k, m in enumerate(DEFAULT_MODELS if models is None else _listed(models))
    ]
    if not candidates:
        raise InputError("models is empty: name at least one model to compare.")
    rows, fitted, columns = [], {}, {}
    conditional = None
    for model in candidates:
        label = model_label(model)
        if label in fitted:
            raise InputError(f"{label} appears twice in models; compare different models.")
        row = {"model": label, "n_params": len(model.param_names), "note": ""}
        _check_fitted_on(model, label, calibration)
        row["note"], ok = _fit_noting_warnings(model, calibration)
        if not ok:
            rows.append(row)
            continue
        fitted[label] = model
        row.update(_likelihood_columns(model))
        if holdout is not None:
            report = evaluate_holdout(model, calibration, holdout, max_frequency=max_frequency)
            row.update(_holdout_columns(report))
            table = report.conditional_expectation
            if conditional is None:
                conditional = table[["customers", "actual"]].copy()
            columns[label] = table["model"]
        rows.append(row)
    if not fitted:
        raise InputError(
            "no model could be fitted: " + " | ".join(f"{r['model']}: {r['note']}" for r in rows)
        )
    ranked_by = "holdout_mae" if holdout is not None else "bic"
    table = _ranked_table(rows, ranked_by)
    if conditional is not None:
        for label in table["model"]:
            if label in columns:
                conditional[label] = columns[label]
    return ModelComparison(table, conditional, fitted, ranked_by)


def _listed(models) -> list:
    """``models`` as a list: one name or model is a list of one (not of letters)."""
    if isinstance(models, (str, PurchaseModel)):
        return [models]
    try:
        return list(models)
    except TypeError:
        raise InputError(
            f"models must be a model name such as 'bgnbd', a purchase model, or a sequence of "
            f"them; got {models!r}."
        ) from None


def _candidate(model, position: int) -> PurchaseModel:
    """A purchase model from an entry of ``models``: a model as it is, a name as a new model;
    any other object (a spend model, a bundle of models) is named as what it is."""
    if isinstance(model, PurchaseModel):
        return model
    if isinstance(model, str):
        return purchase_model(model)
    inside = getattr(model, "bg", None)  # a ModelBundle holds one
    advice = (
        f"; pass the bundle's purchase model, models[{position}].bg"
        if isinstance(inside, PurchaseModel)
        else ""
    )
    raise InputError(
        f"models[{position}] is a {type(model).__name__}: compare_models ranks purchase models "
        f"(BG/NBD, MBG/NBD, Pareto/NBD), named {sorted(PURCHASE_MODELS)} or given as models"
        f"{advice}."
    )


def _check_fitted_on(model, label: str, calibration) -> None:
    """Refuse a model fitted on other customers than ``calibration``'s, or in another time unit:
    its likelihood (AIC, BIC) is not comparable with the others'."""
    model_unit = getattr(model, "time_unit_", None)
    table_unit = calibration.attrs.get("time_unit")
    if model_unit is not None and table_unit is not None and model_unit != table_unit:
        raise InputError(
            f"the time units differ: the calibration summary is in {table_unit!r}, {label} was "
            f"fitted in {model_unit!r}: its likelihood (AIC, BIC) is not comparable with the "
            "others'; pass it unfitted, or fit it on calibration."
        )
    fitted_on = getattr(model, "n_customers_", None)
    if fitted_on is not None and abs(float(fitted_on) - len(calibration)) > 1e-9:
        raise InputError(
            f"{label} was fitted on {float(fitted_on):g} customers, calibration has "
            f"{len(calibration)}: its likelihood (AIC, BIC) is not comparable with the others'; "
            "pass it unfitted, or fit it on calibration."
        )


def _fit_noting_warnings(model, calibration) -> tuple[str, bool]:
    """Fit ``model`` unless it is fitted; the note of its warnings (or of the failure), and
    whether it is fitted."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if not hasattr(model, "log_likelihood_"):
                model.fit(calibration)
        # Each message ends in a full stop: joined by spaces, not "(...).; the Hessian".
        note = " ".join(str(w.message) for w in caught if issubclass(w.category, UserWarning))
    except ClvError as exc:
        return f"fit failed: {exc}", False
    except (ArithmeticError, ValueError) as exc:
        # The optimiser's own failure on one model's likelihood (as the command line's single
        # fit reports it): that model is out of the running, the others are still compared.
        return (
            f"fit failed: the optimiser failed on these data ({type(exc).__name__}: {exc})",
            False,
        )
    return note, True


#: Holdout errors closer than this (relative) are a tie, broken by BIC: a difference in the
#: fifth significant digit of a mean absolute error is no evidence for one model.
TIE_TOLERANCE = 1e-4


def _ranked_table(rows, ranked_by: str) -> pd.DataFrame:
    """The rows ranked (failed fits last; models tied on the holdout error by BIC), the
    likelihood columns first, parameters and note last."""
    table = pd.DataFrame(rows)
    table = table.sort_values(ranked_by, na_position="last", kind="stable", ignore_index=True)
    if ranked_by == "holdout_mae":
        table = break_ties(table)
    order = ["model", "n_params", "log_likelihood", "aic", "bic"]
    order += [c for c in table.columns if c not in order + ["parameters", "note"]]
    return table[[*order, "parameters", "note"]]


def break_ties(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` (sorted by holdout_mae) with each run of models whose holdout_mae is within
    :data:`TIE_TOLERANCE` of the run's first ranked by BIC, and the tie in their notes: the order
    in which the models were listed, or rounding, must not choose the model. Shared by the
    rankings of purchase models and of retention models (columns ``model``, ``holdout_mae``,
    ``bic`` and ``note``)."""
    mae = table["holdout_mae"].to_numpy(dtype="float64")
    group = np.zeros(mae.size, dtype="int64")
    for k in range(1, mae.size):
        first = mae[np.flatnonzero(group == group[k - 1])[0]]
        tied = np.isfinite(mae[k]) and abs(mae[k] - first) <= TIE_TOLERANCE * abs(first)
        group[k] = group[k - 1] if tied else group[k - 1] + 1
    if np.unique(group).size == group.size:
        return table
    table = table.assign(_group=group)
    table = table.sort_values(["_group", "bic"], kind="stable", ignore_index=True)
    notes = table["note"].tolist()
    for g in np.unique(group):
        members = np.flatnonzero(table["_group"].to_numpy() == g)
        if members.size < 2:
            continue
        for k in members:
            others = ", ".join(table["model"].iloc[m] for m in members if m != k)
            tie = (
                f"holdout_mae tied with {others} (within {100 * TIE_TOLERANCE:g} %): ranked by bic"
            )
            notes[k] = f"{tie}; {notes[k]}" if notes[k] else tie
    return table.drop(columns="_group").assign(note=notes)


def _short(note: str, width: int = 60) -> str:
    first = note.splitlines()[0] if note else ""
    return first if len(first) <= width else first[: width - 1] + "…"


def _likelihood_columns(model) -> dict:
    k = len(model.param_names)
    n = float(model.n_customers_)
    ll = float(model.log_likelihood_)
    return {
        "log_likelihood": ll,
        "aic": 2.0 * k - 2.0 * ll,
        "bic": k * math.log(n) - 2.0 * ll,
        "parameters": ", ".join(f"{name}={value:.4g}" for name, value in model.params_.items()),
    }


def _holdout_columns(report) -> dict:
    errors = report.metrics.loc[("purchases", "model")]
    customers = report.customers
    one_time = customers["frequency"].to_numpy() == 0
    silent = ~customers["bought"].to_numpy()
    no_purchase = 1.0 - customers["probability_purchase"].to_numpy()
    scores = report.churn_scores.loc["probability_purchase"]
    return {
        "holdout_mae": float(errors["mae"]),
        "holdout_rmse": float(errors["rmse"]),
        "holdout_total_error_pct": float(errors["total_error_pct"]),
        # P(no purchase) ranks "made no purchase" exactly as P(purchase) ranks "bought".
        "churn_auc": float(scores["roc_auc"]),
        "churn_brier": float(scores["brier"]),
        "one_time_no_purchase_predicted": (
            float(no_purchase[one_time].mean()) if one_time.any() else np.nan
        ),
        "one_time_no_purchase_observed": float(silent[one_time].mean())
        if one_time.any()
        else np.nan,
    }
