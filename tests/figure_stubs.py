"""Figures drawn but not rendered, for the CLI tests that read messages, JSON or models.

Turning a figure into a PNG is most of a ``clvmodel evaluate`` run on the CDNOW sample (about
0.6 of 0.8 CPU s) and much of ``clvmodel report``. The tests that do not look at the images
patch it out with these helpers: each figure's drawing code still runs on a real matplotlib
Axes (so a figure that warns or fails still does), but nothing is rendered. The images
themselves are checked in ``tests/cli/test_cli_evaluate.py`` and ``tests/report/``.
"""

from __future__ import annotations

#: The smallest PNG prefix a data URI needs; a report embeds it where a figure would be.
PIXEL_URI = "data:image/png;base64,iVBORw0KGgo="


def draw_figures_without_rendering(monkeypatch, render: tuple[str, ...] = ()) -> None:
    """``evaluate`` draws every figure but writes an empty file for each, except the files
    named in ``render``, which are rendered as usual."""
    from matplotlib.figure import Figure

    from clvmodel.cli import _evaluate

    save = _evaluate._save_figure

    def draw_only(draw, report, path):
        if path.name in render:
            return save(draw, report, path)
        draw(report, Figure(layout="constrained").add_subplot())
        path.write_bytes(b"")

    monkeypatch.setattr(_evaluate, "_save_figure", draw_only)


def embed_figures_as_pixels(monkeypatch) -> None:
    """``report`` draws every figure but embeds :data:`PIXEL_URI` for each."""
    from matplotlib.figure import Figure

    from clvmodel.report import _figures

    def draw_only(draw, size=(7.2, 4.2)):
        draw(Figure(figsize=size, layout="constrained").add_subplot())
        return PIXEL_URI, (1, 1)

    monkeypatch.setattr(_figures, "to_data_uri", draw_only)
