"""A learner answers the end-of-course evaluation on a phone; the admin reads the results."""
from __future__ import annotations

import os
import shutil

from playwright.sync_api import expect

PASSWORD = "rahasia-ASN-1"


def screenshot(page, tmp_path, name: str) -> None:
    target = tmp_path / name
    page.screenshot(path=str(target), full_page=True)
    keep = os.environ.get("LMS_SCREENSHOTS")
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(target, os.path.join(keep, name))


def no_sideways_scroll(page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} scrolls sideways: {width[0]}px in {width[1]}px"


def sign_in(page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form[method=post]:has(input[name=password]) button[type=submit]").click()
    page.wait_for_url(lambda url: not url.endswith("/login"))


def test_a_learner_evaluates_a_course_on_a_phone(lms_app, lms_course, lms_user, live_server, phone, tmp_path):
    lms_course("evaluasi-ponsel", title="Pelatihan Layanan Prima", lessons=1)
    learner = lms_user(name="Sari Ponsel", password=PASSWORD)
    admin = lms_user("admin", name="Admin Ponsel", password=PASSWORD)
    violations = []
    phone.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)

    sign_in(phone, live_server, learner.email)
    phone.goto(f"{live_server}/courses/evaluasi-ponsel")
    phone.locator("form.enrol button[type=submit]").click()
    phone.goto(f"{live_server}/learn/evaluasi-ponsel/pelajaran-1")
    phone.locator("form[action$='/complete'] button[type=submit]").click()
    phone.wait_for_url(f"{live_server}/me")
    phone.locator("a[href='/evaluation/courses/evaluasi-ponsel']").first.click()
    no_sideways_scroll(phone)
    for key, value in (("relevance", "5"), ("clarity", "4"), ("quality", "4"), ("usefulness", "5")):
        phone.locator(f"input[name=q-{key}][value='{value}']").check()
    phone.locator("form.eval-form button[type=submit]").click()  # "overall" missing: the browser stops it
    assert phone.url.endswith("/evaluation/courses/evaluasi-ponsel")
    phone.locator("input[name=q-overall][value='5']").check()
    phone.fill("textarea[name=q-best]", "Studi kasus pelayanan publik")
    screenshot(phone, tmp_path, "evaluation-form-phone.png")
    phone.locator("form.eval-form button[type=submit]").click()
    phone.wait_for_url(f"{live_server}/me")
    expect(phone.locator(".flash-success")).to_be_visible()

    phone.context.clear_cookies()
    sign_in(phone, live_server, admin.email)
    phone.goto(f"{live_server}/admin/reports/evaluations/evaluasi-ponsel")
    expect(phone.locator("body")).to_contain_text("Studi kasus pelayanan publik")
    expect(phone.locator("body")).to_contain_text("Sari Ponsel")
    no_sideways_scroll(phone)
    screenshot(phone, tmp_path, "evaluation-results-phone.png")
    phone.goto(f"{live_server}/admin/reports/evaluations")
    no_sideways_scroll(phone)
    assert not violations, violations
