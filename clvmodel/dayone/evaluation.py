"""Out-of-sample check of Day One predictions: fit on some customers, test on the others."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clvmodel._correlation import spearman
from clvmodel._random import random_generator
from clvmodel._table_ids import canonical_ranks
from clvmodel._units import Duration
from clvmodel.dayone._checks import (
    PROCESSES,
    check_frame,
    check_horizon,
    check_positive,
    examples,
)
from clvmodel.dayone.attributes import first_purchase_attributes
from clvmodel.dayone.model import DayOneModel
from clvmodel.dayone.prediction import id_type_hint
from clvmodel.errors import InputError
from clvmodel.rfm import clean_log, day_number, parse_date, rfm_summary


@dataclass
class DayOneEvaluation:
    """Out-of-sample check of Day One predictions against what new customers actually spent.

    Attributes
    ----------
    metrics : pandas.DataFrame
        For the value of repeat purchases in each evaluation customer's first ``horizon`` (the part
        the model predicts): per model (``covariate model``, ``no-covariate baseline``) the
        Spearman rank correlation, mean absolute error, the share of realised value captured by
        the top predicted decile, and the mean predicted and realised values.
    metrics_total : pandas.DataFrame
        The same for the total value including the known first purchase (the Day One value).
    predictions : pandas.DataFrame
        Per evaluation customer: predicted and realised repeat value, for both models, and the
        first purchase amount.
    model, baseline : DayOneModel
        The fitted covariate model and the no-covariate model.
    fit_customers : pandas.Index
        The customers the models were fitted on (the others are in ``predictions``).
    details : dict
        Customer counts, horizon, seed and dates.
    """

    metrics: pd.DataFrame
    metrics_total: pd.DataFrame
    predictions: pd.DataFrame
    model: DayOneModel
    baseline: DayOneModel
    fit_customers: pd.Index
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        d = self.details
        lines = [
            f"Day One evaluation: fitted on {d['fit_customers']:,} customers (histories to "
            f"{d['observation_end']}), evaluated on {d['evaluation_customers']:,} others over "
            f"their first {d['horizon']:g} {d['horizon_unit']} after signup (seed {d['seed']}).",
            "",
            "Repeat purchases' value:",
            self.metrics.round(3).to_string(),
            "",
            "Including the known first purchase:",
            self.metrics_total.round(3).to_string(),
        ]
        return "\n".join(lines)


def _spearman(predicted: np.ndarray, actual: np.ndarray) -> float:
    """Spearman's rank correlation with average ranks for ties; 0 when either side is constant
    (a constant prediction carries no ranking information)."""
    if np.ptp(predicted) == 0 or np.ptp(actual) == 0:
        return 0.0
    return spearman(predicted, actual)


def top_decile_share(predicted, actual, share: float = 0.1) -> float:
    """Share of the total realised value held by the customers with the highest predictions.

    Ties at the cut-off are shared out pro rata, so a constant prediction captures exactly
    ``share`` of the value (the expectation under random ordering).

    Parameters
    ----------
    predicted, actual : array_like
        Predicted and realised value per customer.
    share : float
        Top share of customers (0.1: the top decile).

    Returns
    -------
    float
        Between 0 and 1 (0 when nothing was realised).

    Examples
    --------
    >>> top_decile_share([1, 1, 1, 1], [0, 0, 0, 4], share=0.25)
    0.25
    >>> top_decile_share([4, 3, 2, 1], [4, 0, 0, 0], share=0.25)
    1.0
    """
    predicted = np.asarray(predicted, dtype="float64")
    actual = np.asarray(actual, dtype="float64")
    total = actual.sum()
    if total <= 0:
        return 0.0
    take = share * predicted.size
    values, inverse = np.unique(-predicted, return_inverse=True)  # highest prediction first
    group_size = np.bincount(inverse, minlength=values.size).astype(float)
    group_value = np.bincount(inverse, weights=actual, minlength=values.size)
    before = np.concatenate([[0.0], np.cumsum(group_size)[:-1]])
    fraction = np.clip((take - before) / group_size, 0.0, 1.0)
    return float(fraction @ group_value / total)


def _metrics(predicted: dict[str, np.ndarray], actual: np.ndarray) -> pd.DataFrame:
    rows = {}
    for name, values in predicted.items():
        rows[name] = {
            "spearman": _spearman(values, actual),
            "mae": float(np.mean(np.abs(values - actual))),
            "top_decile_share": top_decile_share(values, actual),
            "mean_predicted": float(values.mean()),
            "mean_actual": float(actual.mean()),
        }
    table = pd.DataFrame(rows).T
    table.index.name = "model"
    return table


# Over 80 lines for its 20 options and their numpydoc docstring; the body is 29 lines.
def evaluate_day_one(
    transactions: pd.DataFrame,
    attributes: pd.DataFrame | None = None,
    *,
    numeric=("first_purchase_amount", "first_purchase_quantity", "signup_week"),
    categorical=(),
    log=("first_purchase_amount", "first_purchase_quantity"),
    first_purchase_col: str = "first_purchase_amount",
    covariates_on=PROCESSES,
    horizon: str | Duration | float = "52W",
    horizon_unit: str | None = None,
    fit_share: float = 0.5,
    seed: int = 0,
    observation_end=None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    quantity_col: str | None = "quantity",
    time_unit: str = "W",
    date_format: str | None = None,
) -> DayOneEvaluation:
    """Fit Day One models on some customers and test them on the others' first months.

    The customers are split at random (``seed``) into a fitting share and an evaluation share. The
    models are fitted on the fitting customers' histories up to ``observation_end``; nothing of the
    evaluation customers is used except their signup attributes. Their Day One value over
    ``horizon`` is then compared with what they actually spent: the amounts of their purchase days
    after the signup day and within ``horizon`` of it (repeat value; the model's expected repeat
    purchases × expected spend), and the same plus the first purchase (the Day One value). The
    baseline is the same pipeline without covariates: plain BG/NBD and Gamma-Gamma, which give
    every new customer the population average.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase.
    attributes : pandas.DataFrame, optional
        Signup attributes indexed by customer id; by default :func:`first_purchase_attributes`
        of the log (first purchase amount and quantity, signup week).
    numeric, categorical, log, first_purchase_col, covariates_on
        As in :class:`DayOneModel`.
    horizon : str, Duration or float
        Evaluation window after signup, a duration such as ``"52W"`` (the default) or ``"12M"``;
        a bare number counts weeks.
    horizon_unit : {"D", "W", "M", "Y"}, optional
        Deprecated: the unit of a bare-number ``horizon``; write ``horizon="12M"`` instead.
    fit_share : float
        Share of customers used for fitting.
    seed : int
        Seed of the random split.
    observation_end : date-like, optional
        End of the fitting customers' histories; defaults to the last transaction date. Every
        evaluation customer's window must end by then.
    customer_col, date_col, amount_col, quantity_col : str
        Column names of the log; ``quantity_col=None`` for a log without quantities (the default
        ``numeric`` and ``log`` then leave out ``first_purchase_quantity``).
    time_unit : {"W", "D"}
        Time unit of the models.
    date_format : str, optional
        strftime pattern of text dates (and of a text ``observation_end``), e.g. ``"%d/%m/%Y"``;
        needed when the dates read both ways, day first or month first (they are then refused).

    Returns
    -------
    DayOneEvaluation
        Metrics for both models; ``str()`` renders them.

    Notes
    -----
    Spearman's correlation of a constant prediction is undefined; it is reported as 0, and the top
    decile of a constant prediction captures 10 % of the value by construction. CDNOW's customers
    all signed up in the first quarter of 1997, so fitting and evaluation customers share the same
    calendar months; a later cohort would also face whatever changed in between.

    Examples
    --------
    >>> import clvmodel as clv
    >>> result = clv.dayone.evaluate_day_one(clv.datasets.load_cdnow_sample(),
    ...                                      covariates_on=("purchase", "spend"))
    >>> list(result.metrics.index)
    ['covariate model', 'no-covariate baseline']
    """
    share = check_positive("fit_share", fit_share)
    if share >= 1:
        raise InputError(f"fit_share must be between 0 and 1, got {fit_share!r}.")
    duration = check_horizon(horizon, horizon_unit, Duration(52.0, "W"), stacklevel=2)
    columns = (customer_col, date_col, amount_col)
    if attributes is None:
        numeric, log = _without_quantity(numeric, log, transactions, quantity_col)
        attributes = first_purchase_attributes(transactions, *columns, quantity_col, date_format)
    rfm, realised, end_day = _histories(
        transactions, columns, observation_end, time_unit, duration, date_format
    )
    _check_attribute_rows(check_frame(attributes, "the signup attributes"), rfm.index)
    fit_ids, test_ids = _split(rfm.index, share, seed)
    _check_windows_end(realised.loc[test_ids, "first_day"].to_numpy(), duration, end_day)
    fit_rfm = rfm.loc[fit_ids]
    fit_rfm.attrs["time_unit"] = time_unit
    settings = dict(first_purchase_col=first_purchase_col, horizon=duration)
    fit_attributes = attributes[attributes.index.isin(fit_ids)]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        model = DayOneModel(numeric, categorical, log=log, covariates_on=covariates_on, **settings)
        model.fit(fit_rfm, fit_attributes)
        baseline = DayOneModel(**settings).fit(fit_rfm, fit_attributes)
    _warn_once(seen)
    metrics, metrics_total, table = _compare(model, baseline, attributes, realised.loc[test_ids])
    details = {
        "fit_customers": len(fit_ids),
        "evaluation_customers": len(test_ids),
        "horizon": float(duration.value),
        "horizon_unit": duration.unit,
        "seed": seed,
        "observation_end": str(np.datetime64(end_day, "D")),
    }
    return DayOneEvaluation(metrics, metrics_total, table, model, baseline, fit_ids, details)


_NUMERIC = ("first_purchase_amount", "first_purchase_quantity", "signup_week")
_LOG = ("first_purchase_amount", "first_purchase_quantity")


def _without_quantity(numeric, log, transactions, quantity_col):
    """The default attributes without ``first_purchase_quantity`` when the log has no
    quantities (``quantity_col=None``); a quantity column the log lacks is refused, saying so."""
    columns = getattr(transactions, "columns", None)  # not a table: refused when read
    if quantity_col is not None and columns is not None and quantity_col not in columns:
        raise InputError(
            f"there is no column {quantity_col!r} (quantity_col=) in the transactions; its "
            f"columns are {list(map(str, columns))}. Name the quantity column with quantity_col=, "
            "or pass quantity_col=None to evaluate without first_purchase_quantity."
        )
    if quantity_col is None:
        numeric = tuple(n for n in _NUMERIC if n != _LOG[1]) if numeric == _NUMERIC else numeric
        log = _LOG[:1] if log == _LOG else log
    return numeric, log


def _warn_once(seen: list) -> None:
    """Re-issue the warnings of the two fits, each text once (both fits read the same histories,
    so a warning about the data would otherwise come twice)."""
    issued = set()
    for item in seen:
        if (item.category, str(item.message)) not in issued:
            issued.add((item.category, str(item.message)))
            warnings.warn(item.message, item.category, stacklevel=3)


def _histories(
    transactions, columns, observation_end, time_unit: str, duration: Duration, date_format
):
    """The RFM table, each customer's realised value in ``duration`` after signup (indexed like
    the RFM table) and the last day of observation."""
    customer_col, date_col, amount_col = columns
    rfm = rfm_summary(
        transactions,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        observation_end=observation_end,
        time_unit=time_unit,
        date_format=date_format,
    )
    log_ = clean_log(transactions, customer_col, date_col, amount_col, date_format)
    end_day = (
        int(log_.day.max())
        if observation_end is None
        else day_number(parse_date(observation_end, "observation_end", date_format))
    )
    return rfm, _realised_values(log_, duration.days).loc[rfm.index], end_day


def _check_attribute_rows(attributes: pd.DataFrame, customers: pd.Index) -> None:
    """Refuse signup attributes without a row for some customer of the log: either half of the
    split may need it (the evaluation half's rows are read only after both fits)."""
    missing = customers.difference(attributes.index)
    if len(missing):
        raise InputError(
            f"the signup attributes have no row for {len(missing)} of the {len(customers)} "
            f"customers of the transactions (for example {examples(missing)}); give every "
            "customer a row (clvmodel.dayone.first_purchase_attributes(transactions) makes one "
            f"per customer).{id_type_hint(customers, attributes.index)}"
        )


def _check_windows_end(first_days: np.ndarray, duration: Duration, end_day: int) -> None:
    """Refuse evaluation customers whose window after signup runs past the end of the log."""
    late = first_days + duration.days > end_day + 1e-9
    if late.any():
        raise InputError(
            f"{int(late.sum())} evaluation customer(s) signed up less than {duration.value:g} "
            f"{duration.unit} before the end of the log, so their window is not complete; use a "
            "shorter horizon or only customers who signed up early enough."
        )


def _realised_values(log_, window: float) -> pd.DataFrame:
    """Per customer of the cleaned log: first purchase day and amount, and the value of the
    purchase days in (first, first + window]."""
    starts = np.flatnonzero(np.r_[True, log_.customer_code[1:] != log_.customer_code[:-1]])
    first_day = np.zeros(len(log_.customers), dtype="int64")
    first_day[log_.customer_code[starts]] = log_.day[starts]
    first_amount = np.zeros(len(log_.customers))
    first_amount[log_.customer_code[starts]] = log_.amount[starts]
    since = log_.day - first_day[log_.customer_code]
    in_window = (since > 0) & (since <= window)
    repeat_value = np.bincount(
        log_.customer_code[in_window],
        weights=log_.amount[in_window],
        minlength=len(log_.customers),
    )
    return pd.DataFrame(
        {"first_purchase": first_amount, "repeat_value": repeat_value, "first_day": first_day},
        index=log_.customers,
    )


def _split(customers: pd.Index, share: float, seed: int) -> tuple[pd.Index, pd.Index]:
    """A random split of ``customers`` into fitting (``share``) and evaluation customers, each
    in sorted order; the customers are permuted from their sorted order, so that the same
    customers and seed give the same split whatever the order of the log's rows."""
    n_fit = int(round(share * len(customers)))
    if n_fit < 10 or len(customers) - n_fit < 10:
        raise InputError("too few customers to split into fitting and evaluation sets.")
    ordered = customers[np.argsort(canonical_ranks(customers), kind="stable")]
    order = random_generator(seed).permutation(len(ordered))
    return ordered[np.sort(order[:n_fit])], ordered[np.sort(order[n_fit:])]


def _compare(model, baseline, attributes, realised: pd.DataFrame):
    """Metrics of both models' predictions for the evaluation customers in ``realised``, with and
    without the first purchase, and the per-customer table."""
    test_ids = realised.index
    signups = attributes.loc[test_ids]
    predicted = model.predict(signups)
    predicted_base = baseline.predict(signups)
    actual = realised["repeat_value"].to_numpy()
    first = realised["first_purchase"].to_numpy()
    repeat_model = predicted["expected_repeat_value"].to_numpy()
    repeat_base = predicted_base["expected_repeat_value"].to_numpy()
    metrics = _metrics(
        {"covariate model": repeat_model, "no-covariate baseline": repeat_base}, actual
    )
    metrics_total = _metrics(
        {"covariate model": first + repeat_model, "no-covariate baseline": first + repeat_base},
        first + actual,
    )
    table = pd.DataFrame(
        {
            "first_purchase": first,
            "predicted_repeat_value": repeat_model,
            "baseline_repeat_value": repeat_base,
            "actual_repeat_value": actual,
            "segment": predicted["segment"].to_numpy(),
        },
        index=test_ids,
    )
    return metrics, metrics_total, table
