"""Course package assets: stored once by content, committed with the import (or not at all),
exported byte for byte, and served only to who may see the course, as passive files."""
from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path
from urllib.parse import urljoin

import pytest
import yaml
from sqlalchemy import func, select

from lms.database import db
from lms.models import Asset, Course, CourseVersion, User
from lms.packages.archive import read_package, write_package
from lms.packages.directory import read_assets
from lms.packages.manifest import parse_manifest
from lms.services import assets, authoring, courses, drafts, packages
from lms.services.courses import PackageInvalid
from lms.testing import course_manifest

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
PNG_2 = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 17
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(64)
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<circle cx="5" cy="5" r="4"/></svg>')
LESSON = "## Peta\n\n![Peta wilayah](assets/img/peta.png)\n\nLihat juga [modul](assets/modul%20satu.pdf).\n"
FILES = {"assets/img/peta.png": PNG, "assets/modul satu.pdf": PDF, "assets/ikon.svg": SVG,
         "assets/klip.mp4": MP4, "assets/salinan.png": PNG}  # the same bytes twice


def package(slug: str = "berpeta", files: dict[str, bytes] | None = None, *, cover: str | None = "assets/img/peta.png",
            lesson: str = LESSON, extra_lessons: list[dict] | None = None) -> tuple[dict, dict[str, str], dict]:
    """A manifest, its text files and its assets: lesson 1 shows a map and links a PDF,
    then a file lesson (the PDF) and a video lesson (the clip)."""
    extra = [{"id": "handout", "title": "Modul", "type": "file", "url": "assets/modul satu.pdf"},
             {"id": "klip", "title": "Klip", "type": "video", "url": "assets/klip.mp4"}]
    manifest, bodies = course_manifest(slug, lessons=1, extra_lessons=extra if extra_lessons is None else extra_lessons)
    bodies["lessons/pelajaran-1.md"] = lesson
    if cover:
        manifest["cover"] = cover
    return manifest, bodies, dict(FILES if files is None else files)


def zipped(slug: str = "berpeta", files: dict[str, bytes] | None = None, **options) -> bytes:
    manifest, bodies, files = package(slug, files, **options)
    return write_package(manifest, bodies, files)


def import_zip(lms_app, tmp_path: Path, data: bytes, *, publish: bool = True) -> int:
    """Import a zip through the same path as the CLI; the new version's id."""
    target = tmp_path / f"paket-{len(list(tmp_path.glob('paket-*')))}.zip"
    target.write_bytes(data)
    with lms_app.app_context():
        return packages.import_path(target, publish=publish).id


def blobs(lms_app) -> set[str]:
    """Names of every file in the app's storage under assets/ (temp files included)."""
    root = Path(lms_app.config["STORAGE_DIR"]) / "assets"
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def enrol(client, slug: str) -> None:
    response = client.submit(f"/courses/{slug}/enrol", form_page=f"/courses/{slug}")
    assert response.status_code == 302, response.status_code


# ------------------------------------------------------------------ storing


def test_import_stores_rows_and_each_blob_once(lms_app, tmp_path):
    first = import_zip(lms_app, tmp_path, zipped())
    assert blobs(lms_app) == {f"{sha(d)[:2]}/{sha(d)}" for d in FILES.values()}  # 4 blobs for 5 files
    second = import_zip(lms_app, tmp_path, zipped(), publish=False)  # same package again
    with lms_app.app_context():
        rows = {(a.version_id, a.path): a for a in db.session.scalars(select(Asset))}
        assert len(rows) == 2 * len(FILES)
        png = rows[first, "assets/img/peta.png"]
        assert (png.content_type, png.size, png.sha256) == ("image/png", len(PNG), sha(PNG))
        assert rows[first, "assets/ikon.svg"].content_type == "image/svg+xml"
        assert rows[second, "assets/modul satu.pdf"].content_type == "application/pdf"
        assert rows[second, "assets/klip.mp4"].content_type == "video/mp4"
        copy = drafts.copy_version(db.session.get(CourseVersion, second))
        assert {a.path for a in assets.of_version(copy)} == set(FILES)
    assert len(blobs(lms_app)) == 4  # re-import and copy: rows only, no new bytes


def test_a_failure_after_the_blobs_were_written_leaves_no_new_file_and_no_row(lms_app, tmp_path, monkeypatch):
    import_zip(lms_app, tmp_path, zipped(files={"assets/img/peta.png": PNG, "assets/modul satu.pdf": PDF,
                                                "assets/klip.mp4": MP4}))
    before = blobs(lms_app)
    original = assets.add_rows

    def add_then_fail(version, stored):
        original(version, stored)
        assert blobs(lms_app) > before  # the new blobs are really written at this point
        raise RuntimeError("database went away")

    monkeypatch.setattr(assets, "add_rows", add_then_fail)
    with pytest.raises(RuntimeError):
        import_zip(lms_app, tmp_path, zipped(files={**FILES, "assets/baru.png": PNG_2}))
    assert blobs(lms_app) == before  # the old blobs stay (version 1 uses them), the new ones are gone
    with lms_app.app_context():
        assert (count(CourseVersion), count(Asset)) == (1, 3)


def test_a_failure_while_writing_blobs_removes_the_ones_already_written(lms_app, tmp_path, monkeypatch):
    from lms.storage import LocalStorage

    written = []
    original = LocalStorage.write

    def write_twice_then_fail(self, name, data):
        if len(written) == 2:
            raise OSError("disk full")
        written.append(name)
        original(self, name, data)

    monkeypatch.setattr(LocalStorage, "write", write_twice_then_fail)
    with pytest.raises(OSError):
        import_zip(lms_app, tmp_path, zipped())
    assert len(written) == 2 and blobs(lms_app) == set()
    with lms_app.app_context():
        assert (count(Course), count(CourseVersion), count(Asset)) == (0, 0, 0)


def test_a_commit_refused_by_the_database_removes_the_new_blobs(lms_app, tmp_path, monkeypatch):
    """Two rows for the same (version, path) break the unique constraint at COMMIT."""
    original = assets.add_rows
    monkeypatch.setattr(assets, "add_rows", lambda version, stored: original(version, [*stored, stored[0]]))
    with pytest.raises(Exception) as caught:
        import_zip(lms_app, tmp_path, zipped())
    assert "unique" in str(caught.value).lower()
    assert blobs(lms_app) == set()
    with lms_app.app_context():
        assert (count(Course), count(CourseVersion), count(Asset)) == (0, 0, 0)


def test_import_version_refuses_references_to_missing_assets(lms_app):
    manifest, bodies, files = package("rujukan")
    spec, problems = parse_manifest(manifest)
    assert not problems
    with lms_app.app_context():
        with pytest.raises(PackageInvalid) as caught:
            courses.import_version(spec, bodies)  # no assets given: every reference is broken
        found = {(p.file, p.where) for p in caught.value.problems}
        assert found == {("course.yaml", "cover"), ("course.yaml", "sections[0].lessons[1].url"),
                         ("course.yaml", "sections[0].lessons[2].url"),
                         ("lessons/pelajaran-1.md", "line 3"), ("lessons/pelajaran-1.md", "line 5")}
        with pytest.raises(PackageInvalid) as caught:
            courses.import_version(spec, bodies, {**files, "assets/skrip.png": b"<html><script>x</script>",
                                                  "lain/x.png": PNG})
        assert {p.file for p in caught.value.problems} == {"assets/skrip.png", "lain/x.png"}
        assert (count(CourseVersion), count(Asset)) == (0, 0)
    assert blobs(lms_app) == set()


def test_the_zip_reader_names_the_lesson_whose_asset_is_missing():
    files = {k: v for k, v in FILES.items() if k != "assets/klip.mp4"}
    result, problems = read_package(zipped(files=files))
    assert result is None
    assert [(p.file, p.where, p.message) for p in problems] == [
        ("course.yaml", "sections[0].lessons[2].url", "lesson 'klip' names assets/klip.mp4, which is not in the archive")]


@pytest.mark.parametrize("url", ["assets/../course.yaml", "assets//x.pdf", "assets/./x.pdf", "assets/a\\b.pdf"])
def test_asset_urls_must_be_plain_relative_paths(lms_app, url):
    manifest, bodies, files = package("jalur", extra_lessons=[{"id": "f", "title": "F", "type": "file", "url": url}])
    spec, _ = parse_manifest(manifest)
    with lms_app.app_context():
        with pytest.raises(PackageInvalid) as caught:
            courses.import_version(spec, bodies, files)
    assert any("plain relative paths" in p.message for p in caught.value.problems)


# ------------------------------------------------------------------ export and folders


def test_export_includes_the_assets_and_the_round_trip_is_lossless(lms_app, tmp_path):
    first = import_zip(lms_app, tmp_path, zipped())
    with lms_app.app_context():
        exported = packages.export_zip(db.session.get(CourseVersion, first))
    result, problems = read_package(exported)
    assert problems == [] and result.assets == FILES
    assert result.spec.cover == "assets/img/peta.png"
    assert [lesson.entry.get("url") for lesson in result.spec.lessons()][1:] == ["assets/modul satu.pdf",
                                                                                 "assets/klip.mp4"]
    second = import_zip(lms_app, tmp_path, exported, publish=False)
    with lms_app.app_context():
        again = packages.export_zip(db.session.get(CourseVersion, second))
    assert again == exported  # same paths, same bytes, same everything


def unpack(folder: Path, manifest: dict, bodies: dict[str, str], files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True)
    (folder / "course.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False))
    for name, content in [*((n, t.encode()) for n, t in bodies.items()), *files.items()]:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    return folder


def test_a_folder_imports_with_its_assets(lms_app, tmp_path):
    manifest, bodies, files = package("dari-folder")
    folder = unpack(tmp_path / "kursus", manifest, bodies, files)
    (folder / "assets" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")  # skipped like in a zip
    with lms_app.app_context():
        version = packages.import_path(folder)
        assert {a.path: a.sha256 for a in assets.of_version(version)} == {p: sha(d) for p, d in files.items()}
        assert assets.files_of(version) == files


def test_a_folder_with_a_bad_asset_is_refused_whole(lms_app, tmp_path):
    manifest, bodies, files = package("folder-rusak")
    folder = unpack(tmp_path / "kursus", manifest, bodies,
                    {**files, "assets/foto.png": b"MZ\x90\x00" + bytes(60), "assets/x.svg":
                     b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'})
    os.symlink("/etc/passwd", folder / "assets" / "tautan.png")
    found, problems = read_assets(folder)
    assert found == {}
    assert {(p.file, p.message.split(":")[0].split(" (")[0]) for p in problems} == {
        ("assets/foto.png", "disguised executable"), ("assets/x.svg", "SVG with <script> is not allowed"),
        ("assets/tautan.png", "symbolic links are not allowed")}
    with lms_app.app_context():
        with pytest.raises(PackageInvalid):
            packages.import_path(folder)
        assert count(CourseVersion) == 0
    assert blobs(lms_app) == set()


# ------------------------------------------------------------------ serving


@pytest.fixture
def course_with_assets(lms_app, tmp_path):
    """'berpeta' published with FILES; returns the URL prefix of its assets."""
    import_zip(lms_app, tmp_path, zipped())
    return "/learn/berpeta/assets/"


def test_a_markdown_image_renders_in_the_lesson_and_loads(course_with_assets, lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user())
    enrol(lms_client, "berpeta")
    page_url = "/learn/berpeta/pelajaran-1"
    page = lms_client.get(page_url).get_data(as_text=True)
    assert '<img alt="Peta wilayah" src="assets/img/peta.png">' in page  # the sanitiser keeps it
    assert '<a href="assets/modul%20satu.pdf" rel="noopener noreferrer">modul</a>' in page
    image = lms_client.get(urljoin(page_url, "assets/img/peta.png"))
    assert image.status_code == 200 and image.data == PNG
    assert lms_client.get(urljoin(page_url, "assets/modul%20satu.pdf")).data == PDF


def test_file_and_video_lessons_point_at_the_packaged_files(course_with_assets, lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user())
    enrol(lms_client, "berpeta")
    handout = lms_client.get("/learn/berpeta/handout").get_data(as_text=True)
    assert 'href="assets/modul satu.pdf" download>⬇ modul satu.pdf</a>' in handout
    assert lms_client.get(urljoin("/learn/berpeta/handout", "assets/modul satu.pdf")).data == PDF
    video = lms_client.get("/learn/berpeta/klip").get_data(as_text=True)
    assert '<video class="video" controls preload="metadata" src="assets/klip.mp4">' in video
    response = lms_client.get("/learn/berpeta/assets/klip.mp4", headers={"Range": "bytes=0-7"})
    assert response.status_code == 206 and response.data == MP4[:8]  # seeking works


@pytest.mark.parametrize("path, mimetype, csp_has_sandbox", [
    ("img/peta.png", "image/png", True), ("ikon.svg", "image/svg+xml", True),
    ("klip.mp4", "video/mp4", True), ("modul%20satu.pdf", "application/pdf", False),
])
def test_assets_are_served_as_passive_files(course_with_assets, lms_client, lms_auth, lms_user,
                                            path, mimetype, csp_has_sandbox):
    lms_auth.login(lms_user())
    enrol(lms_client, "berpeta")
    response = lms_client.get(course_with_assets + path)
    assert response.status_code == 200 and response.mimetype == mimetype
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    csp = response.headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'") and ("; sandbox" in csp) == csp_has_sandbox
    assert response.headers["Content-Disposition"].startswith("inline; filename=")
    assert {"private", "no-cache"} <= {p.strip() for p in response.headers["Cache-Control"].split(",")}
    assert response.headers["ETag"] == f'"{sha(response.data)}"'
    again = lms_client.get(course_with_assets + path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["X-Content-Type-Options"] == "nosniff"


def test_a_non_ascii_file_name_gets_a_safe_content_disposition(lms_app, tmp_path, lms_client, lms_auth, lms_user):
    files = {"assets/img/peta.png": PNG, "assets/modul satu.pdf": PDF, "assets/klip.mp4": MP4,
             'assets/pétа "x".png': PNG}
    import_zip(lms_app, tmp_path, zipped("nama", files=files))
    lms_auth.login(lms_user())
    enrol(lms_client, "nama")
    response = lms_client.get("/learn/nama/assets/p%C3%A9t%D0%B0%20%22x%22.png")
    disposition = response.headers["Content-Disposition"]
    assert response.status_code == 200 and disposition.startswith("inline;")
    assert "filename*=UTF-8''p%C3%A9t%D0%B0%20%22x%22.png" in disposition
    assert "\n" not in disposition and '"x"' not in disposition.split("filename*")[0].replace('\\"', "")


@pytest.mark.parametrize("who, expected", [
    ("anonymous", 302), ("learner", 404), ("enrolled", 200), ("own-author", 200), ("other-author", 404),
    ("admin", 200),
])
def test_who_may_load_an_asset(lms_app, course_with_assets, lms_client, lms_auth, lms_user, who, expected):
    if who != "anonymous":
        user = lms_user({"enrolled": "learner", "own-author": "author", "other-author": "author"}.get(who, who))
        lms_auth.login(user)
        if who == "enrolled":
            enrol(lms_client, "berpeta")
        if who == "own-author":
            with lms_app.app_context():
                authoring.add_author(db.session.scalar(select(Course)), db.session.get(User, user.id))
    response = lms_client.get(course_with_assets + "img/peta.png")
    assert response.status_code == expected
    if expected == 200:
        assert response.data == PNG
    elif who == "anonymous":
        assert response.location.startswith("/login")
    else:
        assert PNG not in response.data


def test_leaving_the_course_closes_its_assets(course_with_assets, lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user())
    enrol(lms_client, "berpeta")
    assert lms_client.get(course_with_assets + "img/peta.png").status_code == 200
    lms_client.submit("/courses/berpeta/leave", form_page="/courses/berpeta")
    assert lms_client.get(course_with_assets + "img/peta.png").status_code == 404


@pytest.mark.parametrize("path", [
    "tidak-ada.png", "img/", "img", "../course.yaml", "img/../img/peta.png", "%2e%2e/%2e%2e/etc/passwd",
    "img/..%2f..%2fcourse.yaml", "..%5c..%5ccourse.yaml", "/etc/passwd", "IMG/PETA.PNG",
    "img/peta.png%00.txt", "./img/peta.png",
])
def test_unknown_paths_and_traversal_attempts_are_404(course_with_assets, lms_client, lms_auth, lms_user, path):
    lms_auth.login(lms_user("admin"))
    response = lms_client.get(course_with_assets + path, follow_redirects=True)  # "//" is merged (308)
    assert response.status_code == 404 and PNG not in response.data


def test_a_draft_only_asset_is_not_served_to_learners(lms_app, course_with_assets, tmp_path, lms_client,
                                                      lms_auth, lms_user):
    import_zip(lms_app, tmp_path, zipped(files={**FILES, "assets/baru.png": PNG_2}), publish=False)
    lms_auth.login(lms_user())
    enrol(lms_client, "berpeta")
    assert lms_client.get(course_with_assets + "img/peta.png").status_code == 200
    assert lms_client.get(course_with_assets + "baru.png").status_code == 404
    lms_auth.logout()
    lms_auth.login(lms_user("admin"))  # authors too: this route serves the published version
    assert lms_client.get(course_with_assets + "baru.png").status_code == 404


def test_send_serves_any_version_for_a_preview_route(lms_app, course_with_assets, tmp_path):
    draft = import_zip(lms_app, tmp_path, zipped(files={**FILES, "assets/baru.png": PNG_2}), publish=False)
    with lms_app.test_request_context("/"):
        version = db.session.get(CourseVersion, draft)
        response = assets.send(version, "assets/baru.png")
        response.direct_passthrough = False
        assert response.status_code == 200 and response.get_data() == PNG_2
        from werkzeug.exceptions import NotFound

        with pytest.raises(NotFound):
            assets.send(version, "assets/../course.yaml")


def test_a_missing_blob_is_a_404_not_a_crash(lms_app, course_with_assets, lms_client, lms_auth, lms_user):
    root = Path(lms_app.config["STORAGE_DIR"])
    (root / assets.blob_key(sha(SVG))).unlink()
    lms_auth.login(lms_user("admin"))
    assert lms_client.get(course_with_assets + "ikon.svg").status_code == 404


# ------------------------------------------------------------------ covers


def test_the_cover_is_public_and_shown_on_the_catalog(course_with_assets, lms_client, lms_course):
    lms_course("tanpa-sampul")
    response = lms_client.get("/courses/berpeta/cover")
    assert response.status_code == 200 and response.data == PNG and response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "public" in response.headers["Cache-Control"] and response.headers["ETag"] == f'"{sha(PNG)}"'
    img = '<img class="cover" src="/courses/berpeta/cover" alt="Sampul Kursus berpeta"'
    assert img in lms_client.get("/courses").get_data(as_text=True)
    assert img in lms_client.get("/courses/berpeta").get_data(as_text=True)
    assert 'class="cover"' not in lms_client.get("/courses/tanpa-sampul").get_data(as_text=True)
    assert lms_client.get("/courses/tanpa-sampul/cover").status_code == 404


def test_a_cover_that_is_no_stored_asset_is_not_served(lms_app, tmp_path, lms_client):
    import_zip(lms_app, tmp_path, zipped("jauh", cover="https://example.go.id/sampul.png"))
    import_zip(lms_app, tmp_path, zipped("draf"), publish=False)
    assert lms_client.get("/courses/jauh/cover").status_code == 404
    assert 'class="cover"' not in lms_client.get("/courses").get_data(as_text=True)
    assert lms_client.get("/courses/draf/cover").status_code == 404  # not published


def test_catalog_covers_cost_one_query_whatever_the_page_size(lms_app, tmp_path, lms_client, lms_queries):
    def catalog_queries() -> int:
        with lms_queries() as queries:
            page = lms_client.get("/courses").get_data(as_text=True)
        return queries.count, page.count('class="cover"')

    import_zip(lms_app, tmp_path, zipped("sampul-0"))
    one = catalog_queries()
    for n in range(1, 6):
        import_zip(lms_app, tmp_path, zipped(f"sampul-{n}"))
    assert catalog_queries() == (one[0], 6) and one[1] == 1


def test_export_of_a_zip_without_assets_still_has_none(lms_app, lms_course):
    course = lms_course("polos")
    with lms_app.app_context():
        data = packages.export_zip(db.session.get(CourseVersion, course.version_id))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert not [n for n in archive.namelist() if n.startswith("assets/")]


def test_an_uploaded_package_keeps_its_assets(lms_app, lms_user):
    author = lms_user("author")
    with lms_app.app_context():
        version = packages.import_upload(zipped("unggah"), "unggah.zip", db.session.get(User, author.id))
        assert assets.files_of(version) == FILES
