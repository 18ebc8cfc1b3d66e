"""The report as one self-contained HTML document, from the Jinja2 templates beside this module."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

_TEMPLATES = Path(__file__).resolve().parent / "templates"


def render(title: str, lede: str, cards, sections, version: str) -> str:
    """Fill ``report.html.j2``; every value is HTML-escaped (autoescape)."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )
    template = environment.get_template("report.html.j2")
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return template.render(
        title=title,
        lede=lede,
        cards=cards,
        sections=sections,
        version=version,
        generated=generated,
    )
