"""SCORM 1.2 packages in: a lesson of a course package, a whole course from a bare SCORM zip,
export and import again, and a lesson uploaded in the browser editor."""
from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.database import db
from lms.models import Asset, Course, CourseVersion, Lesson, User
from lms.packages.archive import write_package
from lms.services import authoring, packages
from lms.services.courses import PackageInvalid

FIXTURE = Path(__file__).parent / "fixtures" / "scorm12"
SLUG = "paket-scorm"


def fixture_files(prefix: str = "") -> dict[str, bytes]:
    return {prefix + p.relative_to(FIXTURE).as_posix(): p.read_bytes() for p in FIXTURE.rglob("*") if p.is_file()}


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def package_with_scorm(lesson: dict | None = None, files: dict[str, bytes] | None = None) -> bytes:
    lesson = lesson or {"id": "modul-1", "title": "Modul 1", "type": "scorm", "path": "assets/scorm/modul-1",
                        "item": "ITEM-PENGENALAN"}
    manifest = {"format": "lms-course/1", "slug": SLUG, "title": "Paket SCORM", "jp": 2, "competency": "teknis",
                "sections": [{"title": "Satu", "lessons": [
                    {"id": "pengantar", "title": "Pengantar", "file": "lessons/pengantar.md"}, lesson]}]}
    files = files if files is not None else fixture_files("assets/scorm/modul-1/")
    return write_package(manifest, {"lessons/pengantar.md": "# Pengantar"}, files)


def test_a_scorm_lesson_in_a_package_imports_and_round_trips(lms_app, tmp_path):
    from lms.services import assets

    archive = tmp_path / "paket.zip"
    archive.write_bytes(package_with_scorm())
    with lms_app.app_context():
        first = packages.import_path(archive, publish=True)
        lesson = next(lesson for lesson in first.lessons if lesson.type == "scorm")
        assert lesson.data == {"path": "assets/scorm/modul-1", "item": "ITEM-PENGENALAN"}
        stored = {a.path: a.content_type for a in assets.of_version(first)}
        assert stored["assets/scorm/modul-1/sco/index.html"] == "text/html"
        assert stored["assets/scorm/modul-1/sco/sco.js"] == "text/javascript"
        exported = tmp_path / "ekspor.zip"
        exported.write_bytes(packages.export_zip(first))
        manifest, _files = packages.export_version(first)
        assert manifest["sections"][0]["lessons"][1] == {
            "id": "modul-1", "title": "Modul 1", "type": "scorm", "path": "assets/scorm/modul-1",
            "item": "ITEM-PENGENALAN"}
        second = packages.import_path(exported)
        assert packages.export_zip(second) == exported.read_bytes()
        assert assets.files_of(second) == assets.files_of(first)


def test_a_package_folder_with_a_scorm_lesson_imports(lms_app, tmp_path):
    folder = tmp_path / "paket"
    with zipfile.ZipFile(io.BytesIO(package_with_scorm())) as archive:
        archive.extractall(folder)
    with lms_app.app_context():
        version = packages.import_path(folder)
        assert [lesson.type for lesson in version.lessons] == ["markdown", "scorm"]


@pytest.mark.parametrize("lesson, files, file, message", [
    ({"id": "m", "title": "M", "type": "scorm", "path": "assets/scorm/kosong"}, {}, "course.yaml",
     "assets/scorm/kosong holds no imsmanifest.xml"),
    ({"id": "m", "title": "M", "type": "scorm", "path": "assets/scorm/modul-1", "item": "TIDAK-ADA"}, None,
     "course.yaml", "has no launchable item 'TIDAK-ADA'"),
    ({"id": "m", "title": "M", "type": "scorm", "path": "assets/../rahasia"}, {}, "course.yaml",
     "path: must be a plain relative folder"),
    ({"id": "m", "title": "M", "type": "scorm"}, {}, "course.yaml", "path: required"),
    (None, {**fixture_files("assets/scorm/modul-1/"), "assets/scorm/modul-1/imsmanifest.xml":
            (FIXTURE / "imsmanifest.xml").read_bytes().replace(b"sco/index.html\"", b"sco/hilang.html\"")},
     "assets/scorm/modul-1/imsmanifest.xml", "names assets/scorm/modul-1/sco/hilang.html"),
    (None, {**fixture_files("assets/scorm/modul-1/"), "assets/scorm/modul-1/alat.exe": b"MZ\x90\x00"},
     "assets/scorm/modul-1/alat.exe", "disguised executable"),
])
def test_bad_scorm_lessons_are_refused_naming_the_file(lms_app, lms_user, lesson, files, file, message):
    author = lms_user("author")
    with lms_app.app_context():
        with pytest.raises(PackageInvalid) as refused:
            packages.import_upload(package_with_scorm(lesson, files), "paket.zip", db.session.get(User, author.id))
        assert any(p.file == file and message in p.message for p in refused.value.problems), refused.value.problems
        assert db.session.scalar(select(CourseVersion)) is None


def test_a_bare_scorm_zip_is_uploaded_as_a_whole_course(lms_app, lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user("author"))
    data = {"package": (io.BytesIO(zip_of(fixture_files())), "keamanan.zip"),
            "csrf_token": lms_client.csrf_token("/author/import")}
    response = lms_client.get(lms_client.post("/author/import", data=data,
                                              content_type="multipart/form-data").location)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location.endswith("/author/courses/keamanan-informasi-dasar/")
    with lms_app.app_context():
        version = db.session.scalar(select(CourseVersion))
        assert (version.title, version.jp, version.status.value) == ("Keamanan Informasi Dasar", 2, "draft")
        assert version.summary.startswith("Modul uji SCORM 1.2")
        assert [(lesson.key, lesson.data["item"]) for lesson in version.lessons] == [
            ("item-pengenalan", "ITEM-PENGENALAN"), ("item-ringkasan", "ITEM-RINGKASAN")]
    preview = lms_client.get("/author/courses/keamanan-informasi-dasar/versions/1/item-pengenalan")
    assert preview.status_code == 200 and b"data-scorm" in preview.data


def test_a_scorm_2004_zip_is_refused_on_upload(lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user("author"))
    files = fixture_files()
    files["imsmanifest.xml"] = files["imsmanifest.xml"].replace(
        b"<schemaversion>1.2</schemaversion>", b"<schemaversion>2004 3rd Edition</schemaversion>")
    data = {"package": (io.BytesIO(zip_of(files)), "baru.zip"), "csrf_token": lms_client.csrf_token("/author/import")}
    response = lms_client.get(lms_client.post("/author/import", data=data,
                                              content_type="multipart/form-data").location)
    assert response.status_code == 400
    assert "SCORM 2004" in response.get_data(as_text=True) and "imsmanifest.xml" in response.get_data(as_text=True)


def test_the_command_line_imports_a_bare_scorm_zip(lms_runner, tmp_path):
    target = tmp_path / "scorm.zip"
    target.write_bytes(zip_of(fixture_files()))
    result = lms_runner.invoke(args=["lms", "import-course", str(target)])
    assert result.exit_code == 0, result.output


# ------------------------------------------------------------------------- the editor


@pytest.fixture
def authored(lms_app, lms_course, lms_auth, lms_user):
    course = lms_course("disunting", lessons=1)
    author = lms_user("author")
    with lms_app.app_context():
        authoring.add_author(db.session.get(Course, course.id), db.session.get(User, author.id))
    lms_auth.login(author)
    return "/author/courses/disunting/edit"


def upload(client, url: str, archive: bytes, **fields):
    data = {"key": "modul-scorm", "title": "Modul SCORM", "section": "0", "required": "y",
            "package": (io.BytesIO(archive), "modul.zip"), "csrf_token": client.csrf_token(url), **fields}
    return client.post(url, data=data, content_type="multipart/form-data")


def test_the_editor_adds_a_scorm_lesson_to_a_draft(lms_app, lms_client, authored):
    page = lms_client.get(f"{authored}/")
    assert f"{authored}/sections/0/scorm/new" in page.get_data(as_text=True)
    response = upload(lms_client, f"{authored}/sections/0/scorm/new", zip_of(fixture_files("modul/")))
    assert response.status_code == 302, response.get_data(as_text=True)
    with lms_app.app_context():
        draft = db.session.scalar(select(CourseVersion).where(CourseVersion.number == 2))
        lesson = db.session.scalar(select(Lesson).where(Lesson.version_id == draft.id, Lesson.key == "modul-scorm"))
        assert lesson.type == "scorm" and lesson.data == {"path": "assets/scorm/modul-scorm"}
        paths = set(db.session.scalars(select(Asset.path).where(Asset.version_id == draft.id)))
        assert "assets/scorm/modul-scorm/sco/index.html" in paths and "assets/scorm/modul-scorm/imsmanifest.xml" in paths
    changes = lms_client.get("/author/courses/disunting/")
    assert changes.status_code == 200 and "Modul SCORM" in changes.get_data(as_text=True)
    # Its other fields are edited with the lesson form; the manifest is checked again.
    edit = lms_client.submit(f"{authored}/lessons/modul-scorm", {"title": "Modul baru", "type": "scorm",
                                                                  "section": "0", "required": "y"})
    assert edit.status_code == 302
    # A new package replaces the files; the lesson keeps its id.
    files = fixture_files()
    files["sco/tambahan.css"] = b"p { color: red }"
    replaced = upload(lms_client, f"{authored}/lessons/modul-scorm/scorm", zip_of(files), item="ITEM-RINGKASAN")
    assert replaced.status_code == 302, replaced.get_data(as_text=True)
    with lms_app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.key == "modul-scorm", Lesson.version_id == draft.id))
        assert lesson.title == "Modul SCORM" and lesson.data["item"] == "ITEM-RINGKASAN"
        assert db.session.scalar(select(Asset.id).where(
            Asset.version_id == draft.id, Asset.path == "assets/scorm/modul-scorm/sco/tambahan.css"))


@pytest.mark.parametrize("archive, message", [
    (b"bukan zip", "not a valid zip archive"),
    (zip_of({"index.html": b"<html></html>"}), "no imsmanifest.xml"),
    (zip_of({**fixture_files(), "virus.exe": b"MZ\x90"}), "disguised executable"),
    (zip_of({**fixture_files(), "imsmanifest.xml": b"<manifest><resources>"}), "not well-formed XML"),
])
def test_the_editor_refuses_bad_scorm_zips_and_writes_nothing(lms_app, lms_client, authored, archive, message):
    response = upload(lms_client, f"{authored}/sections/0/scorm/new", archive)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with lms_app.app_context():
        assert db.session.scalar(select(CourseVersion).where(CourseVersion.number == 2)) is None


def test_the_editor_upload_needs_csrf_and_authorship(lms_client, lms_auth, lms_user, authored):
    data = {"key": "x", "title": "X", "section": "0", "package": (io.BytesIO(zip_of(fixture_files())), "m.zip")}
    assert lms_client.post(f"{authored}/sections/0/scorm/new", data=data,
                           content_type="multipart/form-data").status_code == 400
    lms_auth.logout()
    lms_auth.login(lms_user("author"))
    assert lms_client.get(f"{authored}/sections/0/scorm/new").status_code == 404


def test_the_fixture_folder_is_a_valid_package(tmp_path):
    """The fixture itself (a SCORM zip authors would upload) stays valid."""
    copy = tmp_path / "scorm12"
    shutil.copytree(FIXTURE, copy)
    assert (copy / "imsmanifest.xml").exists()
