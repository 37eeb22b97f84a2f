"""Progress through a course: visiting and completing lessons, and completing the course."""
from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from lms import events
from lms.completion import CompletionState
from lms.database import db
from lms.lessons import Completion
from lms.models import (CourseVersion, Enrollment, EnrollmentStatus, Lesson, LessonProgress,
                        VersionStatus)
from lms.registry import completion_rules, lesson_type_for

log = logging.getLogger(__name__)


def done_keys(enrollment: Enrollment) -> frozenset[str]:
    return frozenset(db.session.scalars(
        select(LessonProgress.lesson_key).where(LessonProgress.enrollment_id == enrollment.id)))


def enrollment_and_done(user_id: int, course_id: int) -> tuple[Enrollment | None, frozenset[str]]:
    """The learner's enrolment in a course and the keys of the lessons they completed, in one
    query (lesson pages need both on every request)."""
    keys = (select(func.aggregate_strings(LessonProgress.lesson_key, " "))
            .where(LessonProgress.enrollment_id == Enrollment.id)
            .correlate(Enrollment).scalar_subquery())
    row = db.session.execute(select(Enrollment, keys).where(
        Enrollment.user_id == user_id, Enrollment.course_id == course_id)).first()
    if row is None:
        return None, frozenset()
    return row[0], frozenset((row[1] or "").split())


def open_lesson(enrollment: Enrollment, outline, lesson, done: frozenset[str]) -> frozenset[str]:
    """Open a lesson for the learner: remember where they are (the resume point), tell plugins
    (``lesson_viewed``, once committed), and complete a lesson of a "view" type; returns the
    keys done after it. Works from the version's outline.

    Only a lesson that completes on opening, opened for the first time, needs the version
    and lesson rows (the completion rules read them); every other opening writes at most
    the resume point.
    """
    if enrollment.last_lesson_key != lesson.key:  # a reload writes nothing
        enrollment.last_lesson_key = lesson.key
    events.enqueue("lesson_viewed", enrollment=enrollment, lesson=lesson)
    if lesson.key in done or lesson_type_for(lesson.type).completion != Completion.VIEW:
        events.commit()
        return done
    complete_lesson(enrollment, db.session.get(CourseVersion, outline.version_id), lesson.row())
    return done | {lesson.key}


def complete_lesson(enrollment: Enrollment, version: CourseVersion, lesson: Lesson) -> bool:
    """Record the lesson as done (once, even under double clicks) and complete the course
    when every rule is met. Returns True if this call recorded it."""
    progress_id = _insert_ignore(enrollment.id, lesson.key)
    if progress_id is not None:
        events.enqueue("lesson_completed", progress=db.session.get(LessonProgress, progress_id))
    evaluate(enrollment, version)
    events.commit()
    return progress_id is not None


def _insert_ignore(enrollment_id: int, key: str) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the new row's id, or None if it existed.

    Concurrent requests can neither duplicate the row nor fail on the unique constraint.
    """
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return db.session.scalar(
        dialect.insert(LessonProgress)
        .values(enrollment_id=enrollment_id, lesson_key=key,
                completed_at=dt.datetime.now(dt.timezone.utc))
        .on_conflict_do_nothing(index_elements=["enrollment_id", "lesson_key"])
        .returning(LessonProgress.id))


def evaluate(enrollment: Enrollment, version: CourseVersion) -> bool:
    """Complete the enrolment if every completion rule is met; exactly once (guarded UPDATE)."""
    if enrollment.completed_at is not None:
        return False
    from lms.services.quizzes import passed_quiz_keys

    state = CompletionState(enrollment, version, done_keys(enrollment),
                            passed_quiz_keys(enrollment.user_id, enrollment.course_id, version))
    if not all(_rule_met(rule, state) for rule in completion_rules().values()):
        return False
    now = dt.datetime.now(dt.timezone.utc)
    won = db.session.scalar(
        update(Enrollment)
        .where(Enrollment.id == enrollment.id, Enrollment.completed_at.is_(None))
        .values(status=EnrollmentStatus.COMPLETED, completed_at=now,
                completed_version_id=version.id, jp_awarded=version.jp)
        .returning(Enrollment.id)
        .execution_options(synchronize_session=False))
    if won is None:
        return False  # a concurrent request completed it first
    db.session.refresh(enrollment)
    events.enqueue("course_completed", enrollment=enrollment)
    from lms.services.certificates import issue_for_enrollment

    issue_for_enrollment(enrollment)  # same transaction: completion and certificate together
    return True


def _rule_met(rule, state: CompletionState) -> bool:
    """A rule that raises counts as not met: completion is never granted by accident.

    Except when the database failed under it: the transaction is lost then (PostgreSQL
    refuses every later statement, a dropped connection all of them), so the error goes up
    and the whole request fails cleanly (503) instead of committing a graded attempt or a
    completed lesson without the course completion it should have brought.
    """
    try:
        return bool(rule.is_met(state))
    except DBAPIError:
        raise
    except Exception:
        log.exception("completion rule %s failed", rule.key)
        if current_app.config["PLUGIN_ERRORS"] == "raise":
            raise
        return False


def progress_by_enrollment(enrollments: list[Enrollment]) -> dict[int, tuple[int, int]]:
    """{enrollment id: (required lessons done, required lessons)} in two queries."""
    if not enrollments:
        return {}
    course_ids = {e.course_id for e in enrollments}
    totals = dict(db.session.execute(
        select(CourseVersion.course_id, func.count(Lesson.id))
        .join(Lesson, Lesson.version_id == CourseVersion.id)
        .where(CourseVersion.course_id.in_(course_ids), CourseVersion.status == VersionStatus.PUBLISHED,
               Lesson.required.is_(True))
        .group_by(CourseVersion.course_id)).all())
    done = dict(db.session.execute(
        select(LessonProgress.enrollment_id, func.count(LessonProgress.id))
        .join(Enrollment, Enrollment.id == LessonProgress.enrollment_id)
        .join(CourseVersion, and_(CourseVersion.course_id == Enrollment.course_id,
                                  CourseVersion.status == VersionStatus.PUBLISHED))
        .join(Lesson, and_(Lesson.version_id == CourseVersion.id, Lesson.key == LessonProgress.lesson_key,
                           Lesson.required.is_(True)))
        .where(LessonProgress.enrollment_id.in_([e.id for e in enrollments]))
        .group_by(LessonProgress.enrollment_id)).all())
    return {e.id: (done.get(e.id, 0), totals.get(e.course_id, 0)) for e in enrollments}
