"""A real headless Chromium for the browser tests (Debian's chromium and chromium-driver,
which .ci/run installs): the pages are judged where musicians open them."""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator

import pytest

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
needs_chromium = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                    reason="needs chromium and chromium-driver (apt-get install)")


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """A Selenium driver of headless Chromium that keeps the page's console messages."""
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--window-size=1400,1500", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options,
                              service=webdriver.ChromeService(executable_path=DRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver) -> list[dict]:
    """The page's console errors so far."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def until(condition, timeout: float = 10.0) -> bool:
    """Poll a browser-side condition until it holds (pages draw asynchronously)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
