"""The JP ledger: course credits (from certificates) and external training with evidence.

External training is recorded by the learner with an evidence file and counts only once a
unit admin of the learner's unit (or an admin) approves it.

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

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.database import db
from lms.errors import LmsError
from lms.models import JpEntry, JpSource, JpStatus, Role, Unit, User
from lms.models import jp_totals
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


def year_of(user: User, year: int) -> Year:
    """A learner's ledger for one year (one query) with the approved total."""
    entries = list(db.session.scalars(select(JpEntry).where(JpEntry.user_id == user.id, JpEntry.year == year)
                                      .order_by(JpEntry.end_on.desc(), JpEntry.id.desc())))
    approved = sum(e.jp for e in entries if e.status == JpStatus.APPROVED)
    return Year(year, entries, approved, int(current_app.config["JP_TARGET"]))


def evidence_type(head: bytes) -> tuple[str, str] | None:
    for magic, kind in EVIDENCE_TYPES.items():
        if head.startswith(magic):
            return kind
    return None


def record_external(user: User, *, title: str, organiser: str, start_on: dt.date, end_on: dt.date,
                    jp: int, competency: str, evidence: bytes, evidence_name: str) -> JpEntry:
    """Record external training as pending; the evidence is checked before anything is stored."""
    if end_on < start_on:
        raise LedgerError(_l("The training cannot end before it starts."))
    if end_on > dt.date.today() + dt.timedelta(days=1):
        raise LedgerError(_l("Only finished training can be recorded."))
    if not 1 <= jp <= MAX_JP_PER_ENTRY:
        raise LedgerError(_l("JP must be between 1 and %(max)d.", max=MAX_JP_PER_ENTRY))
    if len(evidence) > int(current_app.config["EVIDENCE_MAX_BYTES"]):
        raise LedgerError(_l("The evidence file is too large."))
    kind = evidence_type(evidence[:16])
    if kind is None:
        raise LedgerError(_l("Evidence must be a PDF, PNG or JPEG file."))
    path = f"evidence/{user.id}/{secrets.token_hex(16)}.{kind[0]}"
    storage().write(path, evidence)
    entry = JpEntry(user_id=user.id, year=end_on.year, source=JpSource.EXTERNAL, status=JpStatus.PENDING,
                    jp=jp, title=title.strip(), organiser=organiser.strip(), competency=competency,
                    start_on=start_on, end_on=end_on, evidence_path=path,
                    evidence_name=(evidence_name or f"bukti.{kind[0]}")[-200:])
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


def can_review(reviewer: User, entry: JpEntry) -> bool:
    """Admins review everything; unit admins the entries of users in their unit subtree."""
    if reviewer.role == Role.ADMIN:
        return True
    if reviewer.role != Role.UNIT_ADMIN or reviewer.unit is None or entry.user.unit is None:
        return False
    return entry.user.unit.path.startswith(reviewer.unit.path)


def pending_for(reviewer: User) -> list[JpEntry]:
    """External entries waiting for this reviewer (scoped by unit subtree), oldest first."""
    query = (select(JpEntry).join(User, User.id == JpEntry.user_id)
             .where(JpEntry.source == JpSource.EXTERNAL, JpEntry.status == JpStatus.PENDING)
             .order_by(JpEntry.created_at, JpEntry.id))
    if reviewer.role != Role.ADMIN:
        if reviewer.unit is None:
            return []
        query = query.join(Unit, Unit.id == User.unit_id).where(Unit.path.startswith(reviewer.unit.path))
    return list(db.session.scalars(query))


def decide(entry: JpEntry, reviewer: User, approve: bool, note: str = "") -> None:
    """Approve or reject a pending external entry; decisions are final and recorded."""
    if not can_review(reviewer, entry):
        raise LedgerError(_l("You cannot review this entry."))
    if entry.source != JpSource.EXTERNAL or entry.status != JpStatus.PENDING:
        raise LedgerError(_l("This entry was already decided."))
    if not approve and not note.strip():
        raise LedgerError(_l("Say why the entry is rejected."))
    entry.status = JpStatus.APPROVED if approve else JpStatus.REJECTED
    entry.decided_by_id, entry.decided_at = reviewer.id, dt.datetime.now(dt.timezone.utc)
    entry.decision_note = note.strip()
    db.session.commit()


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
