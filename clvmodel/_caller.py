"""Warnings that point at the user's line: the ``stacklevel`` of the first caller outside clvmodel.

A library warning raised several calls deep (``fit`` → a model's ``fit`` → the shared fit → the
check) shows the file and line ``warnings.warn`` is told; a fixed ``stacklevel`` is right for one
path only. :func:`outside_stacklevel` counts the frames up to the first whose code is not
clvmodel's, so that the warning names the notebook cell or script line that called clvmodel.
"""

from __future__ import annotations

import os
import sys

__all__ = ["outside_stacklevel"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def outside_stacklevel() -> int:
    """The ``stacklevel`` for :func:`warnings.warn`, called by the function that warns, that
    names the first frame outside clvmodel (1 is that function's own frame)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level
