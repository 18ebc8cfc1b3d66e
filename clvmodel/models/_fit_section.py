"""The ``fit`` section of a model file: the fit's counts, log-likelihood, standard errors,
covariance and covariate ranges, written for :meth:`MaximumLikelihoodModel.to_dict` and read back,
checked, by :func:`clvmodel.models._persistence.model_from_document`; and the file's bootstrap
replicates (``model.bootstrap``), beside it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = [
    "BOOTSTRAP_KEY",
    "bootstrap_section",
    "finite_number",
    "fit_section",
    "read_bootstrap",
    "read_fit",
]


def finite_number(value) -> bool:
    """Whether a value read from a JSON file is a finite int or float (not a bool).

    JSON integers have no size limit: one beyond the largest float (``10**400``) counts as
    infinite, where :func:`math.isfinite` would raise :class:`OverflowError`. Shared by model,
    bundle and Day One files.
    """
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    return math.isfinite(float(value) if abs(value) < 1e308 else math.inf)


#: Key of the covariates' fitted ranges (absent in files written before they were stored).
RANGES_KEY = "covariate_ranges"


def fit_section(model) -> dict | None:
    """A fitted model's ``fit`` section: ``None`` for a model built with ``from_params``."""
    if not hasattr(model, "log_likelihood_"):
        return None
    fit = {
        "log_likelihood": model.log_likelihood_,
        "n_customers": model.n_customers_,
        "n_distinct_rows": model.n_distinct_rows_,
        "n_iterations": model.n_iterations_,
        "standard_errors": {
            k: (None if not np.isfinite(v) else float(v)) for k, v in model.standard_errors_.items()
        },
    }
    covariance = getattr(model, "covariance_", None)
    if covariance is not None:
        # Of the working parameters (log θ; coefficients as they are), for intervals.
        fit["covariance"] = [
            [None if not np.isfinite(v) else float(v) for v in row] for row in covariance.to_numpy()
        ]
    ranges = getattr(model, "covariate_ranges_", None)
    if ranges:
        fit[RANGES_KEY] = {name: [low, high] for name, (low, high) in ranges.items()}
    return fit


#: Key of the bootstrap replicates (``bootstrap_params_``) in a model file.
BOOTSTRAP_KEY = "bootstrap_params"


def bootstrap_section(model) -> list[list[float]] | None:
    """A model's bootstrap replicates as rows of parameters (in ``param_names`` order), for its
    file; ``None`` when :meth:`bootstrap` has not run. Without them a loaded model could not give
    ``method="bootstrap"`` intervals without the data it was fitted on."""
    replicates = getattr(model, "bootstrap_params_", None)
    if replicates is None:
        return None
    return [[float(v) for v in row] for row in replicates[list(model.param_names)].to_numpy()]


def read_bootstrap(section, model, fail) -> pd.DataFrame:
    """The bootstrap replicates of a model file, checked as :meth:`bootstrap` makes them: two or
    more rows, each one number per parameter, finite, and positive unless the parameter is in
    ``unconstrained_params``."""
    names, free = list(model.param_names), set(model.unconstrained_params)
    if not isinstance(section, list):
        fail(f"{BOOTSTRAP_KEY!r} is not a list of replicates (rows of parameters)")
    if len(section) < 2:
        fail(f"{BOOTSTRAP_KEY!r} holds {len(section)} replicate(s); bootstrap keeps at least 2")
    for i, row in enumerate(section):
        if not isinstance(row, list) or len(row) != len(names):
            fail(f"{BOOTSTRAP_KEY!r} replicate {i} is not a list of {len(names)} numbers {names}")
        for name, value in zip(names, row, strict=True):
            if not finite_number(value) or (name not in free and value <= 0):
                kind = "finite" if name in free else "positive finite"
                fail(f"{BOOTSTRAP_KEY!r} replicate {i} has {name} = {value!r}, not a {kind} number")
    return pd.DataFrame(np.array(section, dtype="float64"), columns=names)


# The fit's counts and the least value each can take: a fit uses customers (their number, or
# with weights the weights' sum, truncated; fits need at least 2) and distinct rows, and it may
# stop after 0 iterations (from initial_params already at the maximum).
_FIT_COUNTS = {"n_customers": 1, "n_distinct_rows": 1, "n_iterations": 0}


def read_fit(fit, model, fail) -> None:
    """The fit's statistics from a file, checked: each count in ``_FIT_COUNTS`` a whole number
    at or above its least value (a JSON integer as the fit writes it, read as ``format_version``
    and ``max_iter`` are: not a float, a boolean or beyond a float), the log-likelihood finite,
    each standard error a number ≥ 0 or null (not identified), the covariance as
    :func:`_covariance` checks it."""
    if not isinstance(fit, dict):
        fail("'fit' is not an object")
    absent = [key for key in ("log_likelihood", *_FIT_COUNTS, "standard_errors") if key not in fit]
    if absent:
        fail(f"the 'fit' section has no {', '.join(map(repr, absent))} (delete the whole 'fit' "
             "section to load the model without its fit's statistics)")  # fmt: skip
    names = list(model.param_names)
    if not isinstance(fit["standard_errors"], dict) or set(fit["standard_errors"]) != set(names):
        fail(
            f"the 'fit' section's standard_errors must have exactly the keys {names} (an object "
            "giving each parameter's standard error)"
        )
    log_likelihood = fit["log_likelihood"]
    counts = {key: fit[key] for key in _FIT_COUNTS}
    errors = {n: fit["standard_errors"][n] for n in names}
    for key, least in _FIT_COUNTS.items():
        value = counts[key]
        # finite_number refuses booleans and integers beyond a float (10**400).
        if not (isinstance(value, int) and finite_number(value) and value >= least):
            fail(f"the 'fit' section's {key} = {value!r} is not a whole number ≥ {least}")
    model.n_customers_ = counts["n_customers"]
    model.n_distinct_rows_ = counts["n_distinct_rows"]
    model.n_iterations_ = counts["n_iterations"]
    if not finite_number(log_likelihood):
        fail(f"'fit' log_likelihood = {log_likelihood!r} is not a finite number")
    model.log_likelihood_ = float(log_likelihood)
    for name, value in errors.items():
        if value is not None and not (finite_number(value) and value >= 0):
            fail(f"'fit' standard error of {name!r} = {value!r} is not a number ≥ 0 (or null)")
    model.standard_errors_ = pd.Series(
        {n: np.nan if v is None else float(v) for n, v in errors.items()}, name="std_error"
    )
    if fit.get("covariance") is not None:  # files written before 0.2 have none
        try:
            model.covariance_ = _covariance(fit["covariance"], list(model.param_names))
        except ValueError as exc:
            fail(f"'fit' covariance {exc}")
        _check_errors_match(model, fail)
    if fit.get(RANGES_KEY) is not None:
        model.covariate_ranges_ = _ranges(fit[RANGES_KEY], model, fail)


def _ranges(section, model, fail) -> dict[str, tuple[float, float]]:
    """The covariates' fitted ranges, checked: an object giving every covariate of the model
    (and nothing else) a pair [min, max] of finite numbers, min < max (the fit refuses constant
    covariates)."""
    names = list(dict.fromkeys(p.partition(":")[2] for p in model.unconstrained_params))
    if not isinstance(section, dict) or set(section) != set(names):
        fail(
            f"the 'fit' section's {RANGES_KEY} must have exactly the keys {names} (each "
            "covariate's smallest and largest fitted value)"
        )
    for name in names:
        pair = section[name]
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and all(finite_number(v) for v in pair)
            and pair[0] < pair[1]
        ):
            fail(
                f"the 'fit' section's {RANGES_KEY} of {name!r} = {pair!r} is not [min, max] of "
                "finite numbers with min < max"
            )
    return {name: (float(section[name][0]), float(section[name][1])) for name in names}


def _check_errors_match(model, fail) -> None:
    """The fit writes each standard error from the covariance of the working parameters (the
    delta method: √Σⱼⱼ·θⱼ for a log-parameter, √Σⱼⱼ for a coefficient): a file in which they
    disagree has been edited, and its intervals would not be those its summary shows."""
    _, scale = model._to_natural(model._to_working(model.params_.to_numpy()))
    with np.errstate(over="ignore"):  # an error beyond a float is written as null
        expected = scale * np.sqrt(np.diag(model.covariance_.to_numpy()))
    stored = model.standard_errors_.to_numpy()
    same_gaps = np.array_equal(~np.isfinite(expected), np.isnan(stored))
    both = np.isfinite(expected) & np.isfinite(stored)
    if not same_gaps or not np.allclose(stored[both], expected[both], rtol=1e-6, atol=1e-300):
        fail(
            "'fit' standard_errors do not match its covariance and parameters (each is the "
            "square root of a variance times the parameter, or of the variance for a "
            "coefficient): a parameter, a standard error or the covariance was edited"
        )


def _covariance(rows, names: list[str]) -> pd.DataFrame:
    """The stored covariance matrix, checked as the fit writes it: square over the parameters,
    symmetric, null (NaN) only in whole rows and columns (parameters not identified), and over
    the other parameters positive variances and eigenvalues that compute without overflow.
    Raises ValueError with the problem in words, a phrase following "'fit' covariance"."""
    numbers = isinstance(rows, list) and all(
        isinstance(row, list)
        and all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in row)
        for row in rows
    )  # JSON numbers and nulls only: no texts ("0.0018") or booleans
    if not numbers:
        raise ValueError("is not a table (list of rows) of numbers and nulls")
    try:
        matrix = np.array(
            [[np.nan if v is None else float(v) for v in row] for row in rows], dtype="float64"
        )
    except (TypeError, ValueError, OverflowError):
        raise ValueError("is not a table (list of rows) of numbers and nulls") from None
    k = len(names)
    if matrix.shape != (k, k):
        raise ValueError(f"is {matrix.shape}, expected {(k, k)}")
    if np.isinf(matrix).any():
        raise ValueError("has infinite entries")
    finite = np.isfinite(matrix)
    if not np.array_equal(finite, finite.T) or not np.allclose(
        matrix[finite], matrix.T[finite], rtol=1e-9, atol=0.0
    ):
        raise ValueError("is not symmetric")
    identified = np.diag(finite)
    if not np.array_equal(finite, np.outer(identified, identified)):
        raise ValueError("has nulls outside whole rows and columns (parameters not identified)")
    block = matrix[np.ix_(identified, identified)]
    if not np.all(np.diag(block) > 0):
        raise ValueError("has a variance that is not positive")
    try:
        with np.errstate(over="raise", invalid="raise"):
            values = np.linalg.eigvalsh((block + block.T) / 2.0)
    except (FloatingPointError, np.linalg.LinAlgError):
        values = np.array([np.inf])
    if not np.all(np.isfinite(values)):
        raise ValueError("has entries too large to use (its eigenvalues overflow)")
    # A matrix that is not positive semi-definite (a fit that stopped at a saddle) loads: the
    # model is usable, and predict refuses its intervals with the reason.
    return pd.DataFrame(matrix, index=names, columns=names)
