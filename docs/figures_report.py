"""Draw ``docs/figures/report.png``: the top of the HTML report on the CDNOW sample (the summary
and the first section), as headless Chromium shows it.

    python docs/figures_report.py            # needs /usr/bin/chromium and chromedriver

The report is the one in docs/guide/report.md: ``clv.build_report`` on the bundled CDNOW sample,
customers grouped by the number of CDs in their first order, margin 30 %, cost to serve and a CAC
per group.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

import pandas as pd

import clvmodel as clv
from clvmodel.report.chromium import headless_chromium

FIGURES = Path(__file__).resolve().parent / "figures"


def cdnow_report(path) -> str:
    """The guide's report on the CDNOW sample, written to ``path``."""
    tx = clv.datasets.load_cdnow_sample()
    first = clv.dayone.first_purchase_attributes(tx, quantity_col="quantity")
    labels = ["1 CD", "2 CDs", "3+ CDs"]
    cds = pd.cut(first["first_purchase_quantity"], [0, 1, 2, 99], labels=labels)
    return clv.build_report(
        tx,
        calibration_end="1997-09-30",
        path=path,
        segments=cds.astype(str).rename("first order"),
        margin=0.3,
        cost_per_order=1.5,
        cost_per_period=0.1,
        acquisition_cost={"1 CD": 6.0, "2 CDs": 8.0, "3+ CDs": 12.0},
        title="CDNOW sample: what customers are worth",
    )


def main(argv: list[str]) -> None:
    target = Path(argv[1]) if len(argv) > 1 else FIGURES / "report.png"
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "report.html"
        cdnow_report(page)
        driver = headless_chromium(1200, 1500)
        try:
            driver.get(page.as_uri())
            bottom = driver.execute_script(
                "return document.getElementById('naive-vs-model').getBoundingClientRect().bottom"
            )
            shot = driver.get_screenshot_as_png()
        finally:
            driver.quit()
    from PIL import Image  # a matplotlib dependency

    image = Image.open(io.BytesIO(shot))
    # The summary and the first section, down to the end of its table.
    image.crop((0, 0, image.width, min(image.height, int(bottom) + 14))).save(target)
    print(target)


if __name__ == "__main__":
    main(sys.argv)
