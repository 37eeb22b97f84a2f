"""Recording and reading the audit log of admin actions.

Services call ``record`` inside the transaction of the change they make; the entry commits
or rolls back with it. Unit admins read only entries about their unit and its sub-units.
"""
from __future__ import annotations

import csv
import io

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.database import db
from lms.models import Role, Unit, User
from lms.models.audit import AuditEntry
from lms.reports.csv_cells import safe_row
from lms.services.courses import Page

PER_PAGE = 50


def record(actor: User | None, action: str, target_type: str = "", target_id: object = "",
           unit: Unit | None = None, **details) -> AuditEntry:
    """Add an entry to the session (the caller commits it with its change)."""
    entry = AuditEntry(actor_id=getattr(actor, "id", None), action=action, target_type=target_type,
                       target_id=str(target_id), unit_path=unit.path if unit is not None else "",
                       details=details)
    db.session.add(entry)
    return entry


def visible_to(reader: User):
    """The entries `reader` may see, newest first: all for admins, their subtree for unit admins."""
    query = select(AuditEntry).options(selectinload(AuditEntry.actor)).order_by(
        AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if reader.role != Role.ADMIN:
        if reader.unit is None:
            return query.where(False)
        query = query.where(AuditEntry.unit_path.startswith(reader.unit.path), AuditEntry.unit_path != "")
    return query


def page(reader: User, number: int = 1, action: str = "") -> Page:
    query = _filtered(visible_to(reader), action)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    number = min(max(1, number), max(1, -(-total // PER_PAGE)))  # ?page=10**20: last page, not an overflow
    items = list(db.session.scalars(query.limit(PER_PAGE).offset((number - 1) * PER_PAGE)))
    return Page(items=items, total=total, page=number, per_page=PER_PAGE)


def _filtered(query, action: str):
    """Entries whose action starts with `action` (its % and _ taken literally)."""
    return query.where(AuditEntry.action.startswith(action, autoescape=True)) if action else query


def export_csv(reader: User, action: str = "") -> str:
    """Every visible entry (of the action prefix) as CSV: time in UTC, actor, action, target, details."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time_utc", "actor", "action", "target_type", "target_id", "details"])
    for entry in db.session.scalars(_filtered(visible_to(reader), action).execution_options(yield_per=1000)):
        writer.writerow(safe_row([entry.created_at.isoformat(), entry.actor.email if entry.actor else "",
                                  entry.action, entry.target_type, entry.target_id,
                                  " ".join(f"{k}={v}" for k, v in sorted(entry.details.items()))]))
    return out.getvalue()
