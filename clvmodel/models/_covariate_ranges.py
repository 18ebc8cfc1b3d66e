"""Each covariate's range over the customers a model was fitted on, and customers far outside it.

A covariate's effect, θ_i = θ₀ exp(sign · γ z_i), is learnt from the values the fit saw. A
customer whose z lies beyond that range by more than its whole width has a prediction resting on
the exponential form alone, and a column recorded in another unit than at the fit (income in
units instead of thousands, age in months instead of years) puts every customer there: the
predictions are then silently wrong. A fitted model keeps the range of each covariate
(``covariate_ranges_``, written to the ``fit`` section of its file) and its predictions warn when
customers lie far outside it.

"Far" is measured on two scales. On the covariate's own scale, a value beyond the smallest or
largest fitted value by more than the width of the fitted range. For a covariate positive for
every fitted customer, also on the log scale, where a unit change is a constant shift: a positive
value beyond the fitted range by more than its width in logs, and by at least a factor 10. (Only
the log scale sees a column divided by 1,000: its values fall inside the range's width below the
fitted minimum.)
"""

from __future__ import annotations

import warnings

import numpy as np

from clvmodel._caller import outside_stacklevel
from clvmodel.errors import OutsideRangeWarning

__all__ = [
    "far_outside",
    "far_outside_message",
    "fitted_ranges",
    "warn_far_outside",
    "warn_model_ranges",
]

# The least factor a positive covariate must lie beyond its fitted range by, on the log scale.
_LEAST_FACTOR = 10.0
# Values quoted in a warning.
_EXAMPLES = 5


def fitted_ranges(names: list[str], matrix: np.ndarray) -> dict[str, tuple[float, float]]:
    """The smallest and largest value of each covariate column over the rows fitted.

    Parameters
    ----------
    names : list of str
        The columns' names.
    matrix : numpy.ndarray
        Shape (rows, len(names)): the covariates as the fit read them.

    Returns
    -------
    dict
        ``{name: (min, max)}``.
    """
    return {
        name: (float(matrix[:, j].min()), float(matrix[:, j].max()))
        for j, name in enumerate(names)
        if matrix.shape[0]
    }


def far_outside(values: np.ndarray, low: float, high: float, *, log_scale: bool = True):
    """Which ``values`` lie far outside the fitted range [``low``, ``high``].

    Parameters
    ----------
    values : numpy.ndarray
        The covariate's values for the customers predicted.
    low, high : float
        The smallest and largest fitted value.
    log_scale : bool, default True
        Also measure on the log scale when every fitted value was positive (see the module
        docstring); False for a value that is already a logarithm.

    Returns
    -------
    numpy.ndarray of bool
    """
    width = high - low
    far = (values < low - width) | (values > high + width)
    if log_scale and low > 0:
        log_width = max(np.log(high / low), np.log(_LEAST_FACTOR))
        with np.errstate(divide="ignore"):
            logs = np.log(np.where(values > 0, values, 1.0))
        far |= (values > 0) & ((logs < np.log(low) - log_width) | (logs > np.log(high) + log_width))
    return far


def warn_far_outside(name: str, far: np.ndarray, values, low: float, high: float, *, who: str):
    """Warn with an :class:`~clvmodel.OutsideRangeWarning` when some customers lie far outside a
    range; the warning points at the first caller outside clvmodel.

    Parameters
    ----------
    name : str
        The covariate (or attribute), as the user knows it.
    far : numpy.ndarray of bool
        Which customers lie far outside (:func:`far_outside`); nothing is said when none does.
    values : numpy.ndarray
        Their values, on the user's scale, some of which the warning quotes.
    low, high : float
        The fitted range, on the user's scale.
    who : str
        Who has the values, plural: ``"customers"``, ``"subscribers"``, ``"signups"``.
    """
    if not far.any():
        return
    examples = [float(v) for v in np.asarray(values)[far][:_EXAMPLES]]
    count, total = int(far.sum()), int(far.size)
    warnings.warn(
        OutsideRangeWarning(
            far_outside_message(name, count, total, examples, low, high, who),
            name=name,
            far=count,
            total=total,
            examples=examples,
            low=low,
            high=high,
            who=who,
        ),  # fmt: skip
        stacklevel=outside_stacklevel(),
    )


def far_outside_message(name, far, total, examples, low, high, who) -> str:
    """The words of an :class:`~clvmodel.OutsideRangeWarning` (also for the sum of a job's
    batches)."""
    shown = ", ".join(f"{v:g}" for v in examples[:_EXAMPLES])
    return (
        f"{far:,} of {total:,} {who} have {name!r} far outside the range the model was fitted on "
        f"({low:g} to {high:g}): {shown}. Their predictions extrapolate the fitted effect beyond "
        "anything the model saw and may be far off; check the column (recorded in another unit "
        "than at the fit, such as thousands, cents or months, or mistyped?)."
    )


def warn_model_ranges(model, *blocks: tuple[list[str], np.ndarray], who="customers") -> None:
    """Warn about covariates lying far outside ``model``'s fitted ranges.

    Parameters
    ----------
    model : MaximumLikelihoodModel
        The model predicting. One without ranges (built with ``from_params``, read from a file
        written before they were stored, or fitted inside a :class:`~clvmodel.DayOneModel`,
        which checks its attributes itself) checks nothing.
    *blocks : (list of str, numpy.ndarray)
        Covariate names and their (rows, len(names)) matrix, one pair per process; a covariate
        of several processes is checked once.
    who : str, default "customers"
        Who the rows are, plural (``"subscribers"`` for a subscription model).
    """
    ranges = getattr(model, "covariate_ranges_", None)
    if not ranges:
        return
    checked = set()
    for names, matrix in blocks:
        for j, name in enumerate(names):
            if name in ranges and name not in checked:
                checked.add(name)
                values = matrix[:, j]
                far = far_outside(values, *ranges[name])
                warn_far_outside(name, far, values, *ranges[name], who=who)
