"""Assignments: admins give a published course, with a due date, to a unit or to listed learners.

Per learner, an assignment is an ``Enrollment`` with ``due_on`` and ``assignment_id``:

* learners not enrolled (or who left) are enrolled with source ASSIGNED;
* learners already enrolled keep their enrolment and get the due date;
* an enrolment covered by several assignments of the same course keeps the **earliest** due
  date and is tracked under that assignment (a later-due one leaves it alone);
* learners who already completed the course are linked (they count as completed) but get
  no mail.

Everything one assignment changes (the assignment, enrolments, the audit entry, one
notification per learner to tell) commits in one transaction. Unit admins work inside their
unit's subtree: they assign only units and learners there, and see an assignment when its
``scope_unit`` (the smallest unit holding all its learners) is in their subtree.

Learners who join an assigned unit later are picked up by ``flask lms sync-assignments``
(``sync_unit_assignments``), run daily from cron; nothing happens on join by itself.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, false, func, or_, select
from sqlalchemy.orm import selectinload

from lms import events
from lms.database import db
from lms.errors import LmsError
from lms.models import (Assignment, Course, CourseVersion, Enrollment, EnrollmentSource,
                        EnrollmentStatus, LessonProgress, Role, Unit, User, VersionStatus)
from lms.models.assignments import NOTE_LENGTH
from lms.services import admin_enrolment, audit, notifications, orgs
from lms.services.courses import Page
from lms.services.progress import progress_by_enrollment

#: Per-learner states, in the order pages show their counts.
STATES = ("overdue", "not_started", "in_progress", "completed", "left")
PER_PAGE = 50
#: Furthest due date accepted: a typo like 2062 instead of 2026 is refused.
MAX_YEARS_AHEAD = 5


class AssignmentError(LmsError):
    """The assignment was refused; the message is shown to the administrator."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def local_today() -> dt.date:
    """Today in the agency's time zone: a due date ends at midnight in Jakarta, not in UTC."""
    return dt.datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


# ------------------------------------------------------------------------ reading


def published_courses() -> list[tuple[int, str]]:
    """(course id, title) of every published course, by title: what may be assigned."""
    return [tuple(row) for row in db.session.execute(
        select(CourseVersion.course_id, CourseVersion.title)
        .where(CourseVersion.status == VersionStatus.PUBLISHED)
        .order_by(CourseVersion.title, CourseVersion.course_id))]


def course_titles(course_ids: set[int]) -> dict[int, tuple[str, str]]:
    """{course id: (title of the published version, or the slug; slug)} in one query."""
    if not course_ids:
        return {}
    rows = db.session.execute(
        select(Course.id, Course.slug, CourseVersion.title)
        .outerjoin(CourseVersion, and_(CourseVersion.course_id == Course.id,
                                       CourseVersion.status == VersionStatus.PUBLISHED))
        .where(Course.id.in_(course_ids)))
    return {cid: (title or slug, slug) for cid, slug, title in rows}


def visible(admin: User):
    """Assignments `admin` may see: all for admins, those scoped in their subtree otherwise."""
    query = select(Assignment)
    if admin.role == Role.ADMIN:
        return query
    if admin.unit is None:
        return query.where(false())
    return query.join(Unit, Unit.id == Assignment.scope_unit_id).where(
        Unit.path.startswith(admin.unit.path))


def get_visible(admin: User, assignment_id: int) -> Assignment | None:
    return db.session.scalar(visible(admin).where(Assignment.id == assignment_id)
                             .options(selectinload(Assignment.unit), selectinload(Assignment.course)))


def _learners_in_scope(query, admin: User):
    """Restrict a query joined to User to learners a unit admin manages (their subtree)."""
    if admin.role == Role.ADMIN:
        return query
    if admin.unit is None:
        return query.where(false())
    return query.join(Unit, Unit.id == User.unit_id).where(Unit.path.startswith(admin.unit.path))


def state_of(today: dt.date):
    """SQL for a learner's state in an assignment (see STATES); 'left' = withdrew."""
    started = or_(Enrollment.last_lesson_key.is_not(None),
                  exists().where(LessonProgress.enrollment_id == Enrollment.id))
    return case((Enrollment.completed_at.is_not(None), "completed"),
                (Enrollment.status == EnrollmentStatus.WITHDRAWN, "left"),
                (Enrollment.due_on < today, "overdue"),
                (started, "in_progress"), else_="not_started")


@dataclass
class Summary:
    """An assignment on the list page, with its course title and learner counts."""

    assignment: Assignment
    title: str
    learners: int
    completed: int
    overdue: int


def page(admin: User, number: int = 1, today: dt.date | None = None, per_page: int = 25) -> Page:
    """Visible assignments, newest first, with counts: four queries whatever the page holds."""
    today = today or local_today()
    query = visible(admin)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    number = min(max(number, 1), max(1, -(-total // per_page)))
    items = list(db.session.scalars(
        query.options(selectinload(Assignment.unit))
        .order_by(Assignment.created_at.desc(), Assignment.id.desc())
        .limit(per_page).offset((number - 1) * per_page)))
    titles = course_titles({a.course_id for a in items})
    counts = _counts([a.id for a in items], admin, today)
    summaries = [Summary(a, titles.get(a.course_id, ("", ""))[0], *counts.get(a.id, (0, 0, 0)))
                 for a in items]
    return Page(summaries, total, number, per_page)


def _counts(ids: list[int], admin: User, today: dt.date) -> dict[int, tuple[int, int, int]]:
    """{assignment id: (learners, completed, overdue)} in the admin's scope, one query."""
    if not ids:
        return {}
    done = Enrollment.completed_at.is_not(None)
    late = and_(Enrollment.completed_at.is_(None), Enrollment.status == EnrollmentStatus.ACTIVE,
                Enrollment.due_on < today)
    query = (select(Enrollment.assignment_id, func.count(),
                    func.sum(case((done, 1), else_=0)), func.sum(case((late, 1), else_=0)))
             .join(User, User.id == Enrollment.user_id)
             .where(Enrollment.assignment_id.in_(ids)).group_by(Enrollment.assignment_id))
    rows = db.session.execute(_learners_in_scope(query, admin))
    return {aid: (int(n), int(c or 0), int(o or 0)) for aid, n, c, o in rows}


@dataclass
class LearnerRow:
    """One learner of an assignment, as the detail and overdue pages show it."""

    enrollment: Enrollment
    user: User
    unit_name: str
    state: str
    percent: int
    course_title: str = ""


def learners(admin: User, assignment: Assignment, today: dt.date | None = None,
             state: str | None = None, number: int = 1) -> tuple[dict[str, int], Page]:
    """Counts per state and one page of learners (optionally one state), by name.

    Four queries: counts, the page, and the page's progress (two).
    """
    today = today or local_today()
    base = _learners_in_scope(
        select(Enrollment.id.label("eid"), state_of(today).label("state"))
        .join(User, User.id == Enrollment.user_id)
        .where(Enrollment.assignment_id == assignment.id), admin).subquery()
    counts = {s: 0 for s in STATES}
    counts.update({s: n for s, n in db.session.execute(
        select(base.c.state, func.count()).group_by(base.c.state))})
    total = counts[state] if state in counts else sum(counts.values())
    number = min(max(number, 1), max(1, -(-total // PER_PAGE)))
    query = (select(Enrollment, User, Unit.name, base.c.state)
             .join(base, base.c.eid == Enrollment.id).join(User, User.id == Enrollment.user_id)
             .outerjoin(Unit, Unit.id == User.unit_id))
    if state in counts:
        query = query.where(base.c.state == state)
    rows = db.session.execute(query.order_by(User.name, User.id)
                              .limit(PER_PAGE).offset((number - 1) * PER_PAGE)).all()
    return counts, Page(_with_progress(rows), total, number, PER_PAGE)


def _with_progress(rows) -> list[LearnerRow]:
    progress = progress_by_enrollment([row[0] for row in rows])
    items = []
    for enrollment, user, unit_name, state, *rest in rows:
        done, total = progress.get(enrollment.id, (0, 0))
        percent = 100 if enrollment.completed_at else int(100 * done / total) if total else 0
        items.append(LearnerRow(enrollment, user, unit_name or "", state, percent,
                                rest[0] if rest else ""))
    return items


# ------------------------------------------------------------------------ overdue


def _overdue_query(admin: User, unit: Unit | None, today: dt.date):
    title = func.coalesce(CourseVersion.title, Course.slug)
    query = (select(Enrollment, User, Unit.name, title)
             .join(User, User.id == Enrollment.user_id)
             .outerjoin(Unit, Unit.id == User.unit_id)
             .join(Course, Course.id == Enrollment.course_id)
             .outerjoin(CourseVersion, and_(CourseVersion.course_id == Course.id,
                                            CourseVersion.status == VersionStatus.PUBLISHED))
             .where(Enrollment.assignment_id.is_not(None), Enrollment.due_on < today,
                    Enrollment.completed_at.is_(None), Enrollment.status == EnrollmentStatus.ACTIVE))
    if unit is not None:
        query = query.where(Unit.path.startswith(unit.path))
    if admin.role != Role.ADMIN:
        query = query.where(Unit.path.startswith(admin.unit.path) if admin.unit else false())
    return query


def _overdue_rows(rows) -> list[LearnerRow]:
    """Overdue rows carry the course title where detail rows carry their state."""
    return _with_progress([(e, u, unit_name, "overdue", title) for e, u, unit_name, title in rows])


def overdue_page(admin: User, unit: Unit | None = None, number: int = 1,
                 today: dt.date | None = None) -> Page:
    """Overdue learners (assigned, not completed, due date passed), earliest due first."""
    today = today or local_today()
    query = _overdue_query(admin, unit, today)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    number = min(max(number, 1), max(1, -(-total // PER_PAGE)))
    rows = db.session.execute(query.order_by(Enrollment.due_on, User.name, Enrollment.id)
                              .limit(PER_PAGE).offset((number - 1) * PER_PAGE)).all()
    return Page(_overdue_rows(rows), total, number, PER_PAGE)


CSV_HEADER = ["name", "nip", "email", "unit", "course", "due_on", "days_overdue", "progress_percent"]


def overdue_csv(admin: User, unit: Unit | None = None, today: dt.date | None = None) -> str:
    """Every overdue learner the admin may see, as CSV (progress read a thousand at a time)."""
    today = today or local_today()
    rows = db.session.execute(_overdue_query(admin, unit, today)
                              .order_by(Enrollment.due_on, User.name, Enrollment.id)).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for start in range(0, len(rows), 1000):
        for row in _overdue_rows(rows[start:start + 1000]):
            writer.writerow([_cell(row.user.name), row.user.nip or "", _cell(row.user.email),
                             _cell(row.unit_name), _cell(row.course_title),
                             row.enrollment.due_on.isoformat(),
                             (today - row.enrollment.due_on).days, row.percent])
    return out.getvalue()


def _cell(text: str) -> str:
    """Stop a spreadsheet from running a name like "=HYPERLINK(...)" as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# ------------------------------------------------------------------------ creating


@dataclass
class Created:
    assignment: Assignment
    learners: int  # covered by the assignment
    enrolled: int  # newly enrolled (or re-enrolled after leaving)


def create(admin: User, *, course_id: int, due_on: dt.date, units: list[Unit],
           unit_id: int | None = None, include_subunits: bool = False, learners_text: str = "",
           note: str = "", today: dt.date | None = None) -> Created:
    """Assign a published course to a unit or to listed learners; all or nothing.

    `units` are the units the admin manages (admin_enrolment.manageable_units). Commits the
    assignment, enrolments, audit entry and notifications together, then starts sending.
    """
    course = _published_course(course_id)
    _check_due(due_on, today or local_today())
    note = (note or "").strip()
    if len(note) > NOTE_LENGTH:
        raise AssignmentError(_l("The note is too long."))
    unit, users, scope = _targets(admin, units, unit_id, include_subunits, learners_text)
    assignment = Assignment(course_id=course.id, unit_id=unit.id if unit else None,
                            include_subunits=bool(unit and include_subunits),
                            scope_unit_id=scope.id if scope else None, due_on=due_on, note=note,
                            learner_count=len(users), created_by_id=admin.id)
    db.session.add(assignment)
    db.session.flush()
    changed, enrolled = apply(assignment, users, admin.id)
    _notify(assignment, changed)
    audit.record(admin, "assignment.created", "assignment", assignment.id, unit=scope,
                 course=course.slug, due_on=due_on.isoformat(),
                 unit_code=unit.code if unit else None, include_subunits=assignment.include_subunits,
                 learners=len(users), enrolled=enrolled)
    events.commit()
    notifications.kick()
    return Created(assignment, len(users), enrolled)


def _published_course(course_id: int) -> Course:
    course = db.session.scalar(
        select(Course).join(CourseVersion, CourseVersion.course_id == Course.id)
        .where(Course.id == course_id, CourseVersion.status == VersionStatus.PUBLISHED))
    if course is None:
        raise AssignmentError(_l("Choose a published course."))
    return course


def _check_due(due_on: dt.date, today: dt.date) -> None:
    if due_on < today:
        raise AssignmentError(_l("The due date cannot be in the past."))
    if due_on > today + dt.timedelta(days=366 * MAX_YEARS_AHEAD):
        raise AssignmentError(_l("The due date is too far ahead."))


def _targets(admin: User, units: list[Unit], unit_id: int | None, include_subunits: bool,
             learners_text: str) -> tuple[Unit | None, list[User], Unit | None]:
    """(assigned unit, learners, scope unit) after the admin's rights are checked."""
    listed = bool((learners_text or "").strip())
    if unit_id is not None and listed:
        raise AssignmentError(_l("Choose a unit or list learners, not both."))
    if unit_id is not None:
        if unit_id not in {u.id for u in units}:
            raise AssignmentError(_l("You cannot assign that unit."))
        unit = db.session.get(Unit, unit_id)
        return unit, members(unit, include_subunits), unit
    if not listed:
        raise AssignmentError(_l("Choose a unit or list learners."))
    try:
        users = admin_enrolment.listed_users(learners_text, admin, {u.id for u in units})
    except admin_enrolment.AdminEnrolError as exc:
        raise AssignmentError(exc.message) from None
    if not users:
        raise AssignmentError(_l("Choose a unit or list learners."))
    return None, users, common_unit(users)


def members(unit: Unit, include_subunits: bool) -> list[User]:
    """Active users of the unit (and of its sub-units)."""
    ids = orgs.subtree_ids(unit) if include_subunits else [unit.id]
    return list(db.session.scalars(select(User).where(User.unit_id.in_(ids), User.active.is_(True))
                                   .order_by(User.id)))


def common_unit(users: list[User]) -> Unit | None:
    """The deepest unit containing every user's unit; None if one has no unit or trees differ."""
    unit_ids = {u.unit_id for u in users}
    if not users or None in unit_ids:
        return None
    paths = list(db.session.scalars(select(Unit.path).where(Unit.id.in_(unit_ids))))
    shared = [p.rstrip("/").split("/") for p in paths]
    prefix = []
    for parts in zip(*shared):
        if len(set(parts)) != 1:
            break
        prefix.append(parts[0])
    return db.session.get(Unit, int(prefix[-1])) if prefix else None


def apply(assignment: Assignment, users: list[User], by_id: int | None) -> tuple[list[tuple[User, Enrollment]], int]:
    """Enrol or update each user for the assignment; returns (changed rows, newly enrolled).

    An enrolment already tracked under an assignment due no later is left alone, which also
    makes a second run (sync) change nothing.
    """
    from lms.services import enrollment as enrolling

    existing = {}
    ids = [u.id for u in users]
    for start in range(0, len(ids), 1000):
        existing.update({e.user_id: e for e in db.session.scalars(select(Enrollment).where(
            Enrollment.course_id == assignment.course_id, Enrollment.user_id.in_(ids[start:start + 1000])))})
    changed, enrolled = [], 0
    for user in users:
        row = existing.get(user.id)
        if row is not None and row.assignment_id is not None and row.due_on is not None \
                and row.due_on <= assignment.due_on:
            continue
        if row is None or row.status == EnrollmentStatus.WITHDRAWN:
            # Private helper of the enrolment service: the same activation (and the
            # learner_enrolled event) as any enrolment, without its own commit.
            row = enrolling.activate(row, user.id, assignment.course_id, EnrollmentSource.ASSIGNED, by_id)
            enrolled += 1
        row.due_on, row.assignment_id = assignment.due_on, assignment.id
        changed.append((user, row))
    return changed, enrolled


def _notify(assignment: Assignment, changed: list[tuple[User, Enrollment]]) -> None:
    """One message per learner who still has to take the course."""
    title, slug = course_titles({assignment.course_id}).get(assignment.course_id, ("", ""))
    for user, row in changed:
        if row.completed_at is None:
            notifications.queue_assignment(assignment, user, title, slug)


# ------------------------------------------------------------------------- syncing


def sync_unit_assignments(today: dt.date | None = None) -> int:
    """Apply every unit assignment not yet due to its unit's current members; returns how
    many learners were added. For people who joined (or moved into) an assigned unit.

    Earliest-due first, one transaction per assignment; running it twice adds nobody.
    """
    today = today or local_today()
    ids = list(db.session.scalars(select(Assignment.id).where(
        Assignment.unit_id.is_not(None), Assignment.due_on >= today)
        .order_by(Assignment.due_on, Assignment.id)))
    added = 0
    for assignment_id in ids:
        assignment = db.session.get(Assignment, assignment_id)
        users = members(assignment.unit, assignment.include_subunits)
        changed, enrolled = apply(assignment, users, assignment.created_by_id)
        if changed:
            _notify(assignment, changed)
            audit.record(None, "assignment.synced", "assignment", assignment.id,
                         unit=assignment.scope_unit, learners=len(changed), enrolled=enrolled)
            added += len(changed)
        events.commit()
    if added:
        notifications.kick()
    return added
