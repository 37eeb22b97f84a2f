"""Enrolments and lesson progress."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import db, str_enum
from lms.models.courses import Course, CourseVersion
from lms.models.users import User


class EnrollmentStatus(str, enum.Enum):
    ACTIVE = "active"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class EnrollmentSource(str, enum.Enum):
    SELF = "self"
    ADMIN = "admin"
    UNIT = "unit"
    #: Enrolled by an assignment with a due date (lms.services.assignments). Stored as a
    #: VARCHAR(20) without a CHECK constraint (str_enum), so the new value needs no migration.
    ASSIGNED = "assigned"


class Enrollment(db.Model):
    """A learner in a course; one row per (user, course), reused on re-enrolment."""

    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id"),
        Index("ix_enrollments_course_status", "course_id", "status"),
        Index("ix_enrollments_user_completed", "user_id", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    status: Mapped[EnrollmentStatus] = mapped_column(str_enum(EnrollmentStatus),
                                                     default=EnrollmentStatus.ACTIVE)
    source: Mapped[EnrollmentSource] = mapped_column(str_enum(EnrollmentSource),
                                                     default=EnrollmentSource.SELF)
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    enrolled_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    #: Where "continue" takes the learner.
    last_lesson_key: Mapped[str | None] = mapped_column(String(80))
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    completed_version_id: Mapped[int | None] = mapped_column(ForeignKey("course_versions.id"),
                                                             index=True)
    #: JP credited at completion, frozen so later versions never change a learner's record.
    jp_awarded: Mapped[int | None] = mapped_column(Integer)
    #: Last day to complete the course, set by an assignment; the earliest wins when several
    #: assignments cover the same learner and course. None: no deadline.
    due_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    #: The assignment whose due date this is (the learner's row in its per-learner status).
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"), index=True)
    #: Set when the holder of an expiring certificate retakes the course (recertification):
    #: quiz attempts started before it belong to the earlier certificate and no longer count.
    cycle_started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()
    completed_version: Mapped[CourseVersion | None] = relationship()
    progress: Mapped[list[LessonProgress]] = relationship(back_populates="enrollment",
                                                          cascade="all, delete-orphan")


class LessonProgress(db.Model):
    """A lesson (by stable key) completed within an enrolment."""

    __tablename__ = "lesson_progress"
    #: The unique (enrollment_id, lesson_key) index also serves lookups by enrollment_id.
    __table_args__ = (UniqueConstraint("enrollment_id", "lesson_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    lesson_key: Mapped[str] = mapped_column(String(80))
    completed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    enrollment: Mapped[Enrollment] = relationship(back_populates="progress")
