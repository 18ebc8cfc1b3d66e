"""Counting integer keys: the distinct keys of an array in increasing order, with how many
times each occurs. The fit's one-pass compression (:mod:`clvmodel.models._compress`) turns each
RFM row into one such key."""

from __future__ import annotations

import numpy as np

__all__ = ["KeyCounter"]

#: Slots of the table that counts the lowest keys (float64: 16 MB).
_DENSE_SLOTS = 1 << 21
#: Slots per key to count, at most: a table far longer than the keys costs more to clear and
#: scan than sorting them.
_SLOTS_PER_KEY = 8
#: Slots of the table read at a time when the distinct keys are taken out (their temporaries stay
#: in the CPU's cache).
_PIECE = 1 << 16
#: numpy 1.25 made ufunc.at as fast as bincount for one index array; before, it was ten times
#: slower.
_ADD_AT_IS_FAST = tuple(int(part) for part in np.__version__.split(".")[:2]) >= (1, 25)


class KeyCounter:
    """Counts non-negative integer keys given a chunk at a time: the distinct keys in increasing
    order, with how many times each occurs.

    Counting into one slot per possible key takes one pass over the keys where a sort takes
    log n, but only while the table of slots stays small: at 10M keys of 30M possible ones a
    full table was slower than the sort (0.40–0.70 s against 0.35 s, warm). The fit's keys run
    frequency first and most customers buy a few times, so the lowest keys hold most rows: the
    first 2M of 30M possible keys hold 93 % of the 10M simulated customers of ``benchmarks/``.
    Keys below ``_DENSE_SLOTS`` are counted in a table, the rest kept and sorted at the end.
    A table is never longer than ``_SLOTS_PER_KEY`` times the number of keys: a BG/NBD fit of
    the 2,357 customers of the CDNOW sample took 18.2–18.8 ms with 2M slots to clear and scan,
    9.0–10.0 ms with a table sized to its keys.
    Fed chunks of 1M keys, no array as long as the keys is ever made: in a fresh process, where
    memory touched for the first time is slow, counting the 10M keys took 0.17 s in each of
    four runs, against 0.14–0.54 s for one 10M key array counted the same way and 0.35 s and
    more for sorting it.

    Parameters
    ----------
    total : int
        How many keys are possible (every key is below it).
    keys : int, optional
        How many keys will be counted in all, when known: the table is sized to them.
    """

    def __init__(self, total: int, keys: int | None = None):
        self.total = int(total)
        self._slots = min(self.total, _DENSE_SLOTS)
        if keys is not None:
            self._slots = min(self._slots, _SLOTS_PER_KEY * int(keys))
        self._table: np.ndarray | None = None
        self._rest: list[np.ndarray] = []

    def add(self, key: np.ndarray) -> None:
        """Count one chunk of keys (intp; changed in place)."""
        if self._slots < self.total:
            high = key >= self._slots
            if high.any():
                self._rest.append(key[high])
                # Folded into one slot past the table, which result() leaves out.
                np.minimum(key, self._slots, out=key)
        if self._table is None:
            # Counts as float64, as the fit takes them (exact up to 2**53).
            self._table = np.zeros(self._slots + 1)
        if _ADD_AT_IS_FAST:
            # Counted into the table in place: a bincount per chunk allocated a new 16 MB table
            # each time, and memory touched for the first time cost more than the counting
            # (10M keys: 160 MB of page faults).
            np.add.at(self._table, key, 1.0)
        else:
            self._table += np.bincount(key, minlength=self._slots + 1)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct keys (intp, increasing) and how many times each occurred (float64)."""
        size, pieces = self.pieces()
        distinct, counts = np.empty(size, dtype=np.intp), np.empty(size)
        start = 0
        for keys, found in pieces:
            distinct[start : start + keys.size], counts[start : start + keys.size] = keys, found
            start += keys.size
        return distinct, counts

    def pieces(self, piece: int = _PIECE):
        """How many distinct keys there are, and an iterator over them in increasing order, a
        piece at a time: (keys (intp), counts (float64)) of ``piece`` slots of the table each,
        then the keys above the table.

        The caller writes each piece where it belongs in arrays of the final size. On 10M rows
        (1.6M distinct keys) :meth:`result` used to build the table's keys and their counts,
        then both joined with the sorted rest: 48 MB of memory touched for the first time, of
        which only the joined counts were kept; such memory is slower to get from the kernel
        than to fill.
        """
        if self._table is None:
            return 0, iter(())
        sparse = _sorted_counts(np.concatenate(self._rest)) if self._rest else None
        dense = int(np.count_nonzero(self._table[: self._slots]))
        size = dense + (sparse[0].size if sparse is not None else 0)
        return size, self._pieces(piece, sparse)

    def _pieces(self, piece, sparse):
        for start in range(0, self._slots, piece):
            part = self._table[start : min(start + piece, self._slots)]
            where = np.flatnonzero(part)
            if where.size:
                yield where + start, part[where]
        if sparse is not None:
            yield sparse


def _sorted_counts(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys and their counts by sorting ``key`` in place."""
    key.sort()
    change = np.empty(key.size, dtype=bool)
    change[0] = True
    np.not_equal(key[1:], key[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    del change
    counts = np.empty(starts.size)
    np.subtract(starts[1:], starts[:-1], out=counts[:-1], casting="unsafe")
    counts[-1] = key.size - starts[-1]
    return key[starts].astype(np.intp), counts
