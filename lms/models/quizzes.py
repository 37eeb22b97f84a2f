"""Quizzes, their question bank, and attempts.

Questions belong to a course version's bank (immutable once the version is published,
like lessons). An attempt snapshots the definitions of the questions it drew, so editing
a bank later never changes an open or a finished attempt. At most one attempt per learner
and quiz is open: a partial unique index, not only a check in code.
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import db, str_enum
from lms.models.courses import CourseVersion, Section
from lms.models.users import User


class GradingMethod(str, enum.Enum):
    """Which attempt counts when a learner tries a quiz several times."""

    HIGHEST = "highest"
    LAST = "last"
    AVERAGE = "average"


class AttemptState(str, enum.Enum):
    OPEN = "open"
    #: Submitted (or closed at the deadline) and graded; the score is final.
    GRADED = "graded"
    #: Submitted, but an essay waits for a person to grade it.
    NEEDS_GRADING = "needs_grading"


class Question(db.Model):
    """One question of a version's bank; `definition` follows docs/questions.md."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("version_id", "key"),
                      Index("ix_questions_version_category", "version_id", "category"))

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"),
                                            index=True)
    key: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(200), default="")
    type: Mapped[str] = mapped_column(String(40))
    points: Mapped[float] = mapped_column(Float, default=1.0)
    definition: Mapped[dict] = mapped_column(JSON)
    #: The question text as sanitised HTML, rendered once at import.
    text_html: Mapped[str] = mapped_column(Text, default="")

    version: Mapped[CourseVersion] = relationship()


class Quiz(db.Model):
    """A quiz at the end of a section; `key` is the package's stable quiz id."""

    __tablename__ = "quizzes"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"),
                                            index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    #: Required quizzes must be passed for the course to complete.
    required: Mapped[bool] = mapped_column(default=True)
    #: Percentage (0-100) of the points needed to pass.
    pass_mark: Mapped[float] = mapped_column(Float, default=70.0)
    #: Minutes; None means untimed.
    time_limit: Mapped[int | None] = mapped_column(Integer)
    #: None means unlimited.
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    #: Minutes to wait after an attempt before the next one.
    attempt_delay: Mapped[int] = mapped_column(Integer, default=0)
    grading_method: Mapped[GradingMethod] = mapped_column(str_enum(GradingMethod),
                                                          default=GradingMethod.HIGHEST)
    shuffle_questions: Mapped[bool] = mapped_column(default=False)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    #: Draw this many questions at random (None: all selected questions).
    draw_count: Mapped[int | None] = mapped_column(Integer)
    #: Question keys in quiz order; empty means every question of `draw_category`.
    question_keys: Mapped[list] = mapped_column(JSON, default=list)
    draw_category: Mapped[str] = mapped_column(String(200), default="")
    #: When learners see what after submitting: "score", "answers" (right answers too),
    #: "feedback" (per-question feedback); a list of those.
    review: Mapped[list] = mapped_column(JSON, default=lambda: ["score", "feedback", "answers"])

    section: Mapped[Section] = relationship()
    version: Mapped[CourseVersion] = relationship()


class Attempt(db.Model):
    """One try at a quiz by one learner; immutable once submitted."""

    __tablename__ = "attempts"
    __table_args__ = (
        # The rule "one open attempt per learner and quiz", enforced by the database.
        Index("uq_attempts_open", "user_id", "quiz_key", "course_id", unique=True,
              sqlite_where=text("state = 'open'"), postgresql_where=text("state = 'open'")),
        Index("ix_attempts_user_quiz", "user_id", "course_id", "quiz_key"),
        Index("ix_attempts_open_deadline", "state", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Public, unguessable id used in URLs (no enumeration of attempt numbers).
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    #: The quiz is identified by its stable key across versions.
    quiz_key: Mapped[str] = mapped_column(String(80))
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[AttemptState] = mapped_column(str_enum(AttemptState), default=AttemptState.OPEN)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    #: Hard deadline (start + time limit); None when untimed. Grace applies on top.
    deadline: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: How it ended: "submitted" by the learner, or "expired" (closed by the deadline job).
    finished_by: Mapped[str | None] = mapped_column(String(20))
    #: Seeds the option shuffling so a reload shows the same order.
    seed: Mapped[int] = mapped_column(Integer)
    points: Mapped[float] = mapped_column(Float, default=0.0)
    max_points: Mapped[float] = mapped_column(Float, default=0.0)
    #: 0..100; None until graded.
    score: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column()

    user: Mapped[User] = relationship()
    quiz: Mapped[Quiz] = relationship()
    questions: Mapped[list[AttemptQuestion]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.slot", cascade="all, delete-orphan")


class AttemptQuestion(db.Model):
    """A question as drawn into an attempt: a snapshot of its definition, and the response."""

    __tablename__ = "attempt_questions"
    __table_args__ = (UniqueConstraint("attempt_id", "slot"),
                      Index("ix_attempt_questions_key", "question_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    slot: Mapped[int] = mapped_column(Integer)
    question_key: Mapped[str] = mapped_column(String(120))
    definition: Mapped[dict] = mapped_column(JSON)
    text_html: Mapped[str] = mapped_column(Text, default="")
    points: Mapped[float] = mapped_column(Float, default=1.0)
    response: Mapped[object | None] = mapped_column(JSON)
    saved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    fraction: Mapped[float | None] = mapped_column(Float)
    feedback: Mapped[str] = mapped_column(Text, default="")
    #: Who graded it by hand (essays), and when.
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    graded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    attempt: Mapped[Attempt] = relationship(back_populates="questions")
