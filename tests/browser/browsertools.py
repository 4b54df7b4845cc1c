"""Helpers of the real-browser tests: Debian's Chromium under Playwright, offline,
and a loopback HTTP server (see conftest.py for what the tests do with them)."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"data", "blob", "about"} or parts.hostname in LOOPBACK


class OfflineBrowser:
    """A fresh Chromium profile whose requests to other hosts are aborted."""

    def __init__(self, playwright, viewport=(1280, 900)):
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        self.blocked: list[str] = []
        self.context = playwright.chromium.launch_persistent_context(
            self.profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": viewport[0], "height": viewport[1]},
        )
        self.context.route("**/*", self._route)

    def _route(self, route):
        if is_loopback(route.request.url):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def close(self):
        self.context.close()
        shutil.rmtree(self.profile, ignore_errors=True)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # no line per request on the terminal
        pass


@contextmanager
def serve(directory: Path):
    """Serve a directory over HTTP on a free loopback port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# console.error messages of the theme that are not faults, each with its reason
KNOWN_CONSOLE_MESSAGES = {
    # pydata-sphinx-theme 0.17 logs this on a reader's first visit, when
    # localStorage holds no colour mode yet; it then uses "auto", as intended
    "Got invalid theme mode: . Resetting to auto.",
}


class Visit:
    """A page opened in the browser, with every error it raised."""

    def __init__(self, browser, url):
        self.page = browser.context.new_page()
        self.exceptions, self.console_errors, self.failed_local = [], [], []
        self.page.on("pageerror", lambda error: self.exceptions.append(str(error)))
        self.page.on("console", self._console)
        self.page.on("requestfailed", self._failed)
        self.response = self.page.goto(url, wait_until="load")

    def _console(self, message):
        if message.type != "error":
            return
        source = message.location.get("url", "")
        if message.text.startswith("Failed to load resource") and not is_loopback(source):
            return  # an outside resource that the test blocked on purpose
        if message.text in KNOWN_CONSOLE_MESSAGES:
            return
        self.console_errors.append(f"{message.text} ({source})")

    def _failed(self, request):
        if is_loopback(request.url):
            self.failed_local.append(f"{request.url}: {request.failure}")

    def problems(self) -> list[str]:
        return (
            [f"uncaught exception: {e}" for e in self.exceptions]
            + [f"console error: {e}" for e in self.console_errors]
            + [f"failed to load: {e}" for e in self.failed_local]
        )
