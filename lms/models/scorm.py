"""SCORM 1.2 runtime data: one row per enrolment and SCORM lesson (by its stable key).

Keyed like lesson progress (enrolment + lesson key), so a learner's suspend data, score and
time survive a new version of the course. Times are whole centiseconds (CMITimespan has two
decimals); scores are decimals. Interactions and objectives are kept as JSON lists.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import db
from lms.models.learning import Enrollment


class ScormState(db.Model):
    __tablename__ = "scorm_states"
    __table_args__ = (UniqueConstraint("enrollment_id", "lesson_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    lesson_key: Mapped[str] = mapped_column(String(80))
    #: cmi.core.lesson_status: not attempted, incomplete, completed, passed, failed, browsed.
    lesson_status: Mapped[str] = mapped_column(String(20), default="not attempted", index=True)
    score_raw: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    score_min: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    score_max: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    lesson_location: Mapped[str] = mapped_column(String(255), default="")
    suspend_data: Mapped[str] = mapped_column(Text, default="")
    comments: Mapped[str] = mapped_column(Text, default="")
    #: cmi.core.exit of the last session: decides the next cmi.core.entry.
    exit: Mapped[str] = mapped_column(String(20), default="")
    #: cmi.core.total_time in centiseconds: earlier sessions plus the latest session's time.
    total_time_cs: Mapped[int] = mapped_column(Integer, default=0)
    #: The latest session (a random token) and the session_time it last reported.
    session_token: Mapped[str | None] = mapped_column(String(64))
    session_time_cs: Mapped[int] = mapped_column(Integer, default=0)
    sessions: Mapped[int] = mapped_column(Integer, default=0)
    #: cmi.student_preference.* (audio, language, speed, text).
    preferences: Mapped[dict] = mapped_column(JSON, default=dict)
    objectives: Mapped[list] = mapped_column(JSON, default=list)
    interactions: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    enrollment: Mapped[Enrollment] = relationship()

    def __repr__(self) -> str:
        return f"<ScormState {self.enrollment_id}:{self.lesson_key} {self.lesson_status}>"
