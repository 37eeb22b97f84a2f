"""The digital-service curricula are valid lms-course/1 packages for the core importer.

Each course folder is imported through the real ``flask lms import-course`` command on a
fresh test app, then exported again with ``flask lms export-course``: the exported package
(the public format, docs/package-format.md) must hold every lesson and question we wrote.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
import yaml

#: Same folder as conftest.CURRICULA_DIR (not imported: every plugin suite has a conftest module).
CURRICULA_DIR = Path(__file__).resolve().parents[1] / "lms_digital_service" / "curricula"
SLUGS = ("ds-pengantar-spbe", "ds-desain-layanan-digital", "ds-pengaduan-dan-layanan-responsif")
CORE_TYPES = {"single", "multiple", "truefalse", "short", "matching", "ordering"}
KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def manifest(slug: str) -> dict:
    return yaml.safe_load((CURRICULA_DIR / slug / "course.yaml").read_text(encoding="utf-8"))


def lessons_of(data: dict) -> list[dict]:
    return [lesson for section in data["sections"] for lesson in section["lessons"]]


def quizzes_of(data: dict) -> list[dict]:
    found = []
    for section in data["sections"]:
        if "quiz" in section:
            found.append(section["quiz"])
        found.extend(section.get("quizzes") or [])
    return found


def test_every_curriculum_folder_is_listed():
    folders = sorted(p.name for p in CURRICULA_DIR.iterdir() if (p / "course.yaml").is_file())
    assert folders == sorted(SLUGS)


@pytest.mark.parametrize("slug", SLUGS)
def test_manifest_follows_the_curriculum_rules(slug):
    data = manifest(slug)
    assert data["format"] == "lms-course/1"
    assert data["slug"] == slug and slug.startswith("ds-")
    assert data["language"] == "id"
    assert data["category"] == "layanan-digital"
    assert data["competency"] in {"teknis", "manajerial"}
    assert 2 <= data["jp"] <= 6
    assert len(data["summary"]) > 100
    assert 2 <= len(data["sections"]) <= 4
    lessons = lessons_of(data)
    ids = [lesson["id"] for lesson in lessons] + [quiz["id"] for quiz in quizzes_of(data)]
    assert len(ids) == len(set(ids))
    assert all(KEBAB.fullmatch(key) for key in ids), ids
    texts = [lesson for lesson in lessons if lesson.get("type", "markdown") == "markdown"]
    assert 5 <= len(texts) <= 8
    for lesson in texts:
        words = len((CURRICULA_DIR / slug / lesson["file"]).read_text(encoding="utf-8").split())
        assert 400 <= words <= 700, f"{lesson['file']}: {words} words"
    for lesson in lessons:
        if lesson.get("type") == "link":
            assert lesson["url"].startswith("https://")
    assert quizzes_of(data), "every course has a quiz"


@pytest.mark.parametrize("slug", SLUGS)
def test_imports_through_the_core_importer(slug, lms_runner, tmp_path):
    folder = CURRICULA_DIR / slug
    result = lms_runner.invoke(args=["lms", "import-course", str(folder)])
    assert result.exit_code == 0, result.output
    assert f"{slug} version 1 imported" in result.output

    # What the importer stored, read back through the public export format.
    exported = tmp_path / f"{slug}.zip"
    result = lms_runner.invoke(args=["lms", "export-course", slug, str(exported), "--version", "1"])
    assert result.exit_code == 0, result.output
    source = manifest(slug)
    with zipfile.ZipFile(exported) as archive:
        stored = yaml.safe_load(archive.read("course.yaml"))
        banks = {name: yaml.safe_load(archive.read(name)) for name in archive.namelist()
                 if name.startswith("quizzes/")}

    assert len(lessons_of(stored)) == len(lessons_of(source))
    assert [lesson["id"] for lesson in lessons_of(stored)] == [lesson["id"] for lesson in lessons_of(source)]
    assert (stored["jp"], stored["competency"], stored["category"]) == \
        (source["jp"], source["competency"], source["category"])

    questions = [question for bank in banks.values() for question in bank]
    assert 10 <= len(questions) <= 15
    assert CORE_TYPES <= {question["type"] for question in questions}
    for question in questions:
        if question["type"] in {"single", "multiple"}:
            assert all(option.get("feedback") for option in question["options"]), question["id"]
        if question["type"] == "truefalse":
            assert question.get("feedback_true") and question.get("feedback_false"), question["id"]


def test_reimport_makes_a_new_version(lms_runner):
    folder = CURRICULA_DIR / SLUGS[0]
    assert lms_runner.invoke(args=["lms", "import-course", str(folder), "--publish"]).exit_code == 0
    result = lms_runner.invoke(args=["lms", "import-course", str(folder)])
    assert result.exit_code == 0, result.output
    assert f"{SLUGS[0]} version 2 imported" in result.output


def test_folders_hold_only_package_files():
    for slug in SLUGS:
        for path in (CURRICULA_DIR / slug).rglob("*"):
            if path.is_file():
                relative = path.relative_to(CURRICULA_DIR / slug)
                assert relative == Path("course.yaml") or relative.parts[0] in {"lessons", "quizzes"}, relative
