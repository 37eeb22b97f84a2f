"""Fixtures for the headless-browser tests: a live server and Debian's Chromium.

The browser is the system Chromium (``apt-get install chromium``), never a download by
``playwright install``; the suite fails, never skips, when it is missing.
"""
from __future__ import annotations

import os
import shutil
import threading

import pytest

#: Chromium switches that keep a headless run quiet and offline (no updates, no sync).
CHROMIUM_ARGS = ["--disable-background-networking", "--disable-gpu",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: Viewport of a common phone (CSS pixels).
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
#: How long a page action or assertion may wait, in milliseconds.
TIMEOUT_MS = 10_000


@pytest.fixture
def live_server(lms_app):
    """The test app with the demo courses, served over HTTP; yields its base URL."""
    from werkzeug.serving import make_server

    from lms.services.demo import seed_courses

    with lms_app.app_context():
        seed_courses()
    server = make_server("127.0.0.1", 0, lms_app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    lms_app.config["BASE_URL"] = base_url  # so the certificates' QR codes lead here
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def chromium_browser():
    """A headless Chromium shared by the session."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is not installed; the browser tests need it: "
                    "apt-get install chromium (not `playwright install`)", pytrace=False)
    from playwright.sync_api import sync_playwright

    args = [*CHROMIUM_ARGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=args)
        try:
            yield browser
        finally:
            browser.close()


def _phone_page(browser):
    """Yield a page in a fresh phone-sized context (own cookies), closed afterwards."""
    context = browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def phone(chromium_browser):
    """A page in a fresh phone-sized browser context."""
    yield from _phone_page(chromium_browser)


@pytest.fixture
def stranger(chromium_browser):
    """A page in another fresh phone-sized context: someone with no account and no cookies."""
    yield from _phone_page(chromium_browser)
