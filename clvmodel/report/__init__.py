"""A report for marketers: one self-contained HTML file from a transaction log.

:func:`build_report` runs clvmodel's public functions (naive formula vs model per segment, value
and its concentration, net CLV, CLV:CAC and payback, the holdout check, churn tiers and a staged
price increase) and renders their tables and figures with the Jinja2 templates in
``templates/``. Modules: ``_analysis`` (the numbers), ``_fits`` (its model fits, and the logs
they cannot be fitted on refused in build_report's words), ``_sections``, ``_sections_bands`` and
``_sections_plan`` (tables, figures and words per section), ``_figures`` (embedded images),
``_render`` (HTML); ``chromium`` starts headless Chromium to look at a report (browser tests,
README figure).
"""

from clvmodel.report._build import build_report

__all__ = ["build_report"]
