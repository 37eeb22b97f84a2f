"""The JP ledger: course credits (from certificates) and experiential learning with evidence.

Experiential learning (external training, seminars, coaching, mentoring, magang, communities
of practice: lms.services.jp_rules) is recorded by the learner with an evidence file and the
raw measure (hours, days, meetings, JP); its JP are computed by the kind's rule, and it
counts only once the learner's supervisor (atasan, ``User.supervisor_id``), a unit admin of
the learner's unit or an admin approves it. Nobody decides on their own entries; the learner
is notified of the decision.

Approved JP per person and year is also kept in ``jp_year_totals`` (lms.models.jp_totals),
which the JP compliance report reads: :func:`refresh_totals` recomputes a person's year from
the ledger inside the current transaction. Every ORM flush that adds, approves, rejects,
edits or deletes an entry calls it (an ``after_flush`` listener), so the services here and
in lms.services.certificates need no call of their own; :func:`rebuild_totals` (``flask lms
rebuild-jp-totals``) repairs the table after bulk loads that bypass the ORM.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from lms.database import db
from lms.errors import LmsError
from lms.i18n import N_
from lms.models import JpEntry, JpSource, JpStatus, Role, Unit, User
from lms.models import jp_totals
from lms.services import jp_rules
from lms.storage import storage

#: Evidence types, recognised by their first bytes (never by the file name alone).
EVIDENCE_TYPES = {b"%PDF-": ("pdf", "application/pdf"), b"\x89PNG\r\n\x1a\n": ("png", "image/png"),
                  b"\xff\xd8\xff": ("jpg", "image/jpeg")}
MAX_JP_PER_ENTRY = 200


class LedgerError(LmsError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class Year:
    year: int
    entries: list[JpEntry]
    approved_jp: int
    target: int
    #: Approved JP from courses (certificates) and from experiential learning: the two sum
    #: to approved_jp, shown side by side on the ledger page.
    course_jp: int = 0
    experiential_jp: int = 0


def year_of(user: User, year: int) -> Year:
    """A learner's ledger for one year (one query) with the approved totals per source."""
    entries = list(db.session.scalars(select(JpEntry).where(JpEntry.user_id == user.id, JpEntry.year == year)
                                      .order_by(JpEntry.end_on.desc(), JpEntry.id.desc())))
    approved = [e for e in entries if e.status == JpStatus.APPROVED]
    course = sum(e.jp for e in approved if e.source == JpSource.COURSE)
    total_jp = sum(e.jp for e in approved)
    return Year(year, entries, total_jp, int(current_app.config["JP_TARGET"]), course, total_jp - course)


def evidence_type(head: bytes) -> tuple[str, str] | None:
    for magic, kind in EVIDENCE_TYPES.items():
        if head.startswith(magic):
            return kind
    return None


def record_external(user: User, *, title: str, organiser: str, start_on: dt.date, end_on: dt.date,
                    jp: int, competency: str, evidence: bytes, evidence_name: str) -> JpEntry:
    """Record external training with the JP its certificate states (kind "pelatihan")."""
    return record_experiential(user, kind=jp_rules.EXTERNAL_TRAINING, title=title, organiser=organiser,
                               start_on=start_on, end_on=end_on, measure=Decimal(jp),
                               competency=competency, evidence=evidence, evidence_name=evidence_name)


def used_this_year(user_id: int, kind: str, year: int, *, approved_only: bool = False,
                   exclude_id: int | None = None) -> int:
    """JP of one kind already credited (approved, and pending unless `approved_only`) in a year:
    what the kind's yearly cap is measured against."""
    statuses = [JpStatus.APPROVED] if approved_only else [JpStatus.APPROVED, JpStatus.PENDING]
    query = select(func.coalesce(func.sum(JpEntry.jp), 0)).where(
        JpEntry.user_id == user_id, JpEntry.year == year, JpEntry.kind == kind,
        JpEntry.source == JpSource.EXTERNAL, JpEntry.status.in_(statuses))
    if exclude_id is not None:
        query = query.where(JpEntry.id != exclude_id)
    return int(db.session.scalar(query))


def record_experiential(user: User, *, kind: str, title: str, organiser: str, start_on: dt.date,
                        end_on: dt.date, measure: Decimal, competency: str, evidence: bytes,
                        evidence_name: str, reference_number: str = "") -> JpEntry:
    """Record experiential learning as pending, its JP computed by the kind's rule; the
    evidence is checked before anything is stored, and nothing is half-written."""
    try:
        rule = jp_rules.rule_for(kind)
    except jp_rules.RuleError as exc:
        raise LedgerError(exc.message) from None
    if end_on < start_on:
        raise LedgerError(_l("The training cannot end before it starts."))
    if end_on > dt.date.today() + dt.timedelta(days=1):
        raise LedgerError(_l("Only finished training can be recorded."))
    measure = Decimal(measure)
    if rule.unit == "jp" and measure != measure.to_integral_value():
        raise LedgerError(_l("JP must be a whole number."))
    if rule.unit == "day" and measure > (end_on - start_on).days + 1:
        raise LedgerError(_l("More days than the period from start to end."))
    if rule.unit == "jp" and not 1 <= measure <= MAX_JP_PER_ENTRY:
        raise LedgerError(_l("JP must be between 1 and %(max)d.", max=MAX_JP_PER_ENTRY))
    try:
        jp = jp_rules.credit(rule, measure, used_this_year(user.id, kind, end_on.year))
    except jp_rules.RuleError as exc:
        raise LedgerError(exc.message) from None
    if len(evidence) > int(current_app.config["EVIDENCE_MAX_BYTES"]):
        raise LedgerError(_l("The evidence file is too large."))
    file_kind = evidence_type(evidence[:16])
    if file_kind is None:
        raise LedgerError(_l("Evidence must be a PDF, PNG or JPEG file."))
    path = f"evidence/{user.id}/{secrets.token_hex(16)}.{file_kind[0]}"
    storage().write(path, evidence)
    entry = JpEntry(user_id=user.id, year=end_on.year, source=JpSource.EXTERNAL, status=JpStatus.PENDING,
                    jp=jp, title=title.strip(), organiser=organiser.strip(), competency=competency,
                    start_on=start_on, end_on=end_on, evidence_path=path,
                    evidence_name=(evidence_name or f"bukti.{file_kind[0]}")[-200:],
                    kind=kind, measure=measure, measure_unit=rule.unit,
                    reference_number=(reference_number or "").strip()[:100])
    db.session.add(entry)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        storage().delete(path)  # nothing half-written
        raise
    return entry


def evidence(entry: JpEntry) -> tuple[bytes, str]:
    data = storage().read(entry.evidence_path)
    return data, (evidence_type(data[:16]) or ("bin", "application/octet-stream"))[1]


def reviewer_capacity(reviewer: User, entry: JpEntry) -> str | None:
    """In which capacity `reviewer` may decide on `entry` (admin, unit_admin, supervisor),
    or None. Nobody reviews their own entries; admins review everything; unit admins the
    entries of people in their unit subtree; a supervisor those of their direct reports."""
    if entry.user_id == reviewer.id:
        return None
    if reviewer.role == Role.ADMIN:
        return "admin"
    if (reviewer.role == Role.UNIT_ADMIN and reviewer.unit is not None and entry.user.unit is not None
            and entry.user.unit.path.startswith(reviewer.unit.path)):
        return "unit_admin"
    if entry.user.supervisor_id is not None and entry.user.supervisor_id == reviewer.id:
        return "supervisor"
    return None


def can_review(reviewer: User, entry: JpEntry) -> bool:
    return reviewer_capacity(reviewer, entry) is not None


def _pending():
    return (select(JpEntry).join(User, User.id == JpEntry.user_id)
            .where(JpEntry.source == JpSource.EXTERNAL, JpEntry.status == JpStatus.PENDING)
            .order_by(JpEntry.created_at, JpEntry.id))


def pending_for(reviewer: User) -> list[JpEntry]:
    """Entries waiting for this unit admin or admin (scoped by unit subtree), oldest first."""
    query = _pending().where(JpEntry.user_id != reviewer.id)
    if reviewer.role != Role.ADMIN:
        if reviewer.unit is None:
            return []
        query = query.join(Unit, Unit.id == User.unit_id).where(Unit.path.startswith(reviewer.unit.path))
    return list(db.session.scalars(query.options(contains_eager(JpEntry.user))))


def pending_for_supervisor(supervisor: User) -> list[JpEntry]:
    """Entries of the supervisor's direct reports waiting for a decision, oldest first."""
    query = _pending().where(User.supervisor_id == supervisor.id, JpEntry.user_id != supervisor.id)
    return list(db.session.scalars(query.options(contains_eager(JpEntry.user))))


def waiting_for_supervisor(supervisor: User) -> int:
    """How many entries of the supervisor's direct reports wait (the ledger page's pointer)."""
    return int(db.session.scalar(
        select(func.count()).select_from(JpEntry).join(User, User.id == JpEntry.user_id)
        .where(User.supervisor_id == supervisor.id, JpEntry.user_id != supervisor.id,
               JpEntry.source == JpSource.EXTERNAL, JpEntry.status == JpStatus.PENDING)))


def decide(entry: JpEntry, reviewer: User, approve: bool, note: str = "") -> None:
    """Approve or reject a pending entry; decisions are final, recorded with the approver
    and their capacity, and the learner is notified in the same transaction.

    Approving re-checks the kind's yearly cap against the entries approved meanwhile and
    lowers the JP to what is left (saying so in the note), or refuses when nothing is."""
    capacity = reviewer_capacity(reviewer, entry)
    if capacity is None:
        raise LedgerError(_l("You cannot review this entry."))
    if entry.source != JpSource.EXTERNAL or entry.status != JpStatus.PENDING:
        raise LedgerError(_l("This entry was already decided."))
    if not approve and not note.strip():
        raise LedgerError(_l("Say why the entry is rejected."))
    note = note.strip()
    if approve and entry.kind:
        rule = jp_rules.rules().get(entry.kind)
        if rule is not None and rule.max_per_year is not None:
            left = rule.max_per_year - used_this_year(entry.user_id, entry.kind, entry.year,
                                                      approved_only=True, exclude_id=entry.id)
            if left < 1:
                raise LedgerError(_l("The yearly limit of %(cap)d JP for %(kind)s is reached.",
                                     cap=rule.max_per_year, kind=rule.label))
            if entry.jp > left:
                entry.jp = left
    entry.status = JpStatus.APPROVED if approve else JpStatus.REJECTED
    entry.decided_by_id, entry.decided_at = reviewer.id, dt.datetime.now(dt.timezone.utc)
    entry.decided_as = capacity
    entry.decision_note = note
    _notify(entry, reviewer)
    db.session.commit()
    from lms.services import notifications

    notifications.kick()


def _notify(entry: JpEntry, reviewer: User) -> None:
    """Queue the decision for the learner (lms.services.notifications, sent after commit)."""
    from lms.services import notifications

    params = {"title": entry.title, "jp": entry.jp, "reviewer": reviewer.name}
    if entry.status == JpStatus.APPROVED:
        subject = (N_("Approved: %(title)s (%(jp)s JP)"), params)
        paragraphs = [(N_("%(reviewer)s approved \"%(title)s\": %(jp)s JP now count in your JP ledger."),
                       params)]
    else:
        subject = (N_("Not approved: %(title)s"), params)
        paragraphs = [(N_("%(reviewer)s did not approve \"%(title)s\"."), params),
                      (N_("Reason: %(note)s"), {"note": entry.decision_note})]
    notifications.queue(entry.user, "jp_decision", subject, paragraphs, dedup_key=f"jp-decision:{entry.id}")


def total(user: User, year: int) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(JpEntry.jp), 0)).where(
        JpEntry.user_id == user.id, JpEntry.year == year, JpEntry.status == JpStatus.APPROVED))


def refresh_totals(user_id: int, year: int) -> None:
    """Recompute one person's approved JP of `year` in jp_year_totals from the ledger, in the
    current transaction (the caller commits). Locks the person's row on PostgreSQL, so two
    concurrent changes to one person's ledger are summed one after the other."""
    jp_totals.refresh_totals(db.session.connection(), [(user_id, year)])


def rebuild_totals(year: int | None = None) -> int:
    """Recompute jp_year_totals (every year, or one) from the ledger with one
    INSERT ... SELECT ... GROUP BY, and commit; returns the number of rows of the year(s)."""
    db.session.flush()
    count = jp_totals.rebuild_totals(db.session.connection(), year)
    db.session.commit()
    return count
