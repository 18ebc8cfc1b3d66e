"""Coverage is measured, not assumed: do the prediction intervals hold on a holdout period?

For each customer the model gives a prediction interval [L, U] of the number of purchases in the
holdout period and the probability it puts on it (``purchases_interval_mass``, at least the nominal
level for a discrete count). If the model is right, the share of customers whose actual count falls
inside matches the mean of that probability, overall and within any group of customers fixed in
advance (here by calibration frequency). The randomised probability integral transform (PIT)
checks the whole predictive distribution: u = F(x − 1) + V · P(X = x), V ~ U(0, 1), is uniform on
(0, 1) under the model (Brockwell 2007; Czado, Gneiting and Held 2009).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from clvmodel._correlation import equal_counts_pvalue
from clvmodel._coverage_target import meets_target
from clvmodel._random import random_generator
from clvmodel._table_ids import canonical_ranks
from clvmodel.errors import ClvWarning, InputError
from clvmodel.models import PurchaseModel
from clvmodel.models._intervals import check_level
from clvmodel.value import check_models

__all__ = [
    "coverage_comparison",
    "interval_coverage",
    "model_label",
    "randomised_pit",
]

_GROUPS = (("0", 0, 0), ("1", 1, 1), ("2–3", 2, 3), ("4+", 4, np.inf))
#: The options of ``model.predict`` that the coverage functions pass on.
_PREDICT_OPTIONS = frozenset({"method", "n_draws", "seed"})


def _checked(model, calibration, holdout, *, shared_ids: bool = False):
    """The model and tables checked as :func:`clvmodel.evaluate_holdout` checks them (but for
    holdout customers that are not in ``calibration``, left out).

    Parameters
    ----------
    model : PurchaseModel
        Fitted on ``calibration``.
    calibration, holdout : pandas.DataFrame
        From :func:`clvmodel.calibration_holdout_split` (``frequency_cal``-style names too).
    shared_ids : bool, optional
        Let rows of ``calibration`` share an id (:func:`randomised_pit`): the first row of each id
        is checked against the holdout table, and every row takes its id's holdout count.

    Returns
    -------
    tuple
        The calibration repeat purchases (``None`` when rows share an id), the holdout purchase
        counts in the order of ``calibration``'s rows, and the holdout length.
    """
    check_models(model, name="model")
    # Imported here: clvmodel.evaluation imports this module.
    from clvmodel.evaluation.alignment import checked_inputs

    holdout = _calibration_customers(calibration, holdout)
    if shared_ids and isinstance(calibration, pd.DataFrame) and calibration.index.has_duplicates:
        first = calibration[~calibration.index.duplicated()]
        first.attrs = dict(calibration.attrs)  # its time unit
        _, _, aligned, _, _, duration = checked_inputs(model, first, holdout, False)
        counts = aligned["frequency_holdout"].reindex(calibration.index)
        return None, counts.to_numpy(dtype="float64"), duration
    _, _, _, rfm, actual, duration = checked_inputs(model, calibration, holdout, False)
    return rfm.frequency, actual, duration


def _calibration_customers(calibration, holdout):
    """The rows of ``holdout`` of calibration customers, when it has a row for each of them: the
    coverage of some customers (a segment of the calibration table) may be measured with the whole
    holdout table, which :func:`clvmodel.evaluate_holdout` refuses."""
    if not (isinstance(calibration, pd.DataFrame) and isinstance(holdout, pd.DataFrame)):
        return holdout
    kept = holdout.index.isin(calibration.index)
    if kept.all() or not calibration.index.isin(holdout.index).all():
        return holdout  # the same customers, or a clear error from the alignment
    part = holdout[kept]
    part.attrs = dict(holdout.attrs)  # its time unit
    return part


def randomised_pit(model, calibration, holdout, seed=0) -> np.ndarray:
    """Randomised PIT values of the holdout purchase counts under the model (at its estimate).

    Parameters
    ----------
    model : PurchaseModel
        Fitted on ``calibration``.
    calibration, holdout : pandas.DataFrame
        From :func:`clvmodel.calibration_holdout_split`, checked as in
        :func:`interval_coverage`; rows of ``calibration`` may share an id.
    seed : int, optional
        Seed of the uniform V. The V are handed out in the order of the customers' ids (the
        index of ``calibration``) sorted as text, so that each customer gets the same V, and
        the test the same p-value, whatever the order of the rows and whether the ids are held
        as numbers or as text (as the command line reads them).

    Returns
    -------
    numpy.ndarray
        One value in [0, 1] per customer (in the order of ``calibration``'s rows); uniform if
        the model's count distribution is right.
    """
    _, actual, duration = _checked(model, calibration, holdout, shared_ids=True)
    at_most, mass = _probabilities_at(model, calibration, duration, actual)
    below = at_most - mass
    v = np.empty(actual.size)
    v[_customer_order(calibration.index, below, mass)] = random_generator(seed).uniform(
        size=actual.size
    )
    return np.clip(below + v * mass, 0.0, 1.0)


def _probabilities_at(model, calibration, duration, counts) -> tuple[np.ndarray, np.ndarray]:
    """P(X ≤ k) and P(X = k) of each row's holdout purchases X at its own count k (``counts``).

    Each row's distribution is evaluated up to the power of two above its own k only, rows with
    the same bound together: one grid up to the largest k of all (217 on the full CDNOW log) took
    6 s for 23,570 customers, most of whom need one or two terms. Warnings (a covariate outside
    its fitted range) come once, from the first evaluation of every row, in its words.
    """
    counts = np.asarray(counts).astype("int64")
    zero = model.purchase_distribution(calibration, duration, max_purchases=0).to_numpy()[:, 0]
    at_most, mass = zero.copy(), zero.copy()
    rest = np.flatnonzero(counts > 0)
    bounds = 2 ** np.ceil(np.log2(counts[rest] + 1.0)).astype("int64") - 1  # 1, 3, 7, 15, ...
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClvWarning)  # said above, counting every customer
        for bound in np.unique(bounds):
            rows = rest[bounds == bound]
            part = calibration.iloc[rows]
            grid = model.purchase_distribution(part, duration, max_purchases=int(bound)).to_numpy()
            picked = np.arange(rows.size), counts[rows]
            at_most[rows] = np.cumsum(grid, axis=1)[picked]
            mass[rows] = grid[picked]
    return at_most, mass


def _customer_order(ids: pd.Index, below: np.ndarray, mass: np.ndarray) -> np.ndarray:
    """Row positions in canonical order of customer id; rows that share an id in increasing
    order of F(x − 1), then P(X = x), so that only rows with the same PIT distribution tie."""
    return np.lexsort((mass, below, canonical_ranks(ids)))


def interval_coverage(model, calibration, holdout, interval: float = 0.9, **options):
    """Observed coverage of the holdout purchase intervals, overall and by calibration frequency.

    Parameters
    ----------
    model : PurchaseModel
        Fitted on ``calibration`` (its covariance is used for parameter uncertainty).
    calibration, holdout : pandas.DataFrame
        From :func:`clvmodel.calibration_holdout_split` (lifetimes' ``frequency_cal``-style
        names work too), checked as :func:`clvmodel.evaluate_holdout` checks them, except that
        the holdout table may list customers that are not in ``calibration`` (left out) and that
        a segment where nobody bought in the holdout period is measured too.
    interval : float
        Nominal level.
    **options
        Passed to ``model.predict`` (``method``, ``n_draws``, ``seed``).

    Returns
    -------
    pandas.DataFrame
        Indexed by group (``all``, ``0``, ``1``, ``2–3``, ``4+`` repeat purchases in
        calibration):

        - ``customers``;
        - ``observed_coverage``: share of actual counts inside [L, U];
        - ``predicted_mass``: mean ``purchases_interval_mass``, what the coverage should be;
        - ``difference``: observed − predicted;
        - ``standard_error``: the sampling standard deviation of the observed coverage if the
          model were right (each customer inside with probability their interval mass,
          independently: √Σ m(1 − m) / n), so that a difference of several standard errors is a
          misfit of the model rather than bad luck;
        - ``observed_above`` and ``predicted_above``: share of actual counts above U and the
          model's mean P(X > U) (at the estimate). Misses above U mean the model predicts too few
          purchases for the group; ``observed_below`` is the share below L;
        - ``actual_mean`` and ``expected_mean``: mean holdout purchases and mean prediction;
        - ``pit_chi2_pvalue``: chi-square test of the randomised PIT's uniformity over 10 bins
          (overall row only).

        ``attrs["interval"]`` holds the level.

    Examples
    --------
    >>> import clvmodel as clv
    >>> cal, hold = clv.calibration_holdout_split(
    ...     clv.datasets.load_cdnow_sample(), calibration_end="1997-09-30",
    ...     observation_end="1998-06-30")
    >>> table = clv.interval_coverage(clv.BetaGeoModel().fit(cal), cal, hold)
    >>> bool(abs(table.loc["all", "difference"]) < 0.03)
    True
    """
    interval = check_level(interval)  # None or text would fail inside predict, or at the end
    unknown = sorted(set(options) - _PREDICT_OPTIONS)
    if unknown:
        raise InputError(
            f"unknown option(s) {unknown}; interval_coverage passes only "
            f"{sorted(_PREDICT_OPTIONS)} on to the model's predict."
        )
    frequency, actual, duration = _checked(model, calibration, holdout)
    predicted = model.predict(
        calibration, duration, which=("expected_purchases",), interval=interval, **options
    )
    lower = predicted["purchases_lower"].to_numpy()
    upper = predicted["purchases_upper"].to_numpy()
    mass = predicted["purchases_interval_mass"].to_numpy()
    at_most = _probabilities_at(model, calibration, duration, np.maximum(upper, 0))[0]
    expected = predicted["expected_purchases"].to_numpy()
    table = _coverage_table(frequency, actual, lower, upper, mass, at_most, expected)
    pit = randomised_pit(model, calibration, holdout)
    counts = np.histogram(pit, bins=10, range=(0.0, 1.0))[0]
    table["pit_chi2_pvalue"] = np.nan
    table.loc["all", "pit_chi2_pvalue"] = equal_counts_pvalue(counts)
    table.attrs["interval"] = interval
    return table


def _coverage_table(frequency, actual, lower, upper, mass, at_most, expected) -> pd.DataFrame:
    """The columns of :func:`interval_coverage` but the PIT test, overall and per group."""
    inside = (actual >= lower) & (actual <= upper)
    rows = {"all": np.ones(actual.size, dtype=bool)}
    rows.update({label: (frequency >= lo) & (frequency <= hi) for label, lo, hi in _GROUPS})

    def mean(values):
        return [values[m].mean() if m.any() else np.nan for m in rows.values()]

    table = pd.DataFrame(
        {
            "customers": [int(m.sum()) for m in rows.values()],
            "observed_coverage": mean(inside),
            "predicted_mass": mean(mass),
        },
        index=pd.Index(list(rows), name="group"),
    )
    table["difference"] = table["observed_coverage"] - table["predicted_mass"]
    table["standard_error"] = [
        np.sqrt((mass[m] * (1.0 - mass[m])).sum()) / m.sum() if m.any() else np.nan
        for m in rows.values()
    ]
    table["observed_above"] = mean(actual > upper)
    table["predicted_above"] = mean(np.clip(1.0 - at_most, 0.0, 1.0))
    table["observed_below"] = mean(actual < lower)
    table["actual_mean"] = mean(actual)
    table["expected_mean"] = mean(expected)
    return table


def coverage_comparison(models, calibration, holdout, interval: float = 0.9, **options):
    """:func:`interval_coverage` of several models on the same split, side by side.

    A model that misses its own interval mass in one group while another model holds it on the
    same customers points to the first model's form (misspecification), not to sampling.

    Parameters
    ----------
    models : dict or sequence
        Fitted purchase models, by label (a sequence is labelled as
        :func:`clvmodel.compare_models` labels them: the model's ``label`` with its covariates,
        e.g. ``"BG/NBD (purchase: z)"``).
    calibration, holdout : pandas.DataFrame
        From :func:`clvmodel.calibration_holdout_split`.
    interval : float
        Nominal level.
    **options
        Passed to ``model.predict``.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`interval_coverage`, indexed by (``model``, ``group``), with
        ``meets_target``: observed coverage within 3 points of the predicted mass and not more
        than 3 points below the nominal level (a nullable boolean, missing for a group without
        customers).

    Examples
    --------
    >>> import clvmodel as clv
    >>> cal, hold = clv.calibration_holdout_split(
    ...     clv.datasets.load_cdnow_sample(), calibration_end="1997-09-30",
    ...     observation_end="1998-06-30")
    >>> fitted = [clv.BetaGeoModel().fit(cal), clv.ParetoNBDModel().fit(cal)]
    >>> table = clv.coverage_comparison(fitted, cal, hold)
    >>> list(table.index.get_level_values("model").unique())
    ['BG/NBD', 'Pareto/NBD']
    """
    interval = check_level(interval)  # before any model is evaluated
    if not isinstance(models, dict):
        models = _model_list(models)
        labels = [model_label(m) for m in models]
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:  # a dict would keep only the last of them
            raise InputError(
                f"{len(models)} models share the label(s) {repeated}; pass a dict that names "
                "each, e.g. {'BG/NBD, 39 weeks': bg39, 'BG/NBD, 52 weeks': bg52}."
            )
        models = dict(zip(labels, models, strict=True))
    if not models:
        raise InputError("models is empty; pass fitted purchase models, e.g. {'BG/NBD': bg}.")
    for label, model in models.items():  # all refused before any is evaluated
        check_models(model, name=f"models[{label!r}]")
    tables = {
        label: interval_coverage(model, calibration, holdout, interval, **options)
        for label, model in models.items()
    }
    table = pd.concat(tables, names=["model"])
    table["meets_target"] = meets_target(table, interval)
    table.attrs["interval"] = float(interval)
    return table


def _model_list(models) -> list:
    """``models`` as a list of purchase models, each checked before they are labelled (a name
    such as 'bgnbd', read letter by letter, would be told that its letters share a label)."""
    if isinstance(models, PurchaseModel):
        return [models]
    if isinstance(models, str) or not hasattr(models, "__iter__"):
        raise InputError(
            f"models must be fitted purchase models, a dict label → model or a sequence, got "
            f"{models!r}; coverage is measured on fitted models, e.g. "
            "{'BG/NBD': clvmodel.BetaGeoModel().fit(calibration)}."
        )
    models = list(models)
    for k, model in enumerate(models):
        check_models(model, name=f"models[{k}]")
    return models


def model_label(model) -> str:
    """The label of a model in comparisons, covariates included, so that two specifications of
    one model are told apart.

    Parameters
    ----------
    model : object
        A purchase model; anything else is labelled by its class name.

    Returns
    -------
    str
        E.g. ``"BG/NBD"``, ``"BG/NBD (purchase: income; dropout: tenure)"``.
    """
    label = getattr(model, "label", "") or type(model).__name__
    parts = [
        f"{process}: {', '.join(names)}"
        for process, names in (
            ("purchase", list(getattr(model, "purchase_covariates", ()))),
            ("dropout", list(getattr(model, "dropout_covariates", ()))),
        )
        if names
    ]
    return f"{label} ({'; '.join(parts)})" if parts else label
