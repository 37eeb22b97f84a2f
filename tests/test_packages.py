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
