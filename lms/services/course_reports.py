"""Course reports: enrolments, completions, quiz scores and time to complete, per course.

Counted (docs/reports.md): enrolments that were not withdrawn; completions are those with a
completion time. The average best quiz score takes each learner's best graded attempt per
quiz of the course, then averages those. The time to complete is ``completed_at -
enrolled_at``; its median is computed in SQL with window functions (portable to SQLite,
which has no percentile function). A unit admin's reports count only learners of their unit
subtree (the same Scope as the JP report); admins see everyone, or one unit when they ask.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Float, and_, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from lms.database import db
from lms.models import (Attempt, AttemptState, Course, CourseVersion, Enrollment, EnrollmentStatus, Unit,
                        User)
from lms.services.jp_reports import Scope

#: Digits and slash of one level of a unit path.
_LEVEL = 9


class seconds_between(FunctionElement):
    """Seconds from the first to the second timestamp, as a float, on SQLite and PostgreSQL."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between)
def _seconds_sqlite(element, compiler, **kw):
    start, end = list(element.clauses)
    return f"((julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element, compiler, **kw):
    start, end = list(element.clauses)
    return f"EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)}))"


@dataclass
class CourseStats:
    course_id: int
    slug: str
    title: str
    enrolments: int = 0
    completions: int = 0
    #: 0-100, or None when nobody in scope finished a graded quiz attempt.
    avg_best_score: float | None = None
    #: Seconds, or None without completions.
    median_seconds: float | None = None

    @property
    def completion_rate(self) -> float:
        return round(100 * self.completions / self.enrolments, 1) if self.enrolments else 0.0

    @property
    def median_days(self) -> float | None:
        return None if self.median_seconds is None else round(self.median_seconds / 86400, 1)


@dataclass
class UnitRow:
    key: str | None
    label: str
    code: str | None
    enrolments: int
    completions: int

    @property
    def completion_rate(self) -> float:
        return round(100 * self.completions / self.enrolments, 1) if self.enrolments else 0.0


@dataclass
class QuizRow:
    quiz_key: str
    learners: int
    avg_best_score: float | None
    passed: int


def _in_scope(scope: Scope, query, user_id_column):
    """Join users (and their units) to a query's user column and keep the scope's people."""
    return (query.join(User, User.id == user_id_column)
            .outerjoin(Unit, Unit.id == User.unit_id).where(scope.condition()))


def _counted(scope: Scope, *columns):
    """`columns` over the enrolments that count: not withdrawn, of learners in scope."""
    query = select(*columns).select_from(Enrollment).where(Enrollment.status != EnrollmentStatus.WITHDRAWN)
    return _in_scope(scope, query, Enrollment.user_id)


def course_stats(scope: Scope, course_id: int | None = None) -> list[CourseStats]:
    """Stats of every course (or one), most enrolments first: four queries in all."""
    stats = {row.id: CourseStats(row.id, row.slug, row.title) for row in db.session.execute(_titles(course_id))}
    for cid, enrolments, completions in db.session.execute(_enrolment_counts(scope, course_id)):
        if cid in stats:
            stats[cid].enrolments, stats[cid].completions = enrolments, completions
    for cid, score in db.session.execute(_best_scores(scope, course_id)):
        if cid in stats:
            stats[cid].avg_best_score = None if score is None else round(float(score), 1)
    for cid, seconds in db.session.execute(_medians(scope, course_id)):
        if cid in stats:
            stats[cid].median_seconds = None if seconds is None else float(seconds)
    return sorted(stats.values(), key=lambda s: (-s.enrolments, s.title.lower(), s.course_id))


def _titles(course_id: int | None):
    """Each course with the title of its newest version (published or not)."""
    newest = (select(CourseVersion.course_id, func.max(CourseVersion.number).label("number"))
              .group_by(CourseVersion.course_id).subquery())
    query = (select(Course.id, Course.slug, CourseVersion.title)
             .join(newest, newest.c.course_id == Course.id)
             .join(CourseVersion, and_(CourseVersion.course_id == Course.id,
                                       CourseVersion.number == newest.c.number)))
    return query.where(Course.id == course_id) if course_id is not None else query


def _enrolment_counts(scope: Scope, course_id: int | None):
    query = (_counted(scope, Enrollment.course_id, func.count(), func.count(Enrollment.completed_at))
             .group_by(Enrollment.course_id))
    return query.where(Enrollment.course_id == course_id) if course_id is not None else query


def _best_attempts(scope: Scope, course_id: int | None):
    """Each learner's best graded score per quiz (and whether any attempt passed)."""
    query = _in_scope(scope, select(
        Attempt.course_id, Attempt.user_id, Attempt.quiz_key, func.max(Attempt.score).label("best"),
        func.max(case((Attempt.passed.is_(True), 1), else_=0)).label("passed"))
        .select_from(Attempt)
        .where(Attempt.state == AttemptState.GRADED, Attempt.score.is_not(None))
        .group_by(Attempt.course_id, Attempt.user_id, Attempt.quiz_key), Attempt.user_id)
    query = query.where(Attempt.course_id == course_id) if course_id is not None else query
    return query.subquery("best")


def _best_scores(scope: Scope, course_id: int | None):
    best = _best_attempts(scope, course_id)
    return select(best.c.course_id, func.avg(best.c.best)).group_by(best.c.course_id)


def _medians(scope: Scope, course_id: int | None):
    """Median seconds to complete per course: the middle row(s) by ROW_NUMBER, averaged."""
    durations = _counted(scope, Enrollment.course_id,
                         seconds_between(Enrollment.enrolled_at, Enrollment.completed_at).label("seconds")
                         ).where(Enrollment.completed_at.is_not(None))
    if course_id is not None:
        durations = durations.where(Enrollment.course_id == course_id)
    durations = durations.subquery("durations")
    ranked = select(
        durations.c.course_id, durations.c.seconds,
        func.row_number().over(partition_by=durations.c.course_id, order_by=durations.c.seconds).label("n"),
        func.count().over(partition_by=durations.c.course_id).label("total")).subquery("ranked")
    middle = ranked.c.n.in_([(ranked.c.total + 1) // 2, (ranked.c.total + 2) // 2])
    return (select(ranked.c.course_id, func.avg(ranked.c.seconds)).where(middle)
            .group_by(ranked.c.course_id))


def by_unit(scope: Scope, course_id: int) -> list[UnitRow]:
    """Enrolments and completions of one course per direct child unit of the scope."""
    counted = _counted(scope, func.substr(Unit.path, 1, len(scope.prefix) + _LEVEL).label("child"),
                       Enrollment.completed_at).where(Enrollment.course_id == course_id).subquery("counted")
    rows = db.session.execute(select(counted.c.child, func.count(), func.count(counted.c.completed_at))
                              .group_by(counted.c.child)).all()
    parent = Unit.parent_id == scope.unit.id if scope.unit is not None else Unit.parent_id.is_(None)
    names = {u.path: u for u in db.session.scalars(select(Unit).where(parent))}
    result = []
    for child, enrolments, completions in rows:
        unit = names.get(child)
        result.append(UnitRow(child, unit.name if unit else _other_label(child, scope),
                              unit.code if unit else None, enrolments, completions))
    return sorted(result, key=lambda r: (r.completion_rate, r.label))


def _other_label(key: str | None, scope: Scope) -> str:
    if key is None:
        return _("Without a unit")
    if scope.unit is not None and key == scope.prefix:
        return _("Directly in %(unit)s", unit=scope.unit.name)
    return key


def quizzes(scope: Scope, course_id: int) -> list[QuizRow]:
    """Per quiz of one course: learners with a graded attempt, their average best score, passes."""
    best = _best_attempts(scope, course_id)
    rows = db.session.execute(
        select(best.c.quiz_key, func.count(), func.avg(best.c.best), func.sum(best.c.passed))
        .group_by(best.c.quiz_key).order_by(best.c.quiz_key)).all()
    return [QuizRow(key, learners, None if avg is None else round(float(avg), 1), int(passed or 0))
            for key, learners, avg, passed in rows]
