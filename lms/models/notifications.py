"""The mail outbox: messages written with the change they announce, sent later by a sender."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from lms.database import db, str_enum

ERROR_LENGTH = 500
SUBJECT_LENGTH = 300


class NotificationStatus(str, enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt


class Notification(db.Model):
    """One e-mail, rendered in the recipient's language when it was queued.

    Rows are inserted inside the transaction of the change (so a rolled-back change sends
    nothing) and delivered by ``flask lms send-notifications``, which claims each row with an
    atomic UPDATE before sending (see lms.services.notifications).
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: The address at queueing time (a later e-mail change does not redirect old mail).
    recipient: Mapped[str] = mapped_column(String(254))
    #: What it announces: "assignment", "reminder", "certificate".
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(SUBJECT_LENGTH))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[NotificationStatus] = mapped_column(str_enum(NotificationStatus),
                                                      default=NotificationStatus.PENDING)
    #: Attempts started (a claim counts one before sending).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: When a sender may take it: now for new rows, later after a failure or while claimed.
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(ERROR_LENGTH))
    #: Identifies the event announced ("reminder:<assignment>:<user>:<due date>"): the unique
    #: constraint makes queueing the same notice twice impossible, even from two processes.
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
