"""The optimiser settings every model takes (``max_iter``, ``tol``), checked at fit and on
loading a model file."""

from __future__ import annotations

import math

import numpy as np

from clvmodel.errors import InputError

__all__ = [
    "check_fit_settings",
    "refuse_bad_settings",
    "renew_settings",
    "settings_for_file",
]


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


def renew_settings(model) -> None:
    """Read a model's constructor settings again before a fit, checked as the constructor checks
    them, with the parameter names they fix.

    Settings are plain attributes, which may be set after construction (the scikit-learn habit:
    ``model.purchase_covariates = ["age"]``), but the constructor derives the parameter names
    from them (one coefficient per covariate): a fit on stale names would leave a new covariate
    out without a word, or fail inside the likelihood, and save a file that does not load.

    Parameters
    ----------
    model : MaximumLikelihoodModel
        The model about to be fitted; its settings (``_setting_names``), ``param_names`` and
        ``unconstrained_params`` are replaced by those of a model built from its settings.

    Raises
    ------
    InputError
        A setting is invalid (as the constructor would say).
    """
    try:
        fresh = type(model)(**{name: getattr(model, name) for name in model._setting_names})
    except TypeError:  # a subclass whose constructor takes other arguments: as it was built
        return
    for name in (*model._setting_names, "param_names", "unconstrained_params"):
        setattr(model, name, getattr(fresh, name))


def settings_for_file(model) -> dict:
    """A model's constructor settings as JSON values, for its file: numpy numbers (``max_iter=
    np.int64(500)``, which the fit accepts) as Python numbers, which ``json`` can write.

    Parameters
    ----------
    model : MaximumLikelihoodModel
        Its ``_setting_names`` are read.

    Returns
    -------
    dict
        Setting name to value.

    Raises
    ------
    InputError
        ``max_iter`` or ``tol`` is one that loading the file would refuse.
    """
    refuse_bad_settings(model.max_iter, model.tol)

    def plain(value):
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    return {name: plain(getattr(model, name)) for name in model._setting_names}
