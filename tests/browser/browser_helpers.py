"""What the browser tests share: signing in through the real form, phone-width checks and
screenshots (kept in $LMS_SCREENSHOTS when set, for a person to look at)."""
from __future__ import annotations

import os
import shutil


def sign_in(page, base: str, email: str, password: str) -> None:
    """Sign in through the login form and wait until the site lets the person in."""
    page.goto(f"{base}/login")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("form[method=post]:has(input[name=password]) button[type=submit]").click()
    page.wait_for_url(lambda url: not url.endswith("/login"))


def assert_no_sideways_scroll(page) -> None:
    """A phone-width page must fit: nothing wider than the window."""
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} scrolls sideways: {width[0]}px in {width[1]}px"


def screenshot(page, tmp_path, name: str) -> None:
    """Save a full-page screenshot; also into $LMS_SCREENSHOTS when it is set."""
    target = tmp_path / name
    page.screenshot(path=str(target), full_page=True)
    if keep := os.environ.get("LMS_SCREENSHOTS"):
        os.makedirs(keep, exist_ok=True)
        shutil.copy(target, os.path.join(keep, name))
