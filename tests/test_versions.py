"""Versions as authors meet them: diff before publishing, preview, restore, discard, co-authors."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from lms.database import db
from lms.models import Course, CourseVersion, Lesson, VersionStatus
from lms.packages.archive import write_package
from lms.services import packages, progress, versions
from lms.testing import course_manifest

#: Two small files that pass the asset checks as PNG images (the signature and a header).
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
PNG_2 = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 17


def package(slug: str = "berkala", lessons: dict[str, str] | None = None, **changes) -> bytes:
    """A zip whose one section holds `lessons` (id -> Markdown body), in order."""
    lessons = lessons if lessons is not None else {"a": "Isi A", "b": "Isi B"}
    manifest, _bodies = course_manifest(slug, lessons=0)
    manifest["sections"][0]["lessons"] = [{"id": key, "title": f"Pelajaran {key.upper()}",
                                           "file": f"lessons/{key}.md"} for key in lessons]
    bodies = {f"lessons/{key}.md": body for key, body in lessons.items()}
    return write_package({**manifest, **changes}, bodies, {})


def upload(client, data: bytes, **headers):
    token = client.csrf_token("/author/import")
    response = client.post("/author/import", content_type="multipart/form-data", headers=headers,
                           data={"csrf_token": token, "package": (io.BytesIO(data), "kursus.zip")})
    if response.status_code == 302 and response.location.startswith("/author/imports/"):
        return client.get(response.location)  # the import job ran after the upload (eager in tests)
    return response


def hub(client, slug: str = "berkala") -> str:
    response = client.get(f"/author/courses/{slug}/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def author(lms_auth, lms_user):
    user = lms_user("author")
    lms_auth.login(user)
    return user


def learner_progress(app, client, auth, user, keys: list[str], author_user) -> None:
    """Sign in as `user`, enrol and complete `keys`, then sign back in as the author."""
    auth.logout()
    auth.login(user)
    client.submit("/courses/berkala/enrol", form_page="/courses/berkala")
    for key in keys:
        client.submit(f"/learn/berkala/{key}/complete", form_page=f"/learn/berkala/{key}")
    auth.logout()
    auth.login(author_user)


def test_first_upload_shows_it_is_new_and_publishing_makes_it_public(lms_client, author):
    upload(lms_client, package())
    page = hub(lms_client)
    assert "Draft version 1" in page or "Versi draf 1" in page
    assert lms_client.get("/courses/berkala").status_code == 404
    response = lms_client.submit("/author/courses/berkala/publish", form_page="/author/courses/berkala/")
    assert response.location == "/author/courses/berkala/"
    assert lms_client.get("/courses/berkala").status_code == 200


def test_the_draft_shows_lessons_added_removed_and_changed_and_who_loses_progress(
        lms_app, lms_client, lms_auth, lms_user, author):
    upload(lms_client, package())
    lms_client.submit("/author/courses/berkala/publish", form_page="/author/courses/berkala/")
    learner_progress(lms_app, lms_client, lms_auth, lms_user(), ["a", "b"], author)
    upload(lms_client, package(lessons={"b": "Isi B yang diperbarui", "c": "Isi C"}, jp=5))
    with lms_app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "berkala"))
        change = versions.diff(versions.published_of(course), versions.draft_of(course))
    assert change.lessons.added == ["c"] and change.lessons.removed == ["a"]
    assert change.lessons.changed == {"b": ["content"]}
    assert change.metadata == ["jp"] and change.learners_losing_lessons == 1
    page = hub(lms_client, "berkala")
    for text in ("<code>c</code>", "<code>a</code>", "<code>b</code>", "Pelajaran C"):
        assert text in page


def test_learners_keep_progress_on_surviving_lessons_after_publishing(
        lms_app, lms_client, lms_auth, lms_user, author):
    upload(lms_client, package(lessons={"a": "A", "b": "B", "c": "C"}))
    lms_client.submit("/author/courses/berkala/publish", form_page="/author/courses/berkala/")
    learner = lms_user()
    learner_progress(lms_app, lms_client, lms_auth, learner, ["a", "b"], author)
    upload(lms_client, package(lessons={"b": "B baru", "c": "C", "d": "D"}))
    lms_client.submit("/author/courses/berkala/publish", form_page="/author/courses/berkala/")
    with lms_app.app_context():
        from lms.models import Enrollment
        mine = db.session.scalar(select(Enrollment).where(Enrollment.user_id == learner.id))
        assert progress.done_keys(mine) >= {"b"}
        published = versions.published_of(mine.course)
        assert [lesson.key for lesson in published.lessons] == ["b", "c", "d"]


def test_restore_publishes_a_copy_of_an_old_version_and_refuses_while_a_draft_waits(
        lms_app, lms_client, author):
    upload(lms_client, package(lessons={"a": "Versi satu"}))
    lms_client.submit("/author/courses/berkala/publish", form_page="/author/courses/berkala/")
    upload(lms_client, package(lessons={"z": "Versi dua"}))
    refused = lms_client.submit("/author/courses/berkala/versions/1/restore", form_page="/author/courses/berkala/")
    assert refused.status_code == 302
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseVersion)) == 2
    lms_client.submit("/author/courses/berkala/publish", form_page="/author/courses/berkala/")
    lms_client.submit("/author/courses/berkala/versions/1/restore", form_page="/author/courses/berkala/")
    with lms_app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "berkala"))
        current = versions.published_of(course)
        assert current.number == 3 and [lesson.key for lesson in current.lessons] == ["a"]
        assert current.lessons[0].source == "Versi satu"
        assert [v.status for v in versions.versions_of(course)] == [
            VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED, VersionStatus.SUPERSEDED]
        with pytest.raises(versions.VersionError):
            versions.restore(course, 3)
        with pytest.raises(versions.VersionError):
            versions.restore(course, 9)


def test_discarding_a_draft_removes_it_and_its_content(lms_app, lms_client, author):
    upload(lms_client, package())
    lms_client.submit("/author/courses/berkala/publish", form_page="/author/courses/berkala/")
    upload(lms_client, package(lessons={"x": "X"}))
    lms_client.submit("/author/courses/berkala/draft/discard", form_page="/author/courses/berkala/")
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseVersion)) == 1
        assert sorted(db.session.scalars(select(Lesson.key))) == ["a", "b"]
        course = db.session.scalar(select(Course).where(Course.slug == "berkala"))
        with pytest.raises(versions.VersionError):
            versions.discard_draft(course)


def test_preview_shows_a_draft_to_its_author_only(lms_client, lms_auth, lms_user, author):
    upload(lms_client, package(lessons={"a": "## Rahasia draf\n\nIsi."}))
    page = lms_client.get("/author/courses/berkala/versions/1/").get_data(as_text=True)
    assert "Rahasia draf" in page
    assert lms_client.get("/author/courses/berkala/versions/1/a").status_code == 200
    assert lms_client.get("/author/courses/berkala/versions/1/tidak-ada").status_code == 404
    assert lms_client.get("/author/courses/berkala/versions/7/").status_code == 404
    lms_auth.logout()
    lms_auth.login(lms_user())
    assert lms_client.get("/author/courses/berkala/versions/1/").status_code == 403
    assert lms_client.get("/learn/berkala/a").status_code == 404


def test_download_button_gives_the_export_that_reimports(lms_app, lms_client, author):
    upload(lms_client, package())
    response = lms_client.get("/author/courses/berkala/versions/1/package.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert 'filename="berkala-v1.zip"' in response.headers["Content-Disposition"]
    with lms_app.app_context():
        assert response.data == packages.export_zip(packages.find_version("berkala", 1))
    assert upload(lms_client, response.data).status_code == 302
    assert lms_client.get("/author/courses/berkala/versions/9/package.zip").status_code == 404


def test_upload_script_gets_json_with_the_import_page(lms_client, author):
    response = upload(lms_client, package(), **{"X-Upload-Progress": "1"})
    assert response.status_code == 200 and response.json["location"].startswith("/author/imports/")
    done = lms_client.get(response.json["location"])
    assert done.status_code == 302 and done.location == "/author/courses/berkala/"
    status = lms_client.get(response.json["location"] + "?format=json").json
    assert status == {"status": "done", "filename": "kursus.zip", "problems": [], "error": None,
                      "location": "/author/courses/berkala/"}
    refused = upload(lms_client, b"bukan zip", **{"X-Upload-Progress": "1"})
    page = lms_client.get(refused.json["location"])
    assert page.status_code == 400 and "text/html" in page.content_type


def test_co_authors_are_added_by_email_or_nip_and_the_last_one_stays(
        lms_app, lms_client, lms_auth, lms_user, author):
    upload(lms_client, package())
    colleague, other, learner = lms_user("author"), lms_user("author"), lms_user()
    form = "/author/courses/berkala/"
    lms_client.submit("/author/courses/berkala/authors", {"login": colleague.email.upper()}, form_page=form)
    lms_client.submit("/author/courses/berkala/authors", {"login": other.nip}, form_page=form)
    page = lms_client.get(lms_client.submit("/author/courses/berkala/authors", {"login": learner.email},
                                            form_page=form).location).get_data(as_text=True)
    assert learner.name in page  # named in the refusal, not added
    lms_client.submit("/author/courses/berkala/authors", {"login": "tidak@ada.id"}, form_page=form)
    with lms_app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "berkala"))
        assert sorted(u.email for u in course.authors) == sorted([author.email, colleague.email, other.email])
    lms_auth.logout()
    lms_auth.login(colleague)
    assert lms_client.get("/author/courses/berkala/").status_code == 200
    for user in (author, other):
        lms_client.submit(f"/author/courses/berkala/authors/{user.id}/remove", form_page=form)
    lms_client.submit(f"/author/courses/berkala/authors/{colleague.id}/remove", form_page=form)
    with lms_app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "berkala"))
        assert [u.email for u in course.authors] == [colleague.email]
    lms_auth.logout()
    lms_auth.login(author)
    assert lms_client.get("/author/courses/berkala/").status_code == 404


def test_the_diff_costs_the_same_few_queries_for_any_course_size(lms_app, lms_queries):
    def measure(n: int) -> int:
        slug = f"besar-{n}"
        with lms_app.app_context():
            manifest, bodies = course_manifest(slug, lessons=n)
            old = packages.import_upload(write_package(manifest, bodies, {}), "a.zip", _admin(lms_app))
            manifest["sections"][0]["lessons"].pop()
            new = packages.import_upload(write_package(manifest, bodies, {}), "b.zip", _admin(lms_app))
            with lms_queries() as counted:
                change = versions.diff(old, new)
            assert change.lessons.removed == [f"pelajaran-{n}"]
            return counted.count

    assert measure(3) == measure(30)


def _admin(app):
    from lms.models import Role, User

    user = db.session.scalar(select(User).where(User.role == Role.ADMIN))
    if user is None:
        user = User(name="Admin", email="admin@example.go.id", role=Role.ADMIN, password_hash="x")
        db.session.add(user)
        db.session.commit()
    return user


def test_a_drafts_files_show_in_its_preview_and_in_the_changes(lms_app, lms_client, author):
    def with_image(colour: bytes) -> bytes:
        manifest, _bodies = course_manifest("bergambar", lessons=0)
        manifest["sections"][0]["lessons"] = [{"id": "peta", "title": "Peta", "file": "lessons/peta.md"}]
        return write_package(manifest, {"lessons/peta.md": "![Peta layanan](assets/peta.png)\n"},
                             {"assets/peta.png": colour})

    upload(lms_client, with_image(PNG))
    page = lms_client.get("/author/courses/bergambar/versions/1/peta").get_data(as_text=True)
    assert 'src="assets/peta.png"' in page
    image = lms_client.get("/author/courses/bergambar/versions/1/assets/peta.png")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data == PNG
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert lms_client.get("/author/courses/bergambar/versions/1/assets/tidak-ada.png").status_code == 404
    assert lms_client.get("/learn/bergambar/assets/peta.png").status_code == 404  # a draft: not for learners
    lms_client.submit("/author/courses/bergambar/publish", form_page="/author/courses/bergambar/")
    upload(lms_client, with_image(PNG_2))
    with lms_app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "bergambar"))
        change = versions.diff(versions.published_of(course), versions.draft_of(course))
    assert change.assets.changed == {"assets/peta.png": ["content"]} and not change.lessons


def test_a_draft_with_an_empty_section_is_not_published(lms_app, lms_client, author):
    upload(lms_client, package())
    lms_client.submit("/author/courses/berkala/edit/sections/new", {"title": "Bagian kosong"},
                      form_page="/author/courses/berkala/edit/sections/new")
    page = lms_client.get(lms_client.submit("/author/courses/berkala/publish",
                                            form_page="/author/courses/berkala/").location).get_data(as_text=True)
    assert "Bagian kosong" in page
    with lms_app.app_context():
        assert db.session.scalar(select(CourseVersion.status)) == VersionStatus.DRAFT
