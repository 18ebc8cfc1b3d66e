"""The report's notes: the warnings raised while its numbers are computed, saying which of its two
fits each is about.

The report fits the models twice, on the calibration period (the holdout check) and on the whole
log (the value sections), so a warning about the data can come twice with other counts ("174
repeat buyer(s) have monetary_value 0" in the calibration period, 197 in the whole log). A note
raised by one fit only names it; a note both raise in the same words, or one raised outside
either, is about the log itself and is listed once, as it is.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextlib import contextmanager

#: How a note raised by one fit only begins.
HOLDOUT_CHECK = "Holdout check (models fitted on the calibration period): "
VALUE_SECTIONS = "Value sections (models fitted on the whole log): "


class Notes:
    """Collects the warnings raised in its :meth:`fit` blocks (and, through :meth:`collect`,
    those raised outside them), each with the fit it came from."""

    def __init__(self) -> None:
        self._raised: list[tuple[str | None, warnings.WarningMessage]] = []

    @contextmanager
    def fit(self, name: str | None):
        """Record the warnings raised in the block as raised by the fit ``name``.

        Parameters
        ----------
        name : str or None
            :data:`HOLDOUT_CHECK` or :data:`VALUE_SECTIONS`; None for no fit in particular.
        """
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
        self._raised.extend((name, warning) for warning in caught)

    def collect(self, words: Callable[[str], str]) -> dict[str, type[Warning]]:
        """The notes, in the order they were first raised.

        Parameters
        ----------
        words : callable
            Turns a warning's message into the note's words.

        Returns
        -------
        dict
            Each note's text (the name of the fit first when only one fit raised it) → the
            category of the first warning with that text.
        """
        found: dict[str, tuple[set, type[Warning]]] = {}
        for name, warning in self._raised:
            fits, _ = found.setdefault(words(str(warning.message)), (set(), warning.category))
            fits.add(name)
        notes: dict[str, type[Warning]] = {}
        for text, (fits, category) in found.items():
            (only,) = fits if len(fits) == 1 else (None,)
            notes.setdefault(f"{only or ''}{text}", category)
        return notes
