"""Parameters the data hardly pin down: a fit that converged inside the parameter space, yet
along a direction in which the likelihood is (almost) flat.

A fit whose parameters run off to 0 or infinity is caught as "on the edge" (beyond
:attr:`Optimiser._DEGENERATE_LOG_BOUND`). A ridge that leads there can also end earlier: BG/NBD
on 300 customers of whom one bought again stopped at a = 4.5e4, b = 2.2e-5, where the
log-likelihood differs from its value at a = 1e7, b = 1e-7 by 1e-9. Such a fit is not on the
edge, but its standard error on the log scale says the same thing: 1.5e5 for a, an interval
spanning a factor of e^(±3e5).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from clvmodel._caller import outside_stacklevel
from clvmodel.errors import StatisticalWarning

__all__ = ["UNIDENTIFIED_LOG_SE", "warn_if_unidentified"]

#: A positive parameter whose standard error on the log scale exceeds this is not identified by
#: the data: its 95 % interval spans a factor of more than e^39 (about 10^17).
UNIDENTIFIED_LOG_SE = 10.0


def warn_if_unidentified(model, params: pd.Series, errors: pd.Series, edge=()) -> list[str]:
    """Warn, naming them, of the positive parameters (not already reported on the edge) whose
    standard error on the log scale exceeds :data:`UNIDENTIFIED_LOG_SE`; return their names.

    Parameters
    ----------
    model : MaximumLikelihoodModel
        The model being fitted (its name and which parameters are unconstrained).
    params, errors : pandas.Series
        The fitted parameters and their standard errors (NaN where none).
    edge : sequence of str
        Parameters already reported on the edge of the parameter space.

    Returns
    -------
    list of str
    """
    free = set(getattr(model, "unconstrained_params", ()))
    names = [n for n in params.index if n not in free and n not in edge and n in errors.index]
    with np.errstate(all="ignore"):
        log_errors = {n: float(errors[n]) / float(params[n]) for n in names}
    flat = [n for n, v in log_errors.items() if np.isfinite(v) and v > UNIDENTIFIED_LOG_SE]
    if flat:
        shown = ", ".join(
            f"{n} = {params[n]:.3g} (±{log_errors[n]:.3g} on the log scale)" for n in flat
        )
        warnings.warn(
            f"{type(model).__name__}: the data hardly identify {shown}; the likelihood is "
            "almost flat in that direction, as for too few repeat purchases or too short a "
            "calibration period. Predictions may still hold, but these parameter values mean "
            "little; compare with another model (clvmodel.compare_models) or use more data.",
            StatisticalWarning,
            stacklevel=outside_stacklevel(),
        )
    return flat
