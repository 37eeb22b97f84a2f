"""The xAPI outbox: statements written after a learning event, sent to the LRS by a sender."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from lms.database import db, str_enum

ERROR_LENGTH = 500


class XapiStatus(str, enum.Enum):
    PENDING = "pending"
    SENT = "sent"  # the LRS stored it (or already had it: 409 on a duplicate id)
    FAILED = "failed"  # refused by the LRS, or gave up after the last attempt


class XapiStatement(db.Model):
    """One xAPI statement, serialised when the event happened (see lms.services.xapi).

    A sender claims due rows with an atomic UPDATE that counts the attempt and moves
    ``next_attempt_at`` a lease ahead, so two senders never post the same row at once.
    """

    __tablename__ = "xapi_statements"
    __table_args__ = (Index("ix_xapi_statements_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The statement's own "id" (a UUID, deterministic per event): unique, so an event
    #: queued twice is stored once, and the LRS answers 409 to a repeat.
    statement_id: Mapped[str] = mapped_column(String(36), unique=True)
    #: The learner the statement is about (privacy requests: find and delete their rows).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: Short verb name ("completed", "answered") for the admin's eye; the IRI is in payload.
    verb: Mapped[str] = mapped_column(String(40))
    #: The statement as compact JSON text, posted as it is.
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[XapiStatus] = mapped_column(str_enum(XapiStatus), default=XapiStatus.PENDING)
    #: Attempts started (a claim counts one before posting).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: When a sender may take it: now for new rows, later after a failure or while claimed.
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: The LRS's answer (or the network error) of the last failed attempt.
    last_error: Mapped[str | None] = mapped_column(String(ERROR_LENGTH))
