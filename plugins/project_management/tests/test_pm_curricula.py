"""The bundled courses: valid lms-course/1 packages that import through the real CLI."""
from __future__ import annotations

import io
import re
import zipfile

import pytest
import yaml

import lms_project_management
from lms_project_management import curriculum_dirs
from lms_project_management.question_types import ScheduleQuestion

PLUGIN = {"project_management": lms_project_management}
COURSES = {path.name: path for path in curriculum_dirs()}
#: Courses whose quizzes use the plugin's own `schedule` type: they import only with it enabled.
NEEDS_PLUGIN = {"pm-jadwal-dan-jalur-kritis"}
LESSON_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CORE_TYPES = {"single", "multiple", "truefalse", "short", "numerical", "matching", "ordering"}


def manifest(slug: str) -> dict:
    return yaml.safe_load((COURSES[slug] / "course.yaml").read_text(encoding="utf-8"))


def prose_words(markdown: str) -> int:
    """Words of running text: without fenced code blocks and table rows."""
    text = re.sub(r"```.*?```", "", markdown, flags=re.S)
    return len(" ".join(line for line in text.splitlines() if not line.lstrip().startswith("|")).split())


def test_three_courses_with_unique_pm_slugs():
    assert sorted(COURSES) == ["pm-jadwal-dan-jalur-kritis", "pm-pengendalian-dan-risiko", "pm-perencanaan-proyek"]
    assert sorted(manifest(slug)["slug"] for slug in COURSES) == sorted(COURSES)


@pytest.mark.parametrize("slug", sorted(COURSES))
def test_manifest_follows_the_curriculum_rules(slug):
    data = manifest(slug)
    assert data["format"] == "lms-course/1" and data["language"] == "id"
    assert data["competency"] == "manajerial" and data["category"] == "manajemen-proyek"
    assert 2 <= data["jp"] <= 6 and len(data["summary"]) > 200
    assert 2 <= len(data["sections"]) <= 4
    lessons = [lesson for section in data["sections"] for lesson in section["lessons"]]
    assert 5 <= len(lessons) <= 8
    ids = [lesson["id"] for lesson in lessons]
    assert len(set(ids)) == len(ids) and all(LESSON_ID.fullmatch(key) for key in ids)
    for lesson in lessons:  # stable ids: the file is named after the id
        assert lesson["file"] == f"lessons/{lesson['id']}.md"
    files = {p.relative_to(COURSES[slug]).as_posix() for p in COURSES[slug].rglob("*") if p.is_file()}
    quizzes = [section["quiz"] for section in data["sections"] if "quiz" in section]
    assert files == {"course.yaml"} | {lesson["file"] for lesson in lessons} | {q["file"] for q in quizzes}
    assert not (COURSES[slug] / "assets").exists()


@pytest.mark.parametrize("slug", sorted(COURSES))
def test_lessons_are_substantial_indonesian_texts(slug):
    for section in manifest(slug)["sections"]:
        for lesson in section["lessons"]:
            body = (COURSES[slug] / lesson["file"]).read_text(encoding="utf-8")
            assert 400 <= prose_words(body) <= 650, (lesson["file"], prose_words(body))
            assert "## Rangkuman" in body and "**Refleksi:**" in body
            assert "<script" not in body.lower() and "](/" not in body and "assets/" not in body


@pytest.mark.parametrize("slug", sorted(COURSES))
def test_each_course_has_a_required_final_quiz(slug):
    sections = manifest(slug)["sections"]
    final = sections[-1]["quiz"]
    assert final.get("required", True) and final["pass"] == 70 and final["attempts"] == 3


def imported(runner, path):
    result = runner.invoke(args=["lms", "import-course", str(path), "--publish"])
    return result


@pytest.mark.parametrize("slug", sorted(set(COURSES) - NEEDS_PLUGIN))
def test_core_only_courses_import_without_the_plugin(lms_runner, slug):
    result = imported(lms_runner, COURSES[slug])
    assert result.exit_code == 0, result.output
    assert f"{slug} version 1 imported, published" in result.output


def test_the_scheduling_course_needs_the_plugin(lms_runner):
    result = imported(lms_runner, COURSES["pm-jadwal-dan-jalur-kritis"])
    assert result.exit_code == 1
    assert "unknown question type 'schedule'" in result.output


@pytest.mark.lms_config(PLUGIN_OBJECTS=PLUGIN)
@pytest.mark.parametrize("slug", sorted(COURSES))
def test_every_course_imports_exports_and_reimports_with_the_plugin(lms_runner, tmp_path, slug):
    result = imported(lms_runner, COURSES[slug])
    assert result.exit_code == 0, result.output
    exported = tmp_path / f"{slug}.zip"
    result = lms_runner.invoke(args=["lms", "export-course", slug, str(exported)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(exported) as archive:
        names = archive.namelist()
        quiz_files = [n for n in names if n.startswith("quizzes/") or "/quizzes/" in n]
        questions = [q for n in quiz_files for q in _questions(archive.read(n))]
    result = imported(lms_runner, exported)  # the export imports back as version 2
    assert result.exit_code == 0 and f"{slug} version 2 imported" in result.output, result.output
    check_questions(slug, questions)


def _questions(data: bytes) -> list[dict]:
    loaded = yaml.safe_load(io.BytesIO(data))
    return loaded["questions"] if isinstance(loaded, dict) else loaded


def check_questions(slug: str, questions: list[dict]) -> None:
    """Mixed core types with feedback; the scheduling course also uses `schedule`."""
    ids = [q["id"] for q in questions]
    assert len(set(ids)) == len(ids)
    kinds = {q["type"] for q in questions}
    assert len(kinds & CORE_TYPES) >= 6, kinds
    final = [q for q in questions if "latihan" not in q.get("category", "")]
    assert 10 <= len(final) <= 15, len(final)
    for q in questions:
        assert q["text"].strip()
        assert _has_feedback(q), q["id"]
    if slug in NEEDS_PLUGIN:
        schedules = [q for q in questions if q["type"] == "schedule"]
        assert len(schedules) >= 3
        source = {q["id"]: q for f in sorted((COURSES[slug] / "quizzes").glob("*.yaml"))
                  for q in _questions(f.read_bytes())}
        for q in schedules:  # the definition survives import and export unchanged
            assert ScheduleQuestion().validate(q) == [], q["id"]
            assert {k: v for k, v in q.items() if k != "points" or v != 1} == source[q["id"]]


def _has_feedback(q: dict) -> bool:
    if q.get("feedback"):
        return True
    if q["type"] in ("single", "multiple"):
        return all(o.get("feedback") for o in q["options"])
    if q["type"] == "truefalse":
        return bool(q.get("feedback_true") and q.get("feedback_false"))
    if q["type"] in ("short", "numerical"):
        return all(a.get("feedback") for a in q["answers"])
    return False
