"""A course's versions side by side: what a draft changes, publishing it, going back.

Authors publish with their eyes open: the diff names every lesson, quiz and question a
draft adds, removes or changes, and how many learners have progress on lessons that
would disappear. Going back never rewrites history: restoring copies an old version into
a new one, so learners' progress (keyed by lesson id) carries over like any publish.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from lms.database import db
from lms.errors import LmsError
from lms.models import (Asset, Attempt, Course, CourseVersion, Enrollment, Lesson, LessonProgress,
                        Question, Quiz, Section, VersionStatus)
from lms.services import courses, drafts

#: Course fields an author sets in course.yaml, compared by value.
METADATA = ("title", "summary", "language", "jp", "competency", "category_id", "cover_image",
            "certificate_validity_months")
#: Quiz settings compared by value (the questions are compared separately).
QUIZ_SETTINGS = ("title", "required", "pass_mark", "time_limit", "max_attempts", "attempt_delay",
                 "grading_method", "shuffle_questions", "shuffle_options", "draw_count",
                 "draw_category", "question_keys", "review")


class VersionError(LmsError):
    """A version action that does not fit the course's state (shown to the author)."""


@dataclass
class Changes:
    """Keys added, removed and changed (key -> what changed) for one kind of item."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass
class VersionDiff:
    """What publishing `new` changes for learners who saw `old` (None: first version)."""

    old: CourseVersion | None
    new: CourseVersion
    metadata: list[str]
    lessons: Changes
    quizzes: Changes
    questions: Changes
    #: Files under assets/, by path; "changed" means other bytes.
    assets: Changes = field(default_factory=Changes)
    #: Learners whose completed lessons would no longer be in the course.
    learners_losing_lessons: int = 0
    titles: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.metadata or self.lessons or self.quizzes or self.questions or self.assets)


def versions_of(course: Course) -> list[CourseVersion]:
    """Every version of a course, newest first."""
    return list(db.session.scalars(select(CourseVersion).where(CourseVersion.course_id == course.id)
                                   .order_by(CourseVersion.number.desc())))


def published_of(course: Course) -> CourseVersion | None:
    return db.session.scalar(select(CourseVersion).where(
        CourseVersion.course_id == course.id, CourseVersion.status == VersionStatus.PUBLISHED))


def draft_of(course: Course) -> CourseVersion | None:
    latest = drafts.latest_version(course)
    return latest if latest is not None and latest.status == VersionStatus.DRAFT else None


def diff(old: CourseVersion | None, new: CourseVersion) -> VersionDiff:
    """Compare two versions of one course by stable ids (a fixed number of queries)."""
    old_lessons, new_lessons = _lessons(old), _lessons(new)
    old_quizzes, new_quizzes = _quizzes(old), _quizzes(new)
    old_questions, new_questions = _questions(old), _questions(new)
    lessons = _compare(old_lessons, new_lessons, _lesson_changes)
    result = VersionDiff(
        old=old, new=new,
        metadata=[name for name in METADATA if old is not None and getattr(old, name) != getattr(new, name)],
        lessons=lessons,
        quizzes=_compare(old_quizzes, new_quizzes, _quiz_changes),
        questions=_compare(old_questions, new_questions, _question_changes),
        assets=_compare(_assets(old), _assets(new), lambda a, b: [] if a == b else ["content"]),
        titles={key: item.title for key, item in {**old_lessons, **new_lessons,
                                                  **old_quizzes, **new_quizzes}.items()})
    if old is not None and lessons.removed:
        result.learners_losing_lessons = _learners_with_progress(new.course_id, lessons.removed)
    return result


def publish_draft(course: Course) -> CourseVersion:
    """Publish the course's draft; learners move to it on their next page."""
    draft = draft_of(course)
    if draft is None:
        raise VersionError(_("There is no draft to publish."))
    empty = _empty_sections(draft)
    if empty:
        raise VersionError(_("Every section needs at least one lesson before the course is published. "
                             "Without a lesson: %(titles)s", titles=", ".join(empty)))
    courses.publish(draft)
    return draft


def _empty_sections(version: CourseVersion) -> list[str]:
    """Titles of the version's sections that hold no lesson (a package cannot have them)."""
    return list(db.session.scalars(
        select(Section.title).where(Section.version_id == version.id,
                                    ~select(Lesson.id).where(Lesson.section_id == Section.id).exists())
        .order_by(Section.position)))


def restore(course: Course, number: int) -> CourseVersion:
    """Publish a copy of an earlier version as the newest one.

    Refused while a draft exists: the copy would silently bury the author's pending edits.
    """
    source = db.session.scalar(select(CourseVersion).where(
        CourseVersion.course_id == course.id, CourseVersion.number == number))
    if source is None:
        raise VersionError(_("Version %(n)d does not exist.", n=number))
    if source.status == VersionStatus.PUBLISHED:
        raise VersionError(_("Version %(n)d is already the published one.", n=number))
    if draft_of(course) is not None:
        raise VersionError(_("Publish or discard the current draft before restoring an older version."))
    copy = drafts.copy_version(source)
    courses.publish(copy)
    return copy


def discard_draft(course: Course) -> int:
    """Delete the course's draft (its sections, lessons, quizzes and questions go with it)."""
    draft = draft_of(course)
    if draft is None:
        raise VersionError(_("There is no draft to discard."))
    if db.session.scalar(select(func.count()).select_from(Attempt).join(Quiz, Attempt.quiz_id == Quiz.id)
                         .where(Quiz.version_id == draft.id)):
        raise VersionError(_("This draft has quiz attempts and cannot be discarded."))
    number = draft.number
    for model in (Question, Quiz, Lesson, Section):
        db.session.execute(delete(model).where(model.version_id == draft.id))
    db.session.delete(draft)
    db.session.commit()
    return number


# --------------------------------------------------------------------------- loading


def _lessons(version: CourseVersion | None) -> dict[str, Lesson]:
    if version is None:
        return {}
    query = (select(Lesson).where(Lesson.version_id == version.id)
             .options(selectinload(Lesson.section)).order_by(Lesson.position))
    return {lesson.key: lesson for lesson in db.session.scalars(query)}


def _quizzes(version: CourseVersion | None) -> dict[str, Quiz]:
    if version is None:
        return {}
    query = select(Quiz).where(Quiz.version_id == version.id).order_by(Quiz.id)
    return {quiz.key: quiz for quiz in db.session.scalars(query)}


def _questions(version: CourseVersion | None) -> dict[str, Question]:
    if version is None:
        return {}
    query = select(Question).where(Question.version_id == version.id).order_by(Question.key)
    return {question.key: question for question in db.session.scalars(query)}


def _assets(version: CourseVersion | None) -> dict[str, str]:
    """{path: sha256} of a version's files."""
    if version is None:
        return {}
    return dict(db.session.execute(select(Asset.path, Asset.sha256).where(Asset.version_id == version.id)
                                   .order_by(Asset.path)).all())


def _learners_with_progress(course_id: int, keys: list[str]) -> int:
    return db.session.scalar(
        select(func.count(func.distinct(LessonProgress.enrollment_id)))
        .join(Enrollment, Enrollment.id == LessonProgress.enrollment_id)
        .where(Enrollment.course_id == course_id, LessonProgress.lesson_key.in_(keys)))


# --------------------------------------------------------------------------- comparing


def _compare(old: dict, new: dict, changes_of) -> Changes:
    result = Changes(added=[k for k in new if k not in old], removed=[k for k in old if k not in new])
    for key in new:
        if key in old:
            what = changes_of(old[key], new[key])
            if what:
                result.changed[key] = what
    return result


def _lesson_changes(old: Lesson, new: Lesson) -> list[str]:
    what = [name for name in ("title", "type", "required") if getattr(old, name) != getattr(new, name)]
    if (old.source, old.data, old.body_html) != (new.source, new.data, new.body_html):
        what.append("content")
    if old.section.title != new.section.title:
        what.append("section")
    return what


def _quiz_changes(old: Quiz, new: Quiz) -> list[str]:
    return [name for name in QUIZ_SETTINGS if getattr(old, name) != getattr(new, name)]


def _question_changes(old: Question, new: Question) -> list[str]:
    return [name for name in ("type", "category", "points", "definition")
            if getattr(old, name) != getattr(new, name)]
