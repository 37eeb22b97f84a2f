"""xAPI statements for learning events, sent to a configured LRS through the react hooks.

Implemented exactly as a third-party plugin would: each public react hook turns its event
into statements (lms.xapi.statements) and queues them in the outbox (lms.services.xapi) in
a small transaction of its own, after the learner's change has committed; a background
thread or ``flask lms send-xapi`` posts them. With ``XAPI_ENDPOINT`` empty (the default)
every hook returns at once: no statement, no query. See docs/xapi.md.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select

from lms.database import db
from lms.errors import StartupError
from lms.hookspecs import LMS_PLUGIN_API, hookimpl
from lms.models import (Course, CourseVersion, Enrollment, Lesson, User, VersionStatus,
                        XapiStatus)
from lms.xapi import statements as xs
from lms.xapi.settings import XapiConfigError, XapiSettings, is_enabled

lms_api = LMS_PLUGIN_API


@hookimpl
def startup(app):
    """Refuse to start with unusable xAPI settings, naming the variable."""
    try:
        XapiSettings.from_config(app.config)
    except XapiConfigError as exc:
        raise StartupError(f"xAPI settings: {exc}") from None


# ------------------------------------------------------------------------ react hooks


@hookimpl
def learner_enrolled(enrollment):
    if not _on():
        return
    course = _course_info(enrollment.course_id)
    _queue(enrollment.user_id, "registered",
           xs.registered(_site(), _learner(enrollment.user), course, enrollment.id, _now()))


@hookimpl
def lesson_viewed(enrollment, lesson):
    if not _on():
        return
    version = lesson.version
    course = xs.CourseInfo(version.course.slug, version.title, version.language, version.number)
    _queue(enrollment.user_id, "launched",
           xs.launched(_site(), _learner(enrollment.user), course, enrollment.id, lesson.key,
                       lesson.title, _now()))


@hookimpl
def lesson_completed(progress):
    if not _on():
        return
    enrollment = progress.enrollment
    course = _course_info(enrollment.course_id)
    title = _lesson_title(enrollment.course_id, progress.lesson_key)
    _queue(enrollment.user_id, "completed",
           xs.lesson_completed(_site(), _learner(enrollment.user), course, enrollment.id, progress.id,
                               progress.lesson_key, title, progress.completed_at or _now()))


@hookimpl
def quiz_graded(attempt):
    """One "answered" per question of the attempt, then "passed" or "failed" for the quiz."""
    if not _on():
        return
    from lms.registry import question_types

    site, quiz = _site(), attempt.quiz
    version = quiz.version
    course = xs.CourseInfo(version.course.slug, version.title, version.language, version.number)
    learner, enrollment_id = _learner(attempt.user), _enrollment_id(attempt.user_id, attempt.course_id)
    info = xs.QuizInfo(quiz.key, quiz.title)
    finished = attempt.submitted_at or _now()
    taken = xs.AttemptInfo(attempt.id, attempt.number, attempt.points, attempt.max_points,
                           attempt.score or 0.0, bool(attempt.passed), attempt.started_at, finished)
    registry = question_types()
    answers = [xs.AnswerInfo(q.slot, q.question_key, q.definition or {}, q.points, q.response,
                             q.fraction, _manual(registry, q.definition))
               for q in attempt.questions]
    items = [(attempt.user_id, "answered",
              xs.answered(site, learner, course, enrollment_id, info, taken, answer))
             for answer in answers]
    result = xs.quiz_result(site, learner, course, enrollment_id, info, taken)
    items.append((attempt.user_id, "passed" if attempt.passed else "failed", result))
    _queue_all(items)


@hookimpl
def course_completed(enrollment):
    if not _on():
        return
    version = enrollment.completed_version
    course = xs.CourseInfo(enrollment.course.slug, version.title, version.language, version.number) \
        if version is not None else _course_info(enrollment.course_id)
    _queue(enrollment.user_id, "completed",
           xs.course_completed(_site(), _learner(enrollment.user), course, enrollment.id,
                               enrollment.completed_at or _now(), enrollment.jp_awarded))


@hookimpl
def certificate_issued(certificate):
    if not _on():
        return
    slug = db.session.scalar(select(Course.slug).where(Course.id == certificate.course_id))
    course = xs.CourseInfo(slug, certificate.course_title, certificate.language,
                           certificate.course_version)
    _queue(certificate.user_id, "earned",
           xs.certificate_earned(_site(), _learner(certificate.user), course,
                                 certificate.enrollment_id, certificate.id, certificate.number,
                                 certificate.jp, certificate.issued_at or _now()))


@hookimpl
def certificate_revoked(certificate, reason):
    """Void the certificate's "earned" statement, if one was queued (the LRS may have it)."""
    if not _on():
        return
    from lms.services import xapi as outbox

    site = _site()
    earned = xs.statement_id(site, f"certificate:{certificate.id}")
    if outbox.statement_status(earned) in (XapiStatus.PENDING, XapiStatus.SENT):
        _queue(certificate.user_id, "voided",
               xs.certificate_voided(site, certificate.id, certificate.revoked_at or _now()))


# ------------------------------------------------------------------------ helpers


def _on() -> bool:
    return is_enabled(current_app.config)


def _site() -> xs.Site:
    config = current_app.config
    return xs.Site(str(config["BASE_URL"]), str(config.get("XAPI_ACTOR") or "account").lower())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _learner(user: User) -> xs.Learner:
    return xs.Learner(user.id, user.name, user.email, user.nip)


def _queue(user_id: int | None, verb: str, statement: dict) -> None:
    _queue_all([(user_id, verb, statement)])


def _queue_all(items: list[tuple[int | None, str, dict]]) -> None:
    from lms.services import xapi as outbox

    if outbox.queue([outbox.Queued(user_id, verb, statement) for user_id, verb, statement in items]):
        outbox.kick()


def _course_info(course_id: int) -> xs.CourseInfo:
    """The course as learners see it now: its published version (else its latest)."""
    row = db.session.execute(
        select(Course.slug, CourseVersion.title, CourseVersion.language, CourseVersion.number)
        .join(CourseVersion, CourseVersion.course_id == Course.id).where(Course.id == course_id)
        .order_by((CourseVersion.status == VersionStatus.PUBLISHED).desc(), CourseVersion.number.desc())
        .limit(1)).first()
    return xs.CourseInfo(*row)


def _lesson_title(course_id: int, key: str) -> str:
    title = db.session.scalar(
        select(Lesson.title).join(CourseVersion, CourseVersion.id == Lesson.version_id)
        .where(CourseVersion.course_id == course_id, CourseVersion.status == VersionStatus.PUBLISHED,
               Lesson.key == key))
    return title or key


def _enrollment_id(user_id: int, course_id: int) -> int | None:
    return db.session.scalar(select(Enrollment.id).where(Enrollment.user_id == user_id,
                                                         Enrollment.course_id == course_id))


def _manual(registry, definition) -> bool:
    kind = (definition or {}).get("type")
    return kind in registry and bool(registry.get(kind).manual)
