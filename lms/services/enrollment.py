"""Enrolment: self-enrolment (key, prerequisites, plugin checks), by admins, by unit; withdrawal."""
from __future__ import annotations

import hmac

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms import events
from lms.database import db
from lms.errors import LmsError
from lms.models import (Course, CourseVersion, Enrollment, EnrollmentSource, EnrollmentStatus,
                        Unit, User, VersionStatus, course_prerequisites)
from lms.services import orgs


class EnrollmentDenied(LmsError):
    """Self-enrolment refused; the message is shown to the learner."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def get_enrollment(user: User, course: Course) -> Enrollment | None:
    if not user.is_authenticated:
        return None
    return db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id,
                                                      Enrollment.course_id == course.id))


def is_active(enrollment: Enrollment | None) -> bool:
    """Enrolled and not withdrawn (completed learners keep access to their course)."""
    return enrollment is not None and enrollment.status != EnrollmentStatus.WITHDRAWN


def denial_for(user: User, course: Course, key: str | None = None):
    """Why `user` may not enrol themself now (a message), or None if they may."""
    if not course.self_enrolment:
        return _l("This course is open by assignment only.")
    if course.enrolment_key and key is not None \
            and not hmac.compare_digest(course.enrolment_key.encode(), key.strip().encode()):
        return _l("The enrolment key is wrong.")
    host = current_app.extensions["lms"]
    denials = host.denials("check_enrollment", user=user, course=course)
    return denials[0].message if denials else None


def enroll_self(user: User, course: Course, key: str = "") -> Enrollment:
    """Enrol `user` after the key, prerequisite and plugin checks; re-enrolment reactivates."""
    existing = get_enrollment(user, course)
    if is_active(existing):
        return existing
    if course.enrolment_key and not key:
        raise EnrollmentDenied(_l("This course needs an enrolment key."))
    denial = denial_for(user, course, key)
    if denial:
        raise EnrollmentDenied(denial)
    enrollment = activate(existing, user.id, course.id, EnrollmentSource.SELF, None)
    events.commit()
    return enrollment


def enroll_users(course: Course, users: list[User], by: User,
                 source: EnrollmentSource = EnrollmentSource.ADMIN) -> int:
    """Enrol users chosen by an admin (no key or prerequisite check); returns how many are new."""
    existing = {e.user_id: e for e in db.session.scalars(
        select(Enrollment).where(Enrollment.course_id == course.id,
                                 Enrollment.user_id.in_([u.id for u in users])))}
    added = 0
    for user in users:
        if is_active(existing.get(user.id)):
            continue
        activate(existing.get(user.id), user.id, course.id, source, by.id)
        added += 1
    events.commit()
    return added


def enroll_unit(course: Course, unit: Unit, by: User) -> int:
    """Enrol every active user of `unit` and its sub-units; returns how many are new."""
    users = list(db.session.scalars(select(User).where(User.unit_id.in_(orgs.subtree_ids(unit)),
                                                       User.active.is_(True))))
    return enroll_users(course, users, by, EnrollmentSource.UNIT)


def activate(enrollment: Enrollment | None, user_id: int, course_id: int,
              source: EnrollmentSource, by_id: int | None) -> Enrollment:
    """Create the enrolment or reactivate a withdrawn one (its progress is kept)."""
    if enrollment is None:
        enrollment = Enrollment(user_id=user_id, course_id=course_id)
        db.session.add(enrollment)
    enrollment.status = EnrollmentStatus.COMPLETED if enrollment.completed_at else EnrollmentStatus.ACTIVE
    enrollment.source, enrollment.enrolled_by_id = source, by_id
    events.enqueue("learner_enrolled", enrollment=enrollment)
    return enrollment


def unenroll(user: User, course: Course) -> None:
    """Withdraw from a course; progress is kept for a later re-enrolment. Completed stays."""
    enrollment = get_enrollment(user, course)
    if enrollment is None or enrollment.status != EnrollmentStatus.ACTIVE:
        raise EnrollmentDenied(_l("You can only leave a course you are taking."))
    enrollment.status = EnrollmentStatus.WITHDRAWN
    db.session.commit()


def missing_prerequisites(user: User, course: Course) -> list[tuple[str, str]]:
    """(slug, title) of the courses `course` requires that `user` has not completed; one query."""
    completed = select(Enrollment.course_id).where(Enrollment.user_id == user.id,
                                                   Enrollment.completed_at.is_not(None))
    rows = db.session.execute(
        select(Course.slug, CourseVersion.title)
        .join(course_prerequisites, course_prerequisites.c.required_course_id == Course.id)
        .outerjoin(CourseVersion, (CourseVersion.course_id == Course.id)
                   & (CourseVersion.status == VersionStatus.PUBLISHED))
        .where(course_prerequisites.c.course_id == course.id, Course.id.not_in(completed))
        .order_by(Course.slug))
    return [(slug, title or slug) for slug, title in rows]


def statuses_for_courses(user: User, course_ids) -> dict[int, str]:
    """{course id: enrolment status} of `user` for these courses, in one query (none for a
    visitor who is not signed in, or no courses)."""
    if not user.is_authenticated or not course_ids:
        return {}
    rows = db.session.execute(select(Enrollment.course_id, Enrollment.status).where(
        Enrollment.user_id == user.id, Enrollment.course_id.in_(list(course_ids))))
    return {course_id: status.value for course_id, status in rows}
