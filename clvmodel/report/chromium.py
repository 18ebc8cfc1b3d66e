"""Headless Chromium for looking at a report as a reader's browser shows it.

Used by the browser tests (``tests/report/test_report_browser.py``) and the README figure
(``docs/figures_report.py``). Chromium and its driver come from the system's packages
(``apt-get install chromium chromium-driver``); Selenium drives them through the system
chromedriver, so nothing is downloaded. Selenium is a dev dependency, imported only when a browser
is started.
"""

from __future__ import annotations

import os

__all__ = ["CHROMEDRIVER", "CHROMIUM", "CHROMIUM_FLAGS", "chromium_available", "headless_chromium"]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # root in CI containers
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--hide-scrollbars",
)


def chromium_available() -> bool:
    """Whether the system's Chromium and chromedriver are installed and executable.

    Returns
    -------
    bool
        True when both :data:`CHROMIUM` and :data:`CHROMEDRIVER` can be run.
    """
    return os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)


def headless_chromium(width: int | None = None, height: int | None = None):
    """Start headless Chromium, driven by Selenium through the system chromedriver.

    Parameters
    ----------
    width, height : int, optional
        The window size in pixels; Chromium's default when not given.

    Returns
    -------
    selenium.webdriver.Chrome
        The driver; the caller quits it.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    if width is not None and height is not None:
        options.add_argument(f"--window-size={width},{height}")
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
