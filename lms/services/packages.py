"""Course packages in and out: import a lms-course/1 zip or folder, export a version.

Export writes what import reads, so import -> export -> import gives the same course:
Markdown lessons keep their source, other lesson types their manifest fields (stored in
``lesson.data``), quizzes their settings and a YAML file with their questions, and the
version's assets come back byte for byte under their package paths.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from lms.database import db
from lms.errors import LmsError
from lms.models import Course, CourseVersion, Question, Quiz, Section, VersionStatus
from lms.packages.directory import read_assets, read_directory
from lms.packages.manifest import FORMAT
from lms.packages.question_yaml import dump_question_yaml
from lms.services import assets, competencies, courses, evaluation
from lms.services.courses import PackageInvalid


def import_path(path: Path, publish: bool = False) -> CourseVersion:
    """Import a package from a zip file or an unpacked folder, as a new (draft) version."""
    if path.is_dir():
        spec, bodies, problems = read_directory(path)
        files, asset_problems = read_assets(path)
        problems = problems + asset_problems
    else:
        from lms.packages.archive import read_package

        package, problems = read_package(path.read_bytes(), file=path.name)
        spec, bodies, files = (package.spec, package.bodies, package.assets) if package else (None, {}, {})
    if problems:
        raise PackageInvalid(problems)
    version = courses.import_version(spec, bodies, files)
    if publish:
        courses.publish(version)
    return version


class NotYourCourse(LmsError):
    """The package's slug names a course the uploader may not author."""


def import_upload(data: bytes, filename: str, uploader) -> CourseVersion:
    """Import an uploaded zip as a draft; a new course gets the uploader as its author.

    Checked before anything is written: the archive, every file in it, and the uploader's
    right to the slug (an author cannot add versions to someone else's course).
    """
    from lms.packages.archive import read_package
    from lms.services import authoring

    package, problems = read_package(data, file=filename or "package.zip")
    if problems:
        raise PackageInvalid(problems)
    existing = db.session.scalar(select(Course).where(Course.slug == package.spec.slug))
    if existing is not None and not authoring.can_author(uploader, existing):
        raise NotYourCourse(package.spec.slug)
    version = courses.import_version(package.spec, package.bodies, package.assets)
    if existing is None and uploader.role.value != "admin":
        authoring.add_author(version.course, uploader)
    return version


def find_version(slug: str, number: int | None = None) -> CourseVersion:
    """A course's version by number, or its published one (else its latest)."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise courses.CourseNotFound(slug)
    query = select(CourseVersion).where(CourseVersion.course_id == course.id)
    if number is not None:
        version = db.session.scalar(query.where(CourseVersion.number == number))
    else:
        version = db.session.scalar(query.where(CourseVersion.status == VersionStatus.PUBLISHED)) \
            or db.session.scalar(query.order_by(CourseVersion.number.desc()).limit(1))
    if version is None:
        raise courses.CourseNotFound(f"{slug} version {number}")
    return version


def export_version(version: CourseVersion) -> tuple[dict, dict[str, str]]:
    """The manifest mapping and the text files (lessons, quiz questions) of a version."""
    version = db.session.scalar(select(CourseVersion).where(CourseVersion.id == version.id))
    files: dict[str, str] = {}
    quizzes = _quizzes_by_section(version)
    bank = {q.key: q.definition for q in db.session.scalars(
        select(Question).where(Question.version_id == version.id).order_by(Question.key))}
    manifest = {"format": FORMAT, "slug": version.course.slug, "title": version.title,
                "language": version.language, "jp": version.jp, "competency": version.competency.value,
                "summary": version.summary}
    if version.category is not None:
        manifest["category"] = version.category.slug
    if version.cover_image:
        manifest["cover"] = version.cover_image
    if version.course.certificate_template:
        manifest["certificate_template"] = version.course.certificate_template
    if version.certificate_validity_months:
        manifest["certificate"] = {"valid_for_months": version.certificate_validity_months}
    if version.spbe_domain:
        manifest["spbe_domain"] = version.spbe_domain.value
    if (evaluation_section := evaluation.manifest_section(version.course_id)) is not None:
        manifest["evaluation"] = evaluation_section
    if codes := competencies.version_codes(version.id):
        manifest["competencies"] = codes
    tags = competencies.lesson_codes(version.id)
    manifest["sections"] = [_section(section, quizzes.get(section.id, []), bank, files, tags)
                            for section in version.sections]
    return manifest, files


def _section(section: Section, quizzes: list[Quiz], bank: dict[str, dict], files: dict[str, str],
             tags: dict[str, list[str]]) -> dict:
    entry = {"title": section.title, "lessons": [_lesson(lesson, files, tags) for lesson in section.lessons]}
    if quizzes:
        entry["quizzes"] = [_quiz(quiz, bank, files) for quiz in quizzes]
    return entry


def _lesson(lesson, files: dict[str, str], tags: dict[str, list[str]]) -> dict:
    entry = {"id": lesson.key, "title": lesson.title}
    if lesson.type == "markdown":
        entry["file"] = f"lessons/{lesson.key}.md"
        files[entry["file"]] = lesson.source or ""
    else:
        entry["type"] = lesson.type
        entry.update({k: v for k, v in lesson.data.items() if v not in ("", None)})
    if not lesson.required:
        entry["required"] = False
    if lesson.spbe_domain:
        entry["spbe_domain"] = lesson.spbe_domain.value
    if lesson.key in tags:
        entry["competencies"] = tags[lesson.key]
    return entry


def _quiz(quiz: Quiz, bank: dict[str, dict], files: dict[str, str]) -> dict:
    """A quiz's settings and its question file (its listed questions, or its category's)."""
    keys = quiz.question_keys or [k for k, d in bank.items()
                                  if str(d.get("category", "")).startswith(quiz.draw_category)]
    path = f"quizzes/{quiz.key}.yaml"
    files[path] = dump_question_yaml([bank[k] for k in keys if k in bank])
    entry = {"id": quiz.key, "title": quiz.title, "file": path, "pass": quiz.pass_mark,
             "grading": quiz.grading_method.value, "shuffle": quiz.shuffle_questions,
             "shuffle_options": quiz.shuffle_options, "review": list(quiz.review), "required": quiz.required}
    optional = {"time_limit": quiz.time_limit, "attempts": quiz.max_attempts, "draw": quiz.draw_count}
    entry.update({k: v for k, v in optional.items() if v is not None})
    if quiz.attempt_delay:
        entry["delay"] = quiz.attempt_delay
    if quiz.draw_category:
        entry["category"] = quiz.draw_category
    return entry


def _quizzes_by_section(version: CourseVersion) -> dict[int, list[Quiz]]:
    grouped: dict[int, list[Quiz]] = {}
    for quiz in db.session.scalars(select(Quiz).where(Quiz.version_id == version.id).order_by(Quiz.id)):
        grouped.setdefault(quiz.section_id, []).append(quiz)
    return grouped


def export_zip(version: CourseVersion) -> bytes:
    """The version as a lms-course/1 zip that imports back to the same course, assets included."""
    from lms.packages.archive import write_package

    manifest, files = export_version(version)
    return write_package(manifest, files, assets.files_of(version))
