"""Rules for administrators enrolling others: who may enrol whom, scoped by unit subtree."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import selectinload

from lms.asn import normalise_nip
from lms.database import db
from lms.errors import LmsError
from lms.models import Course, Enrollment, Role, Unit, User
from lms.services import enrollment, orgs
from lms.services.courses import Page

MAX_LINES = 2000
#: A NIP typed in its printed groups ("19920420 201903 2 011"): joined before splitting on spaces.
_SPACED_NIP = re.compile(r"(?<!\d)(\d{8})[ \t]*(\d{6})[ \t]*(\d)[ \t]*(\d{3})(?!\d)")


class AdminEnrolError(LmsError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def manageable_units(admin: User) -> list[Unit]:
    """Every unit for an admin; a unit admin's own unit and its sub-units otherwise."""
    if admin.role == Role.ADMIN:
        return orgs.tree()
    if admin.unit is None:
        return []
    return list(db.session.scalars(select(Unit).where(Unit.path.startswith(admin.unit.path))
                                   .order_by(Unit.path)))


def enrol(admin: User, course: Course, learners_text: str, unit_id: int | None,
          units: list[Unit]) -> int:
    """Enrol the listed learners and/or a unit; all listed learners must be known and in scope."""
    allowed_ids = {u.id for u in units}
    if unit_id is not None and unit_id not in allowed_ids:
        raise AdminEnrolError(_l("You cannot enrol that unit."))
    users = listed_users(learners_text, admin, allowed_ids)
    if not users and unit_id is None:
        raise AdminEnrolError(_l("List learners or choose a unit."))
    added = enrollment.enroll_users(course, users, admin) if users else 0
    if unit_id is not None:
        added += enrollment.enroll_unit(course, db.session.get(Unit, unit_id), admin)
    return added


def listed_users(text: str, admin: User, allowed_unit_ids: set[int]) -> list[User]:
    text = _SPACED_NIP.sub(r"\1\2\3\4", text)
    tokens = [t for t in re.split(r"[\s,;]+", text.strip()) if t][:MAX_LINES]
    if not tokens:
        return []
    emails = {t.lower() for t in tokens if "@" in t}
    nips = {normalise_nip(t) for t in tokens if "@" not in t}
    users = list(db.session.scalars(select(User).where(or_(User.email.in_(emails), User.nip.in_(nips)))))
    found = {u.email for u in users} | {u.nip for u in users}
    unknown = sorted((emails | nips) - found)
    if unknown:
        raise AdminEnrolError(_l("Unknown learners: %(list)s", list=", ".join(unknown[:20])))
    if admin.role != Role.ADMIN:
        outside = [u.email for u in users if u.unit_id not in allowed_unit_ids]
        if outside:
            raise AdminEnrolError(_l("Outside your units: %(list)s", list=", ".join(outside[:20])))
    return users


def enrolled(admin: User, course: Course, page: int, per_page: int = 50) -> Page:
    """Enrolments in the course that the admin may see, with their users, in two queries."""
    query = select(Enrollment).join(User, User.id == Enrollment.user_id).where(
        Enrollment.course_id == course.id)
    if admin.role != Role.ADMIN:  # a unit admin without a unit sees nobody ("\0" breaks PostgreSQL)
        query = query.join(Unit, Unit.id == User.unit_id).where(
            Unit.path.startswith(admin.unit.path) if admin.unit else false())
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = min(max(page, 1), max(1, -(-total // per_page)))  # ?page=0 or past the end: clamp
    rows = db.session.scalars(query.options(selectinload(Enrollment.user))
                              .order_by(User.name).limit(per_page).offset((page - 1) * per_page))
    return Page(list(rows), total, page, per_page)
