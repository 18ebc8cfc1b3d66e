"""Nonparametric bootstrap over customers for ``method="bootstrap"`` intervals: multinomial
redraws of the counts of a model's distinct rows, each refitted from the estimate, after checking
that the rows are the ones the model was fitted on (see :mod:`clvmodel.models._intervals`)."""

from __future__ import annotations

import numpy as np

from clvmodel._random import random_generator
from clvmodel.errors import InputError
from clvmodel.models._interval_draws import check_n_draws
from clvmodel.models._table_unit import check_table_unit
from clvmodel.models._weights import align_weights


def bootstrap_parameters(model, data, n_draws: int = 100, seed=0, weights=None) -> np.ndarray:
    """Parameters refitted on nonparametric bootstrap samples of the customers.

    Resampling customers with replacement only changes how many customers stand behind each
    distinct history, so each replicate is a multinomial draw of the counts of the distinct rows
    and a refit on those rows, started from the estimate: cheap, whatever the number of customers.
    The distinct rows are drawn in the order of :func:`canonical_rows`, so that the same seed
    gives the same replicates whatever the order of the rows of ``data`` and whether unit
    weights are given or left out.

    Parameters
    ----------
    model : MaximumLikelihoodModel
        Fitted on ``data``.
    data : pandas.DataFrame
        The table the model was fitted on.
    n_draws : int
        Bootstrap replicates.
    seed : int or numpy.random.Generator, optional
        For reproducible replicates.
    weights : array_like, optional
        As given to ``fit``.

    Returns
    -------
    numpy.ndarray
        Shape (replicates that converged, number of parameters).
    """
    from clvmodel.models._optimise import converged, evaluate_at

    check_n_draws(n_draws)
    rng = random_generator(seed)
    theta = model._check_fitted()
    check_table_unit(model, data)  # purchase models: days or weeks
    arrays, counts, n_customers = model._prepare(data, align_weights(weights, data))
    _refuse_other_data(model, theta, arrays, counts, n_customers)
    if model._subsample(arrays, counts, np.arange(counts.size)) is None:
        raise InputError(f"{type(model).__name__} cannot be bootstrapped.")
    arrays, counts = canonical_rows(model, arrays, counts)
    scaling = model._covariate_scaling(arrays, counts)  # refits on standardised covariates
    arrays = scaling.arrays
    total = int(round(counts.sum()))
    start = scaling.to_scaled(model._to_working(theta))
    replicates = []
    for _ in range(int(n_draws)):
        resampled = rng.multinomial(total, counts / counts.sum()).astype("float64")
        rows = np.flatnonzero(resampled)
        subset = model._subsample(arrays, resampled, rows)
        result, evaluate = model._optimise(
            *subset, start, model._analytic_hessian, gtol=model.tol * 1e-3, max_iter=model.max_iter
        )
        value, gradient, _ = evaluate_at(evaluate, result.x)
        if converged(value, gradient, model.tol):
            replicates.append(model._to_natural(scaling.to_user(result.x))[0])
    if len(replicates) < 2:
        raise InputError("the bootstrap refits did not converge; use method='delta'.")
    return np.array(replicates)


def _refuse_other_data(model, theta, arrays, counts, n_customers) -> None:
    """Refuse a table other than the one the model was fitted on (weights left out, another
    time unit, other customers): its customer count or its log-likelihood at the estimate
    differs from the fit's. Models made by ``from_params`` record neither and are not checked."""
    advice = "pass the table (and weights=) the model was fitted on"
    fitted_customers = getattr(model, "n_customers_", None)
    if fitted_customers is not None and int(n_customers) != fitted_customers:
        raise InputError(
            f"bootstrap needs the data the model was fitted on: this table holds "
            f"{int(n_customers):,} customer(s), the fit {fitted_customers:,}; {advice}."
        )
    fitted_ll = getattr(model, "log_likelihood_", None)
    if fitted_ll is None:
        return
    with np.errstate(all="ignore"):
        ll = float(model._objective(theta, arrays, counts, False)[0])
    if not np.isclose(ll, fitted_ll, rtol=1e-8, atol=1e-8):
        raise InputError(
            f"bootstrap needs the data the model was fitted on: the log-likelihood of this table "
            f"at the estimate is {ll:,.6g}, the fit's {fitted_ll:,.6g} (other rows, weights or "
            f"time unit); {advice}."
        )


def _row_columns(arrays) -> list[np.ndarray]:
    """The columns of a model's prepared distinct rows (from ``_prepare``), one value per row
    each: a two-dimensional array gives one column per column. Customer histories (``x``,
    ``t_x``, ``T`` and covariates) come as an object, other models' rows as a tuple."""
    parts = arrays
    if not isinstance(arrays, tuple):
        parts = [getattr(arrays, n) for n in ("x", "t_x", "T", "z_purchase", "z_dropout")]
    columns = []
    for part in (np.asarray(p) for p in parts):
        width = int(np.prod(part.shape[1:], dtype=np.int64))
        columns.extend([part] if part.ndim == 1 else part.reshape(part.shape[0], width).T)
    return columns


def canonical_rows(model, arrays, counts):
    """A model's prepared distinct rows and their counts in increasing lexicographic order of
    their columns (for histories: frequency, then recency, then T, then the covariates).

    ``_prepare`` returns the distinct rows in order of first appearance in the data (or, for
    BG/NBD and MBG/NBD without weights and covariates, in this order), so a multinomial draw over
    them would depend on the order of the customers. BG/NBD's histories are rebuilt as its
    one-pass route builds them (for whole days or weeks), so that its sums run in one order
    with weights or without.

    Parameters
    ----------
    model : MaximumLikelihoodModel
        The model that prepared the rows.
    arrays : object
        The prepared rows, as ``model._prepare`` returns them.
    counts : numpy.ndarray
        Customers (summed weights) per distinct row.

    Returns
    -------
    arrays, counts
        The same rows, reordered.
    """
    from clvmodel.models._beta_geo_fit import Histories
    from clvmodel.models._compress import compress_rfm

    order = np.lexsort(_row_columns(arrays)[::-1])
    if not isinstance(arrays, Histories):
        return model._subsample(arrays, counts, order)
    counts = counts[order]
    x, t_x, age = arrays.x[order], arrays.t_x[order], arrays.T[order]
    compressed = compress_rfm({"frequency": x, "recency": t_x, "T": age})
    rows = (x, t_x, age)
    if compressed is not None and all(map(np.array_equal, rows, compressed.values)):
        return Histories.from_rfm(compressed._replace(counts=counts), arrays.modified), counts
    return Histories(x, t_x, age, counts, modified=arrays.modified), counts
