"""The competency catalogue (kamus kompetensi), course/lesson tags and positions (jabatan).

A competency is one entry of the catalogue (code, name, kind, optional SPBE domain/aspect).
Course versions and lessons carry competency tags; a position lists the competencies its
holders need. A person's gap is what their position requires minus what the versions they
hold a valid certificate for are tagged with (lms.services.competencies).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import db, str_enum
from lms.models.courses import Competency, SpbeDomain


class CompetencyEntry(db.Model):
    """One competency of the catalogue; `code` is what packages and CSV files name."""

    __tablename__ = "competencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[Competency] = mapped_column(str_enum(Competency), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    spbe_domain: Mapped[SpbeDomain | None] = mapped_column(str_enum(SpbeDomain, 30), index=True)
    #: An SPBE evaluation aspect (lms.services.competencies.SPBE_ASPECTS), inside spbe_domain.
    spbe_aspect: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    def __repr__(self) -> str:
        return f"<CompetencyEntry {self.code}>"


#: Competency tags of a course version (copied with the version, exported in course.yaml).
version_competencies = Table(
    "course_version_competencies", db.metadata,
    Column("version_id", ForeignKey("course_versions.id", ondelete="CASCADE"), primary_key=True),
    Column("competency_id", ForeignKey("competencies.id"), primary_key=True, index=True),
)

#: Competency tags of single lessons (a lesson may train more than its course's tags).
lesson_competencies = Table(
    "lesson_competencies", db.metadata,
    Column("lesson_id", ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True),
    Column("competency_id", ForeignKey("competencies.id"), primary_key=True, index=True),
)


class Position(db.Model):
    """A jabatan: the position people hold, with the competencies it requires."""

    __tablename__ = "positions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    requirements: Mapped[list[PositionRequirement]] = relationship(
        back_populates="position", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Position {self.code}>"


class PositionRequirement(db.Model):
    """A competency a position requires, with the target level (1-5) shown to people."""

    __tablename__ = "position_competencies"

    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id", ondelete="CASCADE"),
                                             primary_key=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id"), primary_key=True,
                                               index=True)
    level: Mapped[int] = mapped_column(Integer, default=1)

    position: Mapped[Position] = relationship(back_populates="requirements")
    competency: Mapped[CompetencyEntry] = relationship()
