"""The audit log: who did what to whom, when (admin actions)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import db
from lms.models.users import User


class AuditEntry(db.Model):
    """One admin action. Written in the same transaction as the action it records, so the
    log never claims something that did not happen, nor misses something that did."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_unit_created", "unit_path", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                    index=True)
    #: Who acted (None: the system or a command without a user).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: What happened, dotted: "user.created", "user.role_changed", "assignment.created" ...
    action: Mapped[str] = mapped_column(String(60), index=True)
    #: What it happened to: a kind ("user", "unit", "course" ...) and its id or code.
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[str] = mapped_column(String(80), default="")
    #: Materialised path of the unit concerned, so unit admins see only their subtree's entries.
    unit_path: Mapped[str] = mapped_column(String(400), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()
