"""Offline bundles: a course's lessons as one ZIP of static pages (lms.services.offline)."""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
from html.parser import HTMLParser

import pytest

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
PDF = b"%PDF-1.4\n" + b"% modul pelatihan\n" * 20  # bigger than the picture
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(16)
SLUG = "kursus-luring"
QUESTIONS = [{"id": "rahasia", "type": "single", "text": "Pertanyaan kuis luring?",
              "options": [{"id": "a", "text": "Jawaban-Benar-XYZZY", "fraction": 1,
                           "feedback": "Umpan-Balik-RAHASIA"},
                          {"id": "b", "text": "Salah", "fraction": 0}]}]


class Links(HTMLParser):
    """Every href and src of a page."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.found += [value for name, value in attrs if name in ("href", "src") and value]


def links_of(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.found


@pytest.fixture
def course(lms_app):
    """A published course: Markdown with a picture, a PDF file lesson, a link to a sibling
    lesson, a video kept online, and a quiz."""
    from lms.packages.manifest import parse_manifest
    from lms.services import courses
    from lms.testing import course_manifest

    extra = [{"id": "modul", "title": "Modul PDF", "type": "file", "url": "assets/docs/modul.pdf"},
             {"id": "video", "title": "Video tur", "type": "video", "url": "assets/tur.mp4"}]
    manifest, bodies = course_manifest(SLUG, title="Kursus Luring", lessons=2, extra_lessons=extra,
                                       questions=QUESTIONS)
    bodies["lessons/pelajaran-1.md"] += ("\n\n![Peta](assets/img/peta.png)\n\n[Berikutnya](pelajaran-2) · "
                                         "[Situs](https://example.go.id/a) · [Modul](assets/docs/modul.pdf)\n")
    spec, problems = parse_manifest(manifest)
    assert not problems, problems
    with lms_app.app_context():
        version = courses.import_version(spec, bodies, {"assets/img/peta.png": PNG,
                                                        "assets/docs/modul.pdf": PDF,
                                                        "assets/tur.mp4": MP4})
        courses.publish(version)
        return version.id


def enrol(client, auth, user) -> None:
    auth.login(user)
    response = client.submit(f"/courses/{SLUG}/enrol", form_page=f"/courses/{SLUG}")
    assert response.status_code == 302, response.status_code


def download(client) -> zipfile.ZipFile:
    response = client.get(f"/learn/{SLUG}/offline.zip")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    assert f"{SLUG}-v1-offline.zip" in response.headers["Content-Disposition"]
    assert "private" in response.headers["Cache-Control"]
    data = response.get_data()
    response.close()  # the stored file is streamed: a server closes it after sending
    assert len(data) == response.content_length
    return zipfile.ZipFile(io.BytesIO(data))


def test_the_bundle_holds_the_lessons_the_outline_and_the_files(lms_client, lms_auth, lms_user, course):
    enrol(lms_client, lms_auth, lms_user())
    bundle = download(lms_client)
    root = f"{SLUG}-v1/"
    names = set(bundle.namelist())
    assert names == {root + name for name in (
        "index.html", "01-pelajaran-1.html", "02-pelajaran-2.html", "03-modul.html", "04-video.html",
        "style.css", "assets/img/peta.png", "assets/docs/modul.pdf")}, names
    assert bundle.read(root + "assets/img/peta.png") == PNG
    assert bundle.read(root + "assets/docs/modul.pdf") == PDF

    index = bundle.read(root + "index.html").decode()
    assert "Kursus Luring" in index and "Pelajaran 1" in index and "Modul PDF" in index
    assert "/learn/kursus-luring/quiz/kuis" in index  # quizzes are taken online
    assert "assets/tur.mp4" in index  # listed as online only
    first = bundle.read(root + "01-pelajaran-1.html").decode()
    assert "Isi pelajaran 1" in first
    assert 'src="assets/img/peta.png"' in first
    assert 'href="02-pelajaran-2.html"' in first  # a link to a sibling lesson stays in the bundle
    video = bundle.read(root + "04-video.html").decode()
    assert "/learn/kursus-luring/video" in video and "<video" not in video

    for name in names:
        if not name.endswith(".html"):
            continue
        page = bundle.read(name).decode()
        assert "<script" not in page.lower()
        assert "Jawaban-Benar-XYZZY" not in page and "Umpan-Balik-RAHASIA" not in page
        assert "Pertanyaan kuis luring" not in page
        assert re.search(r"<[^>]+\son\w+=", page) is None


def test_every_link_inside_the_bundle_resolves(lms_client, lms_auth, lms_user, course):
    enrol(lms_client, lms_auth, lms_user())
    bundle = download(lms_client)
    names = set(bundle.namelist())
    checked = 0
    for name in names:
        if not name.endswith(".html"):
            continue
        for link in links_of(bundle.read(name).decode()):
            if re.match(r"^[a-z][a-z0-9+.-]*:", link, re.I):
                assert link.startswith(("http://", "https://")), (name, link)
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), link.split("#")[0]))
            assert target in names, f"{name} links to {link}, which is not in the bundle"
            checked += 1
    assert checked > 10


def test_the_bundle_is_built_once_per_version(lms_app, lms_client, lms_auth, lms_user, course, monkeypatch):
    from lms.services import offline

    enrol(lms_client, lms_auth, lms_user())
    first = lms_client.get(f"/learn/{SLUG}/offline.zip")
    first_data = first.get_data()
    first.close()
    calls = []
    monkeypatch.setattr(offline, "build", lambda version: calls.append(version) or b"")
    second = lms_client.get(f"/learn/{SLUG}/offline.zip")
    second_data = second.get_data()
    second.close()
    assert calls == [] and second_data == first_data
    again = lms_client.get(f"/learn/{SLUG}/offline.zip", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_the_budget_keeps_big_files_online(lms_app, lms_client, lms_auth, lms_user, course):
    lms_app.config["OFFLINE_BUNDLE_MAX_BYTES"] = len(PNG)  # room for the picture only
    enrol(lms_client, lms_auth, lms_user())
    bundle = download(lms_client)
    root = f"{SLUG}-v1/"
    assert root + "assets/img/peta.png" in bundle.namelist()
    assert root + "assets/docs/modul.pdf" not in bundle.namelist()
    page = bundle.read(root + "03-modul.html").decode()
    assert "/learn/kursus-luring/assets/docs/modul.pdf" in page


@pytest.mark.parametrize("role, status", [("learner", 302), ("author", 302), ("unit_admin", 302),
                                          ("admin", 200)])
def test_who_may_download_without_enrolling(lms_client, lms_auth, lms_user, course, role, status):
    lms_auth.login(lms_user(role))
    response = lms_client.get(f"/learn/{SLUG}/offline.zip")
    response.close()
    assert response.status_code == status
    if status == 302:
        assert response.location.endswith(f"/courses/{SLUG}")


def test_the_course_author_may_download(lms_app, lms_client, lms_auth, lms_user, course):
    from lms.database import db
    from lms.models import Course, User
    from lms.services import authoring

    author = lms_user("author")
    with lms_app.app_context():
        course_row = db.session.get(Course, db.session.scalar(
            db.select(Course.id).where(Course.slug == SLUG)))
        authoring.add_author(course_row, db.session.get(User, author.id))
    lms_auth.login(author)
    response = lms_client.get(f"/learn/{SLUG}/offline.zip")
    response.close()
    assert response.status_code == 200


def test_anonymous_is_sent_to_sign_in_and_unknown_courses_are_404(lms_client, lms_auth, lms_user, course):
    response = lms_client.get(f"/learn/{SLUG}/offline.zip")
    assert response.status_code == 302 and "/login" in response.location
    lms_auth.login(lms_user())
    assert lms_client.get("/learn/tidak-ada/offline.zip").status_code == 404


def test_the_course_page_links_to_the_bundle_for_enrolled_learners(lms_client, lms_auth, lms_user, course):
    lms_auth.login(lms_user())
    assert "offline.zip" not in lms_client.get(f"/courses/{SLUG}").get_data(as_text=True)
    lms_client.submit(f"/courses/{SLUG}/enrol", form_page=f"/courses/{SLUG}")
    assert f'href="/learn/{SLUG}/offline.zip"' in lms_client.get(f"/courses/{SLUG}").get_data(as_text=True)
