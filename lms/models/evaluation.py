"""Post-training evaluation: the course's feedback form, who was asked, and the answers.

Kirkpatrick level 1 (reaction, a form at course end) and level 3 (behaviour, a follow-up
survey N weeks later to the learner and their supervisor). See docs/evaluation.md.

Who was asked (``evaluation_requests``) and what was answered (``evaluation_responses`` and
``evaluation_answers``) are kept apart on purpose: for an anonymous course the request is the
"already responded" marker, and the response carries neither a user id nor a time, so the
two cannot be joined back to a person through the application.
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, func)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import db, str_enum


class EvaluationKind(str, enum.Enum):
    """What is asked: reaction at course end, or the follow-up to the learner / supervisor."""

    COURSE = "course"
    FOLLOWUP_LEARNER = "followup_learner"
    FOLLOWUP_SUPERVISOR = "followup_supervisor"


class EvaluationForm(db.Model):
    """A course's evaluation settings; a course without a row uses the defaults.

    ``questions`` is a list of ``{"key", "kind": "likert"|"text", "required", "text"}``; a
    question still equal to a built-in default carries ``"builtin": <key>`` instead of a text,
    so it is shown in each reader's language.
    """

    __tablename__ = "evaluation_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), unique=True)
    #: Off: no form at course end and no follow-up for this course.
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Responses are stored without user id or time; results only in aggregate.
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Weeks after completion for the follow-up; None: EVALUATION_FOLLOWUP_WEEKS; 0: no follow-up.
    followup_weeks: Mapped[int | None] = mapped_column(Integer)
    questions: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                    onupdate=func.now())

    course: Mapped["Course"] = relationship()  # noqa: F821


class EvaluationRequest(db.Model):
    """One person asked one survey about one enrolment; ``responded_at`` marks the answer.

    Unique per (enrolment, kind): a course form is answered once per enrolment, and the
    follow-up job can run any number of times without asking twice.
    """

    __tablename__ = "evaluation_requests"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "kind"),
        Index("ix_evaluation_requests_course_kind", "course_id", "kind"),
        Index("ix_evaluation_requests_respondent_open", "respondent_id", "responded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EvaluationKind] = mapped_column(str_enum(EvaluationKind))
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    #: Who answers: the learner, or (supervisor follow-up) their supervisor.
    respondent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: The learner the survey is about.
    subject_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The learner's unit when asked: per-unit rates and results.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    responded: Mapped[bool] = mapped_column(Boolean, default=False)
    #: None for anonymous courses (a time would pair the marker with its response).
    responded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    respondent: Mapped["User"] = relationship(foreign_keys=[respondent_id])  # noqa: F821
    subject: Mapped["User"] = relationship(foreign_keys=[subject_id])  # noqa: F821


class EvaluationResponse(db.Model):
    """A submitted survey. Anonymous ones have no user, request or time."""

    __tablename__ = "evaluation_responses"
    __table_args__ = (Index("ix_evaluation_responses_course_kind", "course_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EvaluationKind] = mapped_column(str_enum(EvaluationKind))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Named responses only: the request answered (its respondent and subject).
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluation_requests.id", ondelete="CASCADE"), unique=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"), index=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    answers: Mapped[list[EvaluationAnswer]] = relationship(back_populates="response",
                                                           cascade="all, delete-orphan")


class EvaluationAnswer(db.Model):
    """One answer: a Likert value 1-5 or a text, under the question's stable key."""

    __tablename__ = "evaluation_answers"
    __table_args__ = (UniqueConstraint("response_id", "question_key"),
                      Index("ix_evaluation_answers_key_value", "question_key", "value"))

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("evaluation_responses.id", ondelete="CASCADE"),
                                             index=True)
    question_key: Mapped[str] = mapped_column(String(40))
    value: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[EvaluationResponse] = relationship(back_populates="answers")
