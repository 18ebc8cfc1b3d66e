"""BG/BB's sums over the opportunity of death, in bounded memory and time.

The likelihood of Fader, Hardie and Shang (2010, eq. 5) and P(X(n, n + n*) = 0 | alive) both
add, per row, terms

    T_i = B(a₁, b₁ + i)/B(A₁, B₁) · B(a₂, b₂ + i)/B(A₂, B₂),  i = 0 … width − 1,

with a₁ = A₁ + dA₁, b₁ = B₁ + dB₁ (and likewise for 2): the death at the (i+1)-th opportunity after
the last purchase, or in the next n*. A table padded to the longest width costs rows × max(width)
(one row of n_periods = 10⁸ took 763 MiB, a fit with one of 200,000 days 8 GiB). Here rows are
sorted by width and taken in bands of at most ``CELLS`` cells, a wide row in column chunks, with a
running log-sum-exp per row.

The terms fall: T_{i+1}/T_i = (b₁+i)/(a₁+b₁+i) · (b₂+i)/(a₂+b₂+i) ≤ exp(−κ/(M+i)), with
κ = a₁ + a₂ and M = max(a₁+b₁, a₂+b₂), so Σ_{j≥J} T_j ≤ T_J ((M+J)/(M+j))^κ summed, at most
T_J (1 + (M+J)/(κ−1)) (κ > 1 in both uses: a₂ = γ + 1). A row stops once that bound is below
``TAIL`` of its sum, which leaves every result unchanged at 1e-16. A call still needing more than
``MAX_TERMS`` terms is refused (see :func:`death_sum`).
"""

from __future__ import annotations

import numpy as np
from scipy.special import psi

from clvmodel.errors import InputError
from clvmodel.models._bgbb_math import log_beta_ratio

__all__ = ["CELLS", "MAX_TERMS", "death_sum"]

#: Largest number of cells (rows × terms) held at once.
CELLS = 250_000
#: Largest number of terms one call adds before it refuses (about a minute of work).
MAX_TERMS = 40_000_000
#: A row's sum stops when what is left is below this fraction of it.
TAIL = 1e-17


def _bands(width, cells):
    """(rows, lo, hi) pieces: rows sorted by width in bands of ≤ ``cells`` cells, the terms
    lo … hi − 1 of each; a wide band in chunks that double from 4,096 terms while any of its
    rows is still open (``width`` is read as it is set to 0 for the rows that are done)."""
    order = np.argsort(width, kind="stable")
    order = order[width[order] > 0]
    sorted_w = width[order]
    start = 0
    while start < order.size:
        cost = np.arange(1, order.size - start + 1) * sorted_w[start:]
        stop = start + max(1, int(np.searchsorted(cost, cells, side="right")))
        rows, widest = order[start:stop], int(sorted_w[stop - 1])
        cap = max(1, cells // rows.size)
        lo, step = 0, min(cap, 4096)
        while lo < widest and (width[rows] > 0).any():
            yield rows, lo, min(widest, lo + step)
            lo, step = lo + step, min(cap, 2 * step)
        start = stop


def _psi_terms(b1, a2, b2, ab, gd):
    """ψ(a₁+b₁+i), ψ(b₁+i), ψ(a₂) − ψ(a₂+b₂+i), ψ(b₂+i) − ψ(a₂+b₂+i): the pieces of the
    gradient in (α, β, γ, δ) of each term (see the model's ``_loglik``)."""
    return (psi(ab), psi(b1), psi(a2) - psi(gd), psi(b2) - psi(gd))


class _Running:
    """Per row: the largest log term so far, Σ e^{term − top} and the e^{term − top}-weighted
    sums of the gradient pieces."""

    def __init__(self, top, pieces):
        self.top = np.array(top, dtype="float64")
        self.total = np.ones_like(self.top)
        self.sums = None if pieces is None else np.array(pieces, dtype="float64")

    def add(self, rows, terms, pieces):
        piece_top = terms.max(axis=1)
        share = np.exp(terms - piece_top[:, None])
        new = np.maximum(self.top[rows], piece_top)
        old_scale, scale = np.exp(self.top[rows] - new), np.exp(piece_top - new)
        self.total[rows] = self.total[rows] * old_scale + share.sum(axis=1) * scale
        if self.sums is not None:
            added = np.array([(share * p).sum(axis=1) for p in pieces])
            self.sums[:, rows] = self.sums[:, rows] * old_scale + added * scale
        self.top[rows] = new
        return share[:, -1] * scale / self.total[rows]  # the last term, over the row's sum


def death_sum(first, second, width, start, gradient=False, name="n_periods", cells=CELLS):
    """ln(S + Σ_{i<width} T_i) per row, with T_i as in the module docstring and S = e^{start}.

    Parameters
    ----------
    first, second : tuple of 4 array_like
        (A, B, dA, dB) of each beta ratio, numbers or one per row.
    width : numpy.ndarray
        Terms per row (whole numbers ≥ 0).
    start : tuple
        ln S per row and, with ``gradient``, the 4 gradient pieces of S (rows,), or None.
    gradient : bool
        Also return the T-and-S-weighted means of the gradient pieces, shape (4, rows).
    name : str
        The input ``width`` comes from, for the message of a refused call.
    cells : int
        Largest number of terms held at once.

    Returns
    -------
    numpy.ndarray or tuple

    Raises
    ------
    InputError
        When the sums need more than ``MAX_TERMS`` terms.
    """
    rows_n = np.asarray(width).size
    (A1, B1, dA1, dB1), (A2, B2, dA2, dB2) = (
        tuple(np.broadcast_to(np.asarray(v, dtype="float64"), (rows_n,)) for v in part)
        for part in (first, second)
    )
    a1, b1, a2, b2 = A1 + dA1, B1 + dB1, A2 + dA2, B2 + dB2
    kappa_less_one = np.maximum(a1 + a2 - 1.0, 0.0)
    big_m = np.maximum(a1 + b1, a2 + b2)
    running = _Running(start[0], start[1] if gradient else None)
    open_ = np.asarray(width, dtype="float64").copy()  # 0 once a row is summed
    done = 0
    for rows, lo, hi in _bands(open_, cells):
        rows = rows[open_[rows] > lo]
        if not rows.size:
            continue
        done += rows.size * (hi - lo)
        if done > MAX_TERMS:
            _refuse(name, open_)
        i = np.arange(lo, hi, dtype="float64")[None, :]
        valid = i < open_[rows, None]
        db1, db2 = dB1[rows, None] + i, dB2[rows, None] + i
        terms = log_beta_ratio(A1[rows, None], B1[rows, None], dA1[rows, None], db1)
        terms = terms + log_beta_ratio(A2[rows, None], B2[rows, None], dA2[rows, None], db2)
        terms = np.where(valid, terms, -np.inf)
        pieces = None
        if gradient:
            r1, r2 = b1[rows, None] + i, b2[rows, None] + i
            pieces = _psi_terms(r1, a2[rows, None], r2, a1[rows, None] + r1, a2[rows, None] + r2)
            pieces = [np.where(valid, p, 0.0) for p in pieces]
        last = running.add(rows, terms, pieces)
        # The tail bound from the last term of the chunk (rows that end inside it are done).
        spare = kappa_less_one[rows]  # bound < TAIL, times κ − 1 (which may be ~1e-16)
        small = last * (spare + big_m[rows] + hi - 1.0) < TAIL * spare
        finished = (open_[rows] <= hi) | small
        open_[rows[finished]] = 0.0
    log_sum = running.top + np.log(running.total)
    if gradient:
        return log_sum, running.sums / running.total
    return log_sum


def _refuse(name, open_):
    widest = float(np.max(open_))
    raise InputError(
        f"{name} up to {widest:g} opportunities needs more than {MAX_TERMS:g} terms of BG/BB's "
        f"sums over the opportunity of death; {name} counts opportunities (occasions such as "
        "yearly donation drives): were days or weeks counted where years or months were meant? "
        "Aggregate the log by a coarser occasion (clvmodel.opportunity_summary)."
    )
