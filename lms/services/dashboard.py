"""The learner's dashboard: assigned courses with due dates, courses in progress, completed
courses, JP this year."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from lms.database import db
from lms.models import (Course, CourseVersion, Enrollment, EnrollmentStatus, JpEntry, JpStatus, User,
                        VersionStatus)
from lms.services.progress import progress_by_enrollment


@dataclass
class CourseCard:
    enrollment: Enrollment
    title: str
    slug: str
    jp: int
    done: int
    total: int
    #: Days until the due date of an assigned course (0: today, negative: overdue); None: no due date.
    days_left: int | None = None

    @property
    def percent(self) -> int:
        return 100 if self.enrollment.completed_at else int(100 * self.done / self.total) if self.total else 0

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


@dataclass
class Dashboard:
    in_progress: list[CourseCard]
    completed: list[CourseCard]
    year: int
    jp_year: int
    jp_target: int
    #: Open courses with a due date (assignments), the most urgent first; not in `in_progress`.
    assigned: list[CourseCard] = field(default_factory=list)

    @property
    def jp_percent(self) -> int:
        return min(100, int(100 * self.jp_year / self.jp_target)) if self.jp_target else 100


def jp_for_year(user: User, year: int) -> int:
    """Approved JP in the learner's ledger for `year`: courses and approved external training."""
    return db.session.scalar(select(func.coalesce(func.sum(JpEntry.jp), 0)).where(
        JpEntry.user_id == user.id, JpEntry.year == year, JpEntry.status == JpStatus.APPROVED))


def build(user: User, today: dt.date | None = None) -> Dashboard:
    """Everything /me shows, in a constant number of queries (four, whatever the courses)."""
    today = today or dt.datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()
    year = today.year
    current, finished = aliased(CourseVersion), aliased(CourseVersion)
    rows = db.session.execute(
        select(Enrollment, Course.slug, current.title, current.jp, finished.title)
        .join(Course, Course.id == Enrollment.course_id)
        .outerjoin(current, and_(current.course_id == Enrollment.course_id,
                                 current.status == VersionStatus.PUBLISHED))
        .outerjoin(finished, finished.id == Enrollment.completed_version_id)
        .where(Enrollment.user_id == user.id, Enrollment.status != EnrollmentStatus.WITHDRAWN)
        .order_by(Enrollment.enrolled_at.desc(), Enrollment.id.desc())).all()
    counts = progress_by_enrollment([row[0] for row in rows])
    in_progress, completed, assigned = [], [], []
    for enrollment, slug, title, jp, finished_title in rows:
        done, total = counts.get(enrollment.id, (0, 0))
        if enrollment.completed_at:
            completed.append(CourseCard(enrollment, finished_title, slug, enrollment.jp_awarded or 0,
                                        done, total))
        elif title is None:  # a course withdrawn from publication is not shown
            continue
        elif enrollment.due_on is not None:
            assigned.append(CourseCard(enrollment, title, slug, jp, done, total,
                                       (enrollment.due_on - today).days))
        else:
            in_progress.append(CourseCard(enrollment, title, slug, jp, done, total))
    assigned.sort(key=lambda card: (card.enrollment.due_on, card.title))
    return Dashboard(in_progress, completed, year, jp_for_year(user, year),
                     int(current_app.config["JP_TARGET"]), assigned)
