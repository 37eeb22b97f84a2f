"""The plugin's own table: the webhook outbox (one row per event to deliver)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.plugin import db

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
STATUSES = (PENDING, DELIVERED, FAILED)

#: Longest last_error kept (the receiver's answer or the network error, shortened).
ERROR_LENGTH = 300


class WebhookDelivery(db.Model):
    """An event waiting for, or done with, delivery to DIGITAL_SERVICE_WEBHOOK_URL.

    ``pending`` rows are due once ``next_attempt_at`` has passed; a deliverer claims a row by
    moving ``next_attempt_at`` forward (a lease) and counting the attempt in one UPDATE, so
    two deliverers never send the same attempt. ``delivered`` and ``failed`` are final
    (an administrator may put a failed row back to ``pending``).
    """

    __tablename__ = "digital_service_webhook_deliveries"
    __table_args__ = (
        Index("ix_digital_service_webhook_deliveries_status_next_attempt_at",
              "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unique id of the event, sent in the body and the X-LMS-Delivery header; the same on
    #: every attempt, so receivers can drop duplicates (delivery is at-least-once).
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    #: "certificate.issued" or "certificate.revoked".
    event: Mapped[str] = mapped_column(String(40))
    #: The JSON body sent (without transport details).
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    #: HTTP status of the last answer, if any.
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(ERROR_LENGTH))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
