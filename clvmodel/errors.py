"""Exceptions and warnings raised by clvmodel.

Every error a user can trigger is a :class:`ClvError`, so ``except clv.ClvError`` catches them all,
and each message names the problem and how to fix it.
"""


class ClvError(Exception):
    """Base class of every error clvmodel raises on purpose."""


class InputError(ClvError, ValueError):
    """The data or arguments handed to clvmodel cannot be used as they are."""


class NotFittedError(ClvError, AttributeError):
    """A prediction was asked of a model that has no parameters yet."""


class ConvergenceError(ClvError, RuntimeError):
    """The maximum-likelihood optimiser did not reach a trustworthy optimum."""


class ModelFileError(ClvError, ValueError):
    """A saved model file is missing, unreadable, corrupted or of an unknown version."""


class ClvWarning(UserWarning):
    """A result was produced, but something about it deserves a look."""


class StatisticalWarning(ClvWarning):
    """The data or the fit makes a statistical result less reliable than usual."""


class ModelError(ClvError, ValueError):
    """The model's parameters leave the requested prediction undefined."""
