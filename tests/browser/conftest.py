"""Real-browser tests: Debian's Chromium (`/usr/bin/chromium`, package `chromium`)
driven by Playwright for Python. Playwright never downloads a browser here: it
starts the system's Chromium through `executable_path`. `make test` installs
Debian's chromium when it is missing (see the Makefile's `chromium` target); set
CHROMIUM=/path/to/chromium to use another build.

Every request that leaves the loopback interface is aborted, so the tests see the
book as a reader without the CDN would, and nothing is fetched from outside.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from booksite import HTML_DIR, SCREENSHOT_DIR, report
from browsertools import CHROMIUM, OfflineBrowser, serve


@pytest.fixture(scope="session")
def playwright():
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"no Chromium at {CHROMIUM}. `make test` installs Debian's package "
            "(apt-get install -y chromium); elsewhere set CHROMIUM=/path/to/chromium. "
            "Never `playwright install`: these tests use the system's browser.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="module")
def browser(playwright):
    start = time.perf_counter()
    offline = OfflineBrowser(playwright)
    report("browser timings", f"Chromium started in {time.perf_counter() - start:.1f} s")
    yield offline
    offline.close()


@pytest.fixture(scope="session")
def book_url():
    if not (HTML_DIR / "index.html").exists():
        pytest.fail(f"no built book in {HTML_DIR}: run `make book` first", pytrace=False)
    with serve(HTML_DIR) as url:
        yield url


@pytest.fixture(scope="session")
def screenshots():
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


@pytest.fixture
def timed(request):
    """Times the test and keeps the time for the summary at the end of the run."""
    start = time.perf_counter()
    yield
    report("browser timings", f"{request.node.name}: {time.perf_counter() - start:.1f} s")
