"""Import and export of course packages: CLI, lossless round trip, clear refusals."""
from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import func, select

from lms.database import db
from lms.models import Course, CourseVersion
from lms.services import packages

DEMO = Path(__file__).parent.parent / "lms" / "demo" / "courses"


def unpack(folder: Path, manifest: dict, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    (folder / "course.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False))
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def test_import_export_import_is_lossless(lms_app, tmp_path):
    with lms_app.app_context():
        first = packages.import_path(DEMO / "pelayanan-publik-prima", publish=True)
        manifest, files = packages.export_version(first)
        second = packages.import_path(unpack(tmp_path / "again", manifest, files))
        again, again_files = packages.export_version(second)
        assert (again, again_files) == (manifest, files)
        assert second.number == 2 and len(second.lessons) == len(first.lessons) == 7
        assert manifest["sections"][-1]["quizzes"][0]["id"] == "kuis-akhir"


def test_cli_imports_and_exports(lms_app, lms_runner, tmp_path):
    result = lms_runner.invoke(args=["lms", "import-course", str(DEMO / "literasi-digital-asn"), "--publish"])
    assert result.exit_code == 0 and "literasi-digital-asn version 1 imported, published" in result.output
    target = tmp_path / "export.zip"
    result = lms_runner.invoke(args=["lms", "export-course", "literasi-digital-asn", str(target)])
    assert result.exit_code == 0 and target.read_bytes()[:2] == b"PK"
    result = lms_runner.invoke(args=["lms", "import-course", str(target)])
    assert result.exit_code == 0 and "version 2 imported, draft" in result.output
    missing = lms_runner.invoke(args=["lms", "export-course", "tidak-ada", str(tmp_path / "x.zip")])
    assert missing.exit_code == 1 and "no such course" in missing.output


def test_cli_refuses_a_bad_package_with_readable_lines_and_writes_nothing(lms_app, lms_runner, tmp_path):
    folder = unpack(tmp_path / "rusak", {"format": "lms-course/1", "slug": "Rusak!", "jp": -3,
                                          "sections": []}, {})
    result = lms_runner.invoke(args=["lms", "import-course", str(folder)])
    assert result.exit_code == 1
    assert "package refused" in result.output and "course.yaml: slug" in result.output
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Course)) == 0
        assert db.session.scalar(select(func.count()).select_from(CourseVersion)) == 0


def zipped(slug: str = "unggahan", **changes) -> bytes:
    from lms.packages.archive import write_package
    from lms.testing import course_manifest

    manifest, bodies = course_manifest(slug, lessons=2)
    return write_package({**manifest, **changes}, bodies, {})


def upload(client, data: bytes, name: str = "kursus.zip"):
    import io

    token = client.csrf_token("/author/import")
    response = client.post("/author/import", content_type="multipart/form-data",
                           data={"csrf_token": token, "package": (io.BytesIO(data), name)})
    if response.status_code == 302 and response.location.startswith("/author/imports/"):
        return client.get(response.location)  # the import job ran after the upload (eager in tests)
    return response


def test_author_uploads_a_package_as_a_draft_and_owns_the_new_course(lms_app, lms_client, lms_auth, lms_user):
    author = lms_user("author")
    lms_auth.login(author)
    response = upload(lms_client, zipped())
    assert response.status_code == 302 and response.location == "/author/courses/unggahan/"
    with lms_app.app_context():
        version = db.session.scalar(select(CourseVersion))
        assert (version.number, version.status.value) == (1, "draft")
        assert [u.email for u in version.course.authors] == [author.email]
    assert lms_client.get("/courses/unggahan").status_code == 404  # not published yet
    lms_client.submit("/author/courses/unggahan/publish", form_page="/author/courses/unggahan/questions")
    assert lms_client.get("/courses/unggahan").status_code == 200


def test_a_refused_upload_lists_its_problems_and_writes_nothing(lms_app, lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user("author"))
    response = upload(lms_client, zipped(slug="Bukan Slug", jp="banyak"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "course.yaml: slug" in page and "course.yaml: jp" in page
    assert upload(lms_client, b"bukan zip sama sekali").status_code == 400
    assert upload(lms_client, zipped(), name="kursus.exe").status_code == 400
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Course)) == 0


def test_an_author_cannot_add_versions_to_someone_elses_course(lms_app, lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user("author"))
    upload(lms_client, zipped())
    lms_auth.logout()
    lms_auth.login(lms_user("author"))
    assert upload(lms_client, zipped()).status_code == 403
    lms_auth.logout()
    lms_auth.login(lms_user("admin"))
    assert upload(lms_client, zipped()).status_code == 302  # admins may
    with lms_app.app_context():
        assert sorted(db.session.scalars(select(CourseVersion.number))) == [1, 2]


def test_learners_cannot_upload(lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user())
    assert lms_client.get("/author/import").status_code == 403


EXAMPLE = Path(__file__).parent.parent / "docs" / "examples" / "contoh-kursus"


def test_the_documented_example_package_imports_and_round_trips(lms_app, tmp_path):
    """docs/examples/contoh-kursus uses every core lesson type, both quiz formats and assets."""
    from lms.services import assets

    with lms_app.app_context():
        first = packages.import_path(EXAMPLE, publish=True)
        assert [lesson.type for lesson in first.lessons] == ["markdown", "file", "video", "markdown", "link"]
        assert sorted(a.path for a in assets.of_version(first)) == [
            "assets/daftar-periksa.pdf", "assets/img/alur-surat.png", "assets/img/sampul.png"]
        archive = tmp_path / "contoh.zip"
        archive.write_bytes(packages.export_zip(first))
        second = packages.import_path(archive)
        assert packages.export_zip(second) == archive.read_bytes()
        assert assets.files_of(second) == assets.files_of(first)
