"""Draft versions: published versions are immutable, so edits go to a draft copy."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.database import db
from lms.errors import LmsError
from lms.models import Course, CourseVersion, Lesson, Question, Quiz, Section, VersionStatus


def latest_version(course: Course) -> CourseVersion | None:
    return db.session.scalar(select(CourseVersion).where(CourseVersion.course_id == course.id)
                             .order_by(CourseVersion.number.desc()).limit(1))


def editable_version(course: Course) -> CourseVersion:
    """The course's draft, creating it as a copy of the latest version when there is none.

    The copy is flushed, not committed: the caller commits it with the edit it was made for.
    """
    latest = latest_version(course)
    if latest is None:
        raise LmsError(f"course {course.slug} has no version to edit")
    return latest if latest.status == VersionStatus.DRAFT else copy_version(latest)


def copy_version(source: CourseVersion) -> CourseVersion:
    """A new draft with the same content: sections, lessons, quizzes, questions and assets
    (new rows sharing the same stored blobs)."""
    from lms.services import assets, competencies

    source = db.session.scalar(select(CourseVersion).where(CourseVersion.id == source.id).options(
        selectinload(CourseVersion.sections).selectinload(Section.lessons)))
    number = 1 + db.session.scalar(select(func.max(CourseVersion.number))
                                   .where(CourseVersion.course_id == source.course_id))
    copy = CourseVersion(course_id=source.course_id, number=number, title=source.title,
                         summary=source.summary, language=source.language, jp=source.jp,
                         competency=source.competency, category_id=source.category_id,
                         cover_image=source.cover_image, spbe_domain=source.spbe_domain,
                         certificate_validity_months=source.certificate_validity_months)
    sections = {}
    for section in source.sections:
        sections[section.id] = Section(version=copy, position=section.position, title=section.title)
        for lesson in section.lessons:
            db.session.add(Lesson(version=copy, section=sections[section.id], key=lesson.key,
                                  position=lesson.position, title=lesson.title, type=lesson.type,
                                  required=lesson.required, data=dict(lesson.data), source=lesson.source,
                                  body_html=lesson.body_html, spbe_domain=lesson.spbe_domain))
    for question in db.session.scalars(select(Question).where(Question.version_id == source.id)):
        db.session.add(Question(version=copy, key=question.key, category=question.category,
                                type=question.type, points=question.points,
                                definition=dict(question.definition), text_html=question.text_html))
    for quiz in db.session.scalars(select(Quiz).where(Quiz.version_id == source.id)):
        db.session.add(Quiz(version=copy, section=sections[quiz.section_id], **_quiz_settings(quiz)))
    assets.copy_rows(source, copy)
    db.session.add(copy)
    db.session.flush()  # the caller's change and this copy commit together, or neither does
    competencies.copy_tags(source.id, copy)
    return copy


def _quiz_settings(quiz: Quiz) -> dict:
    fields = ("key", "title", "required", "pass_mark", "time_limit", "max_attempts", "attempt_delay",
              "grading_method", "shuffle_questions", "shuffle_options", "draw_count", "draw_category")
    return {**{name: getattr(quiz, name) for name in fields},
            "question_keys": list(quiz.question_keys), "review": list(quiz.review)}
