"""The optimiser settings every model takes (``max_iter``, ``tol``), checked at fit and on
loading a model file."""

from __future__ import annotations

import math

import numpy as np

from clvmodel.errors import InputError

__all__ = ["check_fit_settings", "refuse_bad_settings"]


def check_fit_settings(max_iter, tol, fail) -> None:
    """Call ``fail(message)`` unless ``max_iter`` is a whole number ≥ 1 and ``tol`` a positive
    number (the optimiser settings every model takes; checked at fit and on loading a file)."""
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
        fail(f"setting 'max_iter' = {max_iter!r} is not a positive whole number")
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not 0 < tol < math.inf:
        fail(f"setting 'tol' = {tol!r} is not a positive number")


def refuse_bad_settings(max_iter, tol) -> None:
    """:func:`check_fit_settings` raising an :class:`~clvmodel.InputError` (at fit)."""

    def fail(message):
        raise InputError(message + ".")

    check_fit_settings(max_iter, tol, fail)
