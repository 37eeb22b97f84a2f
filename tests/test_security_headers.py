"""Security headers on every page, author and SCORM content isolated (docs/content-isolation.md).

Every GET route of the url_map is visited as an admin with a real course (new routes are
covered without touching this file); HTML answers carry the page policy and the other
headers, and hold no inline script, style attribute or event handler. Course files and
SCORM content keep their sandboxing policies; with CONTENT_ORIGIN they are answered only on
the content host, by a signed, expiring, path-bound token, and nothing else answers there.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from lms import content_origin
from lms.database import db
from lms.models import Course, Quiz, User
from lms.packages.manifest import parse_manifest
from lms.security_headers import page_policy, parse_extra
from lms.services import assets, attempts, courses, enrollment
from lms.testing import course_manifest

ROOT = Path(__file__).resolve().parents[1]
SCORM_FIXTURE = ROOT / "tests" / "fixtures" / "scorm12"
SLUG = "kursus-aman"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
QUESTION = {"id": "agenda", "type": "single", "text": "Surat masuk dicatat di buku apa?",
            "options": [{"id": "a", "text": "Buku agenda", "fraction": 1},
                        {"id": "b", "text": "Buku tamu", "fraction": 0}]}
PLUGINS = ("hello", "eoffice", "digital_service", "project_management")
CONTENT = "http://konten.test"
MAIN = "http://localhost"
#: Markup the page policy would block: a script without src, an on*= handler, a style attribute.
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<[a-zA-Z][^>]*\s(?:on[a-z]+|style)\s*=", re.I)


def import_course(app) -> None:
    """A published course with a Markdown lesson showing an image asset, a SCORM lesson
    and a quiz."""
    scorm = {"id": "modul", "title": "Modul SCORM", "type": "scorm", "path": "assets/scorm/modul"}
    manifest, bodies = course_manifest(SLUG, lessons=1, extra_lessons=[scorm], questions=[QUESTION])
    bodies["lessons/pelajaran-1.md"] = "## Peta\n\n![Peta](assets/img/peta.png)\n"
    files = {"assets/img/peta.png": PNG}
    files.update({f"assets/scorm/modul/{p.relative_to(SCORM_FIXTURE).as_posix()}": p.read_bytes()
                  for p in SCORM_FIXTURE.rglob("*") if p.is_file()})
    spec, problems = parse_manifest(manifest)
    assert problems == []
    with app.app_context():
        courses.publish(courses.import_version(spec, bodies, files))


@pytest.fixture
def course(lms_app):
    import_course(lms_app)
    return SLUG


@pytest.fixture
def learner(lms_app, lms_client, lms_auth, lms_user, course):
    user = lms_user(name="Budi Santoso")
    with lms_app.app_context():
        enrollment.enroll_self(db.session.get(User, user.id), db.session.scalar(select(Course)))
    lms_auth.login(user)
    return user


def assert_page_headers(response, where: str) -> None:
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    assert policy.startswith("default-src 'self'; script-src 'self'; style-src 'self';"), (where, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, where
    assert "frame-ancestors 'self'" in policy and "object-src 'none'" in policy, where
    assert headers.get("X-Frame-Options") == "SAMEORIGIN", where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") in ("strict-origin-when-cross-origin", "no-referrer"), where
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin", where
    assert "camera=()" in headers.get("Permissions-Policy", ""), where


# ------------------------------------------------------------------------- every route


def route_values(rule, ids: dict) -> dict | None:
    """Values for a rule's arguments from the real course (None: a route not worth a GET)."""
    values = {}
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__
        if name == "filename":
            return None  # static files: not pages
        if name == "key":
            values[name] = ("kuis" if "quiz" in rule.endpoint else "agenda" if "bank" in rule.endpoint
                            else "modul" if "scorm" in rule.endpoint else "pelajaran-1")
        elif name == "path":
            values[name] = "sco/index.html" if "scorm" in rule.endpoint else "img/peta.png"
        elif name == "uid":
            values[name] = ids["attempt"]
        elif name == "user_id":
            values[name] = ids["admin"]
        elif name == "slug":
            values[name] = SLUG
        elif name == "fmt":
            values[name] = "csv"
        elif converter == "IntegerConverter":
            values[name] = 0 if name in ("index", "slot") else 1
        else:
            values[name] = "x"
    return values


@pytest.mark.lms_plugins(*PLUGINS)
def test_every_html_page_carries_the_headers_and_no_inline_code(lms_app, lms_client, lms_auth, lms_user, course):
    admin = lms_user("admin", name="Admin Utama")
    with lms_app.app_context():
        user = db.session.get(User, admin.id)
        course_row = db.session.scalar(select(Course))
        enrollment.enroll_self(user, course_row)
        quiz = db.session.scalar(select(Quiz).where(Quiz.key == "kuis"))
        ids = {"admin": admin.id, "attempt": attempts.start(user, course_row, quiz).uid}
    lms_auth.login(admin)
    seen, pages, html_ok, statuses = 0, 0, 0, {}
    for rule in sorted(lms_app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in ("static", "metrics.metrics"):
            continue
        values = route_values(rule, ids)
        if values is None:
            continue
        with lms_app.test_request_context():
            from flask import url_for
            url = url_for(rule.endpoint, **values)
        response = lms_client.get(url)
        seen += 1
        statuses[url] = response.status_code
        headers = response.headers
        assert headers.get("X-Content-Type-Options") == "nosniff", url
        assert "Referrer-Policy" in headers, url
        if response.mimetype != "text/html" or rule.endpoint in ("scorm.content", "scorm.token_file"):
            continue
        pages += 1
        html_ok += response.status_code == 200
        assert_page_headers(response, url)
        body = response.get_data(as_text=True)
        assert not INLINE.search(body), (url, INLINE.search(body).group(0))
    ok = [url for url, status in statuses.items() if status == 200]
    assert [url for url, status in statuses.items() if status >= 500] == []
    # Counted so the docs can quote them; a route added later raises them, never fails this.
    assert seen >= 90 and pages >= 60 and html_ok >= 45 and len(ok) >= 65, (seen, pages, html_ok, len(ok))
    print(sorted((status, url) for url, status in statuses.items() if status != 200))
    print(f"\n{seen} GET routes visited ({len(ok)} answered 200); {pages} HTML answers checked, "
          f"{html_ok} of them pages with status 200")


def test_templates_hold_no_inline_script_style_or_handler():
    files = [*ROOT.joinpath("lms", "templates").rglob("*.html"), *ROOT.joinpath("plugins").glob("*/*/templates/**/*.html")]
    assert len(files) > 60
    found = [f"{path.relative_to(ROOT)}: {m.group(0)}" for path in files
             for m in INLINE.finditer(path.read_text(encoding="utf-8"))]
    assert found == []


def test_error_pages_and_plugin_pages_carry_the_headers(lms_client):
    assert_page_headers(lms_client.get("/no-such-page"), "404")
    response = lms_client.get("/verify/NOPE-0000")
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.lms_config(SECURITY_HSTS=True, CSP_EXTRA_SOURCES=["frame-src https://video.example.go.id"])
def test_hsts_and_extra_sources_from_the_settings(lms_client):
    response = lms_client.get("/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "frame-src 'self' https://www.youtube-nocookie.com https://video.example.go.id;" in \
        response.headers["Content-Security-Policy"]


def test_no_hsts_unless_configured(lms_client):
    assert "Strict-Transport-Security" not in lms_client.get("/").headers


def test_production_turns_hsts_on():
    import config

    assert config.ProductionConfig.SECURITY_HSTS is True and config.Config.SECURITY_HSTS is False


@pytest.mark.parametrize("entry", ["script-src 'unsafe-inline'", "frame-ancestors *", "img-src", "nonsense x",
                                   "connect-src *"])
def test_bad_extra_sources_stop_start_up(lms_config, entry):
    from lms import create_app
    from lms.errors import StartupError

    with pytest.raises(StartupError, match="CSP_EXTRA_SOURCES"):
        create_app("testing", {**lms_config, "CSP_EXTRA_SOURCES": [entry]})
    assert parse_extra("img-src https://a.example, media-src https://b.example") == {
        "img-src": ["https://a.example"], "media-src": ["https://b.example"]}


@pytest.mark.parametrize("value", ["konten.example.go.id/path", "https://konten.example.go.id/x", "ftp://konten",
                                   "https://lms.example.go.id:443"])
def test_bad_content_origin_stops_start_up(lms_config, value):
    from lms import create_app
    from lms.errors import StartupError

    with pytest.raises(StartupError, match="LMS_CONTENT_ORIGIN"):
        create_app("testing", {**lms_config, "BASE_URL": "https://lms.example.go.id", "CONTENT_ORIGIN": value})


# ------------------------------------------------------------------------- same origin


def start_scorm(client) -> dict:
    response = client.post(f"/learn/{SLUG}/scorm/1/modul/session",
                           headers={"Accept": "application/json", "X-CSRFToken": client.csrf_token("/")})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_assets_and_scorm_keep_their_sandboxing_policy(lms_client, learner):
    image = lms_client.get(f"/learn/{SLUG}/assets/img/peta.png")
    assert image.status_code == 200 and image.headers["Content-Security-Policy"] == assets.SANDBOX_CSP
    assert "X-Frame-Options" not in image.headers or image.headers["X-Frame-Options"] == "SAMEORIGIN"

    data = start_scorm(lms_client)
    sco = lms_client.get(data["launch"].split("?")[0])
    policy = sco.headers["Content-Security-Policy"]
    assert sco.status_code == 200 and "sandbox allow-scripts allow-forms" in policy
    assert "allow-same-origin" not in policy and "frame-ancestors 'self'" in policy
    body = sco.get_data(as_text=True)
    assert body.index("scorm-runtime.js") < body.index("<title>")  # window.API before the SCO's scripts
    assert "Budi" in body and "no-store" in sco.headers["Cache-Control"]
    page = lms_client.get(f"/learn/{SLUG}/modul").get_data(as_text=True)
    frame = re.search(r'<iframe class="scorm-frame"[^>]*sandbox="([^"]*)"', page).group(1)
    assert "allow-scripts" in frame and "allow-same-origin" not in frame


def test_scorm_files_open_by_token_without_a_cookie(lms_app, lms_client, learner):
    launch = start_scorm(lms_client)["launch"].split("?")[0]
    stranger = lms_app.test_client()
    assert stranger.get(launch).status_code == 200
    assert stranger.get(launch.replace("sco/index.html", "sco/sco.js")).mimetype == "text/javascript"
    assert stranger.get(launch.replace("sco/index.html", "imsmanifest.xml")).status_code in (200, 404)
    assert stranger.get(launch.replace("sco/index.html", "../../../etc/passwd")).status_code == 404
    token = launch.split("/")[4]
    forged = launch.replace(token, token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb"))
    assert stranger.get(forged).status_code == 403
    lms_app.config["CONTENT_TOKEN_SECONDS"] = -1  # every token is now too old
    expired = stranger.get(launch)
    assert expired.status_code == 403 and "kedaluwarsa" in expired.get_data(as_text=True)  # Indonesian by default


# ------------------------------------------------------------------------- content origin


@pytest.mark.lms_config(CONTENT_ORIGIN=CONTENT)
def test_content_origin_assets_redirect_with_a_path_bound_token(lms_app, lms_client, learner):
    page = lms_client.get(f"/learn/{SLUG}/pelajaran-1")
    assert f"img-src 'self' data: https: {CONTENT}" in page.headers["Content-Security-Policy"]
    moved = lms_client.get(f"/learn/{SLUG}/assets/img/peta.png")
    assert moved.status_code == 302 and moved.location.startswith(f"{CONTENT}/content/a/")
    target = urlsplit(moved.location)
    stranger = lms_app.test_client()  # no session cookie reaches the content host
    image = stranger.get(target.path, base_url=CONTENT)
    assert image.status_code == 200 and image.data == PNG
    assert image.headers["Content-Security-Policy"] == assets.SANDBOX_CSP
    assert "Set-Cookie" not in image.headers
    # The same token for another path, no token, or a token of another kind: refused.
    assert stranger.get(target.path.replace("img/peta.png", "scorm/modul/sco/index.html"),
                        base_url=CONTENT).status_code == 403
    assert stranger.get("/content/a/x/assets/img/peta.png", base_url=CONTENT).status_code == 403
    with lms_app.test_request_context():
        other_kind = content_origin.sign({"k": "s", "p": "assets/img/peta.png"})
    assert stranger.get(f"/content/a/{other_kind}/assets/img/peta.png", base_url=CONTENT).status_code == 403
    # On the app's host the content route sends the browser to the content host.
    again = stranger.get(target.path)
    assert again.status_code == 302 and again.location == f"{CONTENT}{target.path}"
    lms_app.config["CONTENT_TOKEN_SECONDS"] = -1
    assert stranger.get(target.path, base_url=CONTENT).status_code == 403


@pytest.mark.lms_plugins(*PLUGINS)
@pytest.mark.lms_config(CONTENT_ORIGIN=CONTENT)
def test_the_content_host_answers_nothing_else(lms_app, lms_client, learner):
    refused, checked = [], 0
    for rule in lms_app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in content_origin.CONTENT_ENDPOINTS or rule.arguments - {"slug"}:
            continue
        url = rule.rule.replace("<slug>", SLUG)
        response = lms_client.get(url, base_url=CONTENT)
        checked += 1
        if response.status_code != 404 or response.mimetype != "text/plain" or "Set-Cookie" in response.headers:
            refused.append((url, response.status_code))
    assert refused == [] and checked >= 40, (refused, checked)
    runtime = lms_client.get("/static/js/scorm-runtime.js", base_url=CONTENT)
    runtime.close()
    assert runtime.status_code == 200


@pytest.mark.lms_config(CONTENT_ORIGIN=CONTENT)
def test_scorm_runs_from_the_content_origin(lms_app, lms_client, learner):
    data = start_scorm(lms_client)
    assert data["launch"].startswith(f"{CONTENT}/learn/content/s/")
    page = lms_client.get(f"/learn/{SLUG}/modul")
    assert f"frame-src 'self' https://www.youtube-nocookie.com {CONTENT}" in page.headers["Content-Security-Policy"]
    assert "allow-same-origin" in re.search(r'sandbox="([^"]*)"', page.get_data(as_text=True)).group(1)
    path = urlsplit(data["launch"]).path
    stranger = lms_app.test_client()
    sco = stranger.get(path, base_url=CONTENT)
    policy = sco.headers["Content-Security-Policy"]
    assert sco.status_code == 200 and "sandbox" not in policy and f"frame-ancestors 'self' {MAIN}" in policy
    assert f'src="{CONTENT}/static/js/scorm-runtime.js"' in sco.get_data(as_text=True)
    assert stranger.get(path).status_code == 302  # the app's host sends it to the content host
    old = lms_client.get(f"/learn/{SLUG}/scorm/1/modul/content/sco/index.html")
    assert old.status_code == 302 and old.location.startswith(f"{CONTENT}/learn/content/s/")


def test_page_policy_adds_the_content_origin(lms_app):
    lms_app.config["CONTENT_ORIGIN"] = CONTENT
    policy = page_policy(lms_app)
    assert f"frame-src 'self' https://www.youtube-nocookie.com {CONTENT}" in policy
    assert f"media-src 'self' https: {CONTENT}" in policy and "script-src 'self';" in policy
