"""The report in a real browser: headless Chromium opens it from a file:// URL, every figure
loads, nothing reaches for the network and nothing overflows, on a desktop and a phone width.

Chromium and its driver come from the system's packages (``.ci/run`` installs ``chromium`` and
``chromium-driver`` with apt when ``/usr/bin/chromium`` is missing); Selenium drives them through
``/usr/bin/chromedriver``, so nothing is downloaded.
"""

from __future__ import annotations

import io

import pytest

from clvmodel.report.chromium import CHROMEDRIVER, CHROMIUM, chromium_available, headless_chromium

# Elements sticking out of their parent box, outside the scrolling table wrappers.
_OVERFLOWING = """
const out = [];
for (const el of document.body.querySelectorAll('*')) {
  const parent = el.parentElement;
  if (!parent || el.closest('.table-scroll')) continue;
  const box = el.getBoundingClientRect(), outer = parent.getBoundingClientRect();
  if (box.width === 0) continue;
  if (box.right > outer.right + 1 || box.left < outer.left - 1) {
    out.push(el.tagName + (el.id ? '#' + el.id : '') + ' ' + Math.round(box.width) + '>' +
             Math.round(outer.width));
  }
}
return out;
"""
_IMAGES = """
return Array.from(document.images).map(img => [img.complete, img.naturalWidth,
    img.getBoundingClientRect().width, img.parentElement.getBoundingClientRect().width]);
"""
_NETWORK = """
return performance.getEntriesByType('resource').map(e => e.name)
    .filter(name => !name.startsWith('data:'));
"""


@pytest.fixture(scope="module")
def browser():
    if not chromium_available():
        pytest.fail(
            f"the browser test needs {CHROMIUM} and {CHROMEDRIVER}: apt-get install -y chromium "
            "chromium-driver (.ci/run does this)",
            pytrace=False,
        )
    driver = headless_chromium()
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.mark.parametrize("width", [1280, 390])
def test_report_renders_in_chromium(browser, cdnow_report, width, tmp_path):
    path = cdnow_report[0]
    # The viewport of a desktop, or of a phone (headless windows are at least 500 px wide).
    metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    browser.get(path.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    assert browser.title.startswith("Customer value")

    images = browser.execute_script(_IMAGES)
    assert len(images) == 9
    for complete, natural_width, shown, container in images:
        assert complete and natural_width > 0  # decoded from its data: URI
        assert shown <= container + 0.5  # scaled down to fit, never wider than its box
    assert browser.execute_script(_NETWORK) == []

    viewport = browser.execute_script("return document.documentElement.clientWidth")
    assert viewport == width
    page = browser.execute_script("return document.documentElement.scrollWidth")
    assert page <= viewport, f"the page scrolls sideways at {width}px: {page} > {viewport}"
    if width >= 1000:  # on a phone wide tables scroll inside their own box, by design
        assert browser.execute_script(_OVERFLOWING) == []

    shot = browser.get_screenshot_as_png()
    (tmp_path / f"report_{width}.png").write_bytes(shot)
    from PIL import Image

    image = Image.open(io.BytesIO(shot)).convert("L")
    assert image.width >= width * 0.9
    low, high = image.getextrema()
    assert high - low > 100  # text and figures drawn, not a blank page


def test_the_checks_catch_overflow_and_broken_images(browser, tmp_path):
    """A page with a too-wide box and a broken image fails the checks above."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>x</title></head>'
        '<body><div style="width:300px"><p style="width:900px">wide</p>'
        '<img src="data:image/png;base64,AAAA" alt="broken"></div></body></html>',
        encoding="utf-8",
    )
    metrics = {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    browser.get(page.as_uri())
    assert browser.execute_script(_OVERFLOWING) == ["P 900>300"]
    [(complete, natural_width, _, _)] = browser.execute_script(_IMAGES)
    assert natural_width == 0
