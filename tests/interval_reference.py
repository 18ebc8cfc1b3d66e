"""The 90 % prediction interval of a count built by hand from its distribution, the reference
the interval tests compare ``predict(..., interval=0.9)`` with."""

import numpy as np


def central_interval(mixture: np.ndarray, tail: float = 0.05):
    """Limits and probability of the central interval of each row's count distribution.

    ``mixture[i, k]`` is P(X_i = k); the lower limit is the largest k with P(X < k) ≤ ``tail``,
    the upper the smallest k with P(X ≤ k) ≥ 1 − ``tail``, and the mass P(lower ≤ X ≤ upper).
    Returns (lower, upper, mass).
    """
    cumulative = np.cumsum(mixture, axis=1)
    before = cumulative - mixture  # P(X < k)
    lower = (before <= tail).sum(axis=1) - 1
    upper = np.argmax(cumulative >= 1.0 - tail, axis=1)
    rows = np.arange(mixture.shape[0])
    return lower, upper, cumulative[rows, upper] - before[rows, lower]
