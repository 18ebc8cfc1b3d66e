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


class OutsideRangeWarning(ClvWarning):
    """Some customers (or signups) have a covariate far outside the range the model was fitted on;
    their predictions extrapolate its effect.

    Besides the message it carries ``name`` (the covariate), ``far`` (how many lie far outside),
    ``total`` (how many were predicted), ``examples`` (a few of their values), ``low`` and
    ``high`` (the fitted range) and ``who`` ("customers", "subscribers" or "signups"), so that a
    job scoring in batches can add the batches up (the command line prints one line).
    """

    def __init__(self, message="", *, name="", far=0, total=0, examples=(), low=0.0, high=0.0,
                 who="customers"):  # fmt: skip
        super().__init__(message)
        self.name, self.far, self.total, self.who = name, far, total, who
        self.examples, self.low, self.high = tuple(examples), low, high


class ModelError(ClvError, ValueError):
    """The model's parameters leave the requested prediction undefined."""
