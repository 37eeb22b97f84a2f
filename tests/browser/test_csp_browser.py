"""The page policy in a real browser: the main pages raise no CSP violation and their scripts
still work; SCORM runs and records completion sandboxed on the app's origin and from a
separate content origin; script in author content reaches neither the app's cookies nor
the page around it (docs/content-isolation.md).

Two origins on one live server: the app at http://127.0.0.1:<port>, the content origin at
http://localhost:<port> (another host name, so another origin and another cookie jar).
"""
from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.database import db
from lms.models import Course, Enrollment, LessonProgress, User
from lms.services import enrollment

_spec = importlib.util.spec_from_file_location("_headers", Path(__file__).parents[1] / "test_security_headers.py")
_headers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_headers)
SLUG = _headers.SLUG

#: Registered before any page script: every violation the browser reports is kept.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


def watched(page) -> list[str]:
    """Console lines about the policy, collected for the whole test."""
    lines: list[str] = []
    page.add_init_script(WATCH)
    page.on("console", lambda m: lines.append(m.text) if "Content Security Policy" in m.text
            or "Refused to" in m.text else None)
    page.on("pageerror", lambda e: lines.append(f"page error: {e}"))
    return lines


def violations(page) -> list[str]:
    return page.evaluate("window.__csp || []")


def serve(app, content: bool):
    """Serve `app` on 127.0.0.1; with `content`, localhost on the same port is the content origin."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base
    if content:
        app.config["CONTENT_ORIGIN"] = f"http://localhost:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="csp-live-server", daemon=True)
    thread.start()
    return server, thread, base


@pytest.fixture
def site(lms_app, request):
    """(base URL, admin, learner) with the test course; content origin on when parametrised so."""
    _headers.import_course(lms_app)
    from lms.models import Role
    from lms.services import accounts

    with lms_app.app_context():
        admin = accounts.register_user(role=Role("admin"), name="Admin Utama", email="admin@example.go.id",
                                       nip="199001012015011001", password="rahasia-ASN-1")
        learner = accounts.register_user(role=Role("learner"), name="Budi Santoso", email="budi@example.go.id",
                                         nip="199001012015011002", password="rahasia-ASN-1")
        course = db.session.scalar(select(Course))
        for user in (admin, learner):
            enrollment.enroll_self(user, course)
        ids = admin.email, learner.email
    server, thread, base = serve(lms_app, getattr(request, "param", False))
    try:
        yield base, *ids
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "rahasia-ASN-1")
    page.locator("form[method=post]:has(input[name=password]) button[type=submit]").click()
    page.wait_for_url(lambda url: not url.endswith("/login"))


def test_main_pages_raise_no_csp_violation_and_their_scripts_work(site, phone):
    base, admin, _learner = site
    console = watched(phone)
    sign_in(phone, base, admin)
    pages = ["/", "/courses", f"/courses/{SLUG}", f"/learn/{SLUG}/pelajaran-1", f"/learn/{SLUG}/quiz/kuis",
             "/me", "/me/jp", "/me/certificates", "/verify", "/profile", "/author/",
             f"/author/courses/{SLUG}/", f"/author/courses/{SLUG}/edit/", "/admin/", "/admin/users",
             "/admin/reports/jp", "/admin/assignments", "/admin/audit", "/api/v1/docs", f"/learn/{SLUG}/modul"]
    for path in pages:
        response = phone.goto(base + path)
        assert response.status == 200, path
        assert violations(phone) == [], (path, violations(phone))
    # The lesson's image comes through (same origin here) and the progress bar has its width.
    phone.goto(f"{base}/learn/{SLUG}/pelajaran-1")
    expect(phone.locator("main img[alt=Peta]")).to_be_visible()
    assert phone.evaluate("document.querySelector('main img[alt=Peta]').naturalWidth") >= 0

    # Quiz: start an attempt, answer, the autosave reports it saved.
    phone.goto(f"{base}/learn/{SLUG}/quiz/kuis")
    phone.locator("form[action$='/start'] button[type=submit]").click()
    phone.wait_for_url(lambda url: "/learn/attempts/" in url)
    phone.locator("input[type=radio]").first.check()
    expect(phone.locator("#save-state")).not_to_be_empty()
    assert violations(phone) == []

    # Editor: the Markdown preview is fetched and shown in place.
    phone.goto(f"{base}/author/courses/{SLUG}/edit/lessons/pelajaran-1")
    phone.fill("textarea[name=body]", "## Judul pratinjau\n\nIsi **tebal**.")
    phone.locator("input[name=preview]").click()
    expect(phone.locator("#lesson-preview-body h2")).to_have_text("Judul pratinjau")
    assert violations(phone) == [] and console == [], console


@pytest.mark.parametrize("site", [False, True], ids=["sandboxed", "content-origin"], indirect=True)
def test_scorm_completes_and_its_script_cannot_reach_the_app(lms_app, site, phone):
    base, _admin, learner = site
    console = watched(phone)
    sign_in(phone, base, learner)
    # A cookie of the app that page script could read (the session cookie is HttpOnly anyway).
    phone.context.add_cookies([{"name": "probe", "value": "rahasia-aplikasi", "url": base}])
    content = lms_app.config.get("CONTENT_ORIGIN")

    # The lesson's image: from the content origin (after the app's redirect) when there is one.
    images = []
    phone.on("response", lambda r: images.append((r.url, r.status)) if "peta.png" in r.url else None)
    phone.goto(f"{base}/learn/{SLUG}/pelajaran-1")
    expect(phone.locator("main img[alt=Peta]")).to_be_visible()
    phone.wait_for_load_state("load")
    served = [url for url, status in images if status == 200]
    assert served and served[-1].startswith(f"{content}/content/a/" if content else f"{base}/learn/"), images

    phone.goto(f"{base}/learn/{SLUG}/modul")
    sco = phone.frame_locator("iframe.scorm-frame")
    expect(sco.locator("#api-status")).to_have_text("API siap")
    expect(sco.locator("#name")).to_have_text("Santoso, Budi")
    frame = next(f for f in phone.frames if "/learn/content/s/" in f.url)
    assert frame.url.startswith(content or base)

    sco.locator("#finish-button").click()
    expect(sco.locator("#done")).to_have_text("selesai false 405")
    expect(phone.locator("[data-scorm-done]")).to_be_visible()
    with lms_app.app_context():
        user = db.session.scalar(select(User).where(User.email == learner))
        mine = db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id))
        assert db.session.scalar(select(LessonProgress.lesson_key).where(
            LessonProgress.enrollment_id == mine.id)) == "modul"
    assert violations(phone) == [] and console == [], console

    # What an author's script could try from inside the SCO.
    probe = frame.evaluate("""() => {
      const out = {};
      try { out.cookie = document.cookie; } catch (e) { out.cookie = "blocked:" + e.name; }
      try { out.parent = window.parent.document.title; } catch (e) { out.parent = "blocked:" + e.name; }
      try { out.top = window.top.location.href; } catch (e) { out.top = "blocked:" + e.name; }
      return out;
    }""")
    assert "rahasia-aplikasi" not in probe["cookie"] and probe["parent"].startswith("blocked:"), probe
    assert probe["top"].startswith("blocked:"), probe
    stolen = frame.evaluate("""() => fetch(%r + "/profile", {credentials: "include"})
        .then(r => r.text()).then(t => t.includes("Budi") ? "read" : "no").catch(() => "blocked")""" % base)
    assert stolen != "read"
