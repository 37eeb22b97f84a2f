"""install-curricula: plugins' course packages installed, skipped when unchanged, upgraded."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from lms.database import db
from lms.models import Course, CourseVersion, Enrollment, VersionStatus
from lms.packages.archive import write_package
from lms.plugin import hookimpl
from lms.services import progress
from lms.testing import course_manifest


class ShelfPlugin:
    """Contributes whatever packages a test puts on its shelf."""

    lms_api = "1.1"

    def __init__(self):
        self.shelf: list[Path] = []

    @hookimpl
    def register_curricula(self):
        return list(self.shelf)


SHELF = ShelfPlugin()
pytestmark = pytest.mark.lms_config(PLUGIN_OBJECTS={"rak": SHELF})


@pytest.fixture(autouse=True)
def empty_shelf():
    SHELF.shelf.clear()
    yield
    SHELF.shelf.clear()


def folder(root: Path, slug: str, lessons: dict[str, str]) -> Path:
    """A package folder whose one section holds `lessons` (id -> body)."""
    manifest, _ = course_manifest(slug, lessons=0)
    manifest["sections"][0]["lessons"] = [{"id": k, "title": k.title(), "file": f"lessons/{k}.md"}
                                          for k in lessons]
    target = root / slug
    (target / "lessons").mkdir(parents=True, exist_ok=True)
    for old in (target / "lessons").iterdir():
        old.unlink()
    (target / "course.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    for key, body in lessons.items():
        (target / "lessons" / f"{key}.md").write_text(body, encoding="utf-8")
    return target


def install(runner, *args: str):
    return runner.invoke(args=["lms", "install-curricula", *args])


def test_installs_then_skips_then_upgrades_keeping_progress(lms_app, lms_runner, lms_client, lms_auth,
                                                            lms_user, tmp_path):
    SHELF.shelf.append(folder(tmp_path, "rak-satu", {"a": "A", "b": "B"}))
    result = install(lms_runner)
    assert result.exit_code == 0 and "rak: rak-satu version 1 installed, published" in result.output
    lms_auth.login(lms_user())
    lms_client.submit("/courses/rak-satu/enrol", form_page="/courses/rak-satu")
    lms_client.submit("/learn/rak-satu/a/complete", form_page="/learn/rak-satu/a")
    assert "unchanged (version 1)" in install(lms_runner).output
    folder(tmp_path, "rak-satu", {"a": "A diperbarui", "c": "C"})
    result = install(lms_runner)
    assert result.exit_code == 0 and "rak-satu version 2 installed, published" in result.output
    with lms_app.app_context():
        enrolment = db.session.scalar(select(Enrollment))
        assert progress.done_keys(enrolment) == {"a"}
        statuses = db.session.scalars(select(CourseVersion.status).order_by(CourseVersion.number)).all()
        assert statuses == [VersionStatus.SUPERSEDED, VersionStatus.PUBLISHED]


def test_a_refused_package_installs_nothing_but_the_others_go_in(lms_app, lms_runner, tmp_path):
    broken = folder(tmp_path, "rak-rusak", {"a": "A"})
    (broken / "course.yaml").write_text("format: lms-course/1\nslug: Rak Rusak\n", encoding="utf-8")
    SHELF.shelf += [broken, folder(tmp_path, "rak-baik", {"a": "A"})]
    result = install(lms_runner)
    assert result.exit_code == 1
    assert "rak: rak-rusak refused: course.yaml: slug" in result.output
    assert "rak-baik version 1 installed" in result.output
    with lms_app.app_context():
        assert db.session.scalars(select(Course.slug)).all() == ["rak-baik"]


def test_zip_packages_and_drafts(lms_app, lms_runner, tmp_path):
    manifest, bodies = course_manifest("rak-zip", lessons=2)
    archive = tmp_path / "rak-zip.zip"
    archive.write_bytes(write_package(manifest, bodies, {}))
    SHELF.shelf.append(archive)
    result = install(lms_runner, "--draft")
    assert result.exit_code == 0 and "rak-zip version 1 installed, draft" in result.output
    archive.write_bytes(write_package({**manifest, "jp": 9}, bodies, {}))
    refused = install(lms_runner)
    assert refused.exit_code == 1 and "an author's draft is waiting" in refused.output
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseVersion)) == 1


def test_an_unknown_plugin_is_an_error(lms_runner):
    result = install(lms_runner, "--plugin", "tidak-ada")
    assert result.exit_code == 1 and "not enabled or ships no curricula" in result.output


def test_a_missing_package_path_is_refused_with_its_name(lms_runner, tmp_path):
    SHELF.shelf.append(tmp_path / "hilang")
    result = install(lms_runner)
    assert result.exit_code == 1 and "hilang: no such package file or folder" in result.output
