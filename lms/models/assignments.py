"""Assignments: a course given to a unit or to listed learners, with a due date.

The per-learner side lives on ``Enrollment`` (``due_on``, ``assignment_id``): an enrolment is
tracked under the assignment that gave it its (earliest) due date.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import db
from lms.models.courses import Course
from lms.models.orgs import Unit
from lms.models.users import User

NOTE_LENGTH = 1000


class Assignment(db.Model):
    """One decision of an administrator: "these learners must complete this course by then"."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    #: The unit assigned; None when the assignment named its learners one by one.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    #: With `unit_id`: its sub-units' members too (and, for `sync-assignments`, later joiners).
    include_subunits: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The smallest unit holding every learner assigned: unit admins of it (or above) see the
    #: assignment. None (learners without a unit, or from different agencies): admins only.
    scope_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    #: Last day to complete the course (inclusive), in the agency's time zone.
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    note: Mapped[str] = mapped_column(String(NOTE_LENGTH), default="")
    #: Learners the assignment covered when it was made (some may be tracked under an
    #: earlier-due assignment of the same course).
    learner_count: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                    index=True)

    course: Mapped[Course] = relationship()
    unit: Mapped[Unit | None] = relationship(foreign_keys=[unit_id])
    scope_unit: Mapped[Unit | None] = relationship(foreign_keys=[scope_unit_id])
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Assignment {self.id} course={self.course_id} due={self.due_on}>"
