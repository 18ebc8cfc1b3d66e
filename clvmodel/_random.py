"""Random generators from user seeds, one check for every entry point that draws: a seed numpy
would reject is refused in the library's words."""

from __future__ import annotations

import numpy as np

from clvmodel.errors import InputError

__all__ = ["random_generator"]


def random_generator(seed, name: str = "seed") -> np.random.Generator:
    """A numpy random generator from a seed, refusing what numpy would reject with its own words.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None
        A whole number ≥ 0, a generator (used as is) or None (fresh entropy).
    name : str
        The argument's name, for the message.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    InputError
        ``seed`` is negative, not a whole number, or of another kind.
    """
    if isinstance(seed, np.random.Generator | np.random.SeedSequence | np.random.BitGenerator):
        return np.random.default_rng(seed)
    whole = isinstance(seed, int | np.integer) and not isinstance(seed, bool | np.bool_)
    if seed is not None and not (whole and seed >= 0):
        raise InputError(
            f"{name} must be a whole number ≥ 0 or a numpy.random.Generator, got {seed!r}."
        )
    return np.random.default_rng(seed)
