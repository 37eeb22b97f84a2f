"""Courses and their versions: a thin Course row, immutable versions holding the content.

At most one version per course is published (a partial unique index), so publishing is a
single transaction and a learner never sees half a version. Lessons carry the stable `key`
from the package; progress is recorded against that key so it survives new versions.
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (JSON, Boolean, Column, DateTime, ForeignKey, Index, Integer, String,
                        Table, Text, UniqueConstraint, func, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import db, str_enum



class Competency(str, enum.Enum):
    """Kinds of ASN competency (DESIGN 6)."""

    TEKNIS = "teknis"
    MANAJERIAL = "manajerial"
    SOSIAL_KULTURAL = "sosial-kultural"


class SpbeDomain(str, enum.Enum):
    """The four domains of the SPBE evaluation (Perpres 95/2018, PermenPANRB 59/2020)."""

    KEBIJAKAN_INTERNAL = "kebijakan-internal"
    TATA_KELOLA = "tata-kelola"
    MANAJEMEN = "manajemen"
    LAYANAN = "layanan"


class VersionStatus(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


course_prerequisites = Table(
    "course_prerequisites", db.metadata,
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    Column("required_course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


#: Who may author a course (besides admins): its owner and co-authors.
course_authors = Table(
    "course_authors", db.metadata,
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Course(db.Model):
    """The lasting identity of a course: slug, enrolment settings, prerequisites."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    #: Optional key learners must type to self-enrol (shown to authors and admins).
    enrolment_key: Mapped[str | None] = mapped_column(String(100))
    self_enrolment: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Certificate design (a registered template key); None means the core's "classic".
    certificate_template: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    versions: Mapped[list[CourseVersion]] = relationship(
        back_populates="course", order_by="CourseVersion.number", cascade="all, delete-orphan")
    authors: Mapped[list["User"]] = relationship(secondary=course_authors)  # noqa: F821
    prerequisites: Mapped[list[Course]] = relationship(
        secondary=course_prerequisites,
        primaryjoin=lambda: Course.id == course_prerequisites.c.course_id,
        secondaryjoin=lambda: Course.id == course_prerequisites.c.required_course_id)

    def __repr__(self) -> str:
        return f"<Course {self.slug}>"


class CourseVersion(db.Model):
    """One version of a course's content and catalog data; immutable once published."""

    __tablename__ = "course_versions"
    __table_args__ = (
        UniqueConstraint("course_id", "number"),
        # One published version per course: publishing swaps it in a single transaction.
        Index("uq_course_versions_published", "course_id", unique=True,
              sqlite_where=text("status = 'published'"),
              postgresql_where=text("status = 'published'")),
        Index("ix_course_versions_catalog", "status", "competency", "language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[VersionStatus] = mapped_column(str_enum(VersionStatus), default=VersionStatus.DRAFT)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="id")
    #: Jam pelajaran credited on completion (whole hours of 45 minutes).
    jp: Mapped[int] = mapped_column(Integer, default=0, index=True)
    competency: Mapped[Competency] = mapped_column(str_enum(Competency))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    cover_image: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: SHA-256 of the plugin package this version was installed from (see services.curricula).
    package_digest: Mapped[str | None] = mapped_column(String(64))
    #: SPBE domain of digital-service content (catalog filter, competency gap view).
    spbe_domain: Mapped[SpbeDomain | None] = mapped_column(str_enum(SpbeDomain, 30), index=True)
    #: Months a certificate of this version stays valid (course.yaml ``certificate:
    #: {valid_for_months: N}``); None: it never expires.
    certificate_validity_months: Mapped[int | None] = mapped_column(Integer)

    course: Mapped[Course] = relationship(back_populates="versions")
    category: Mapped[Category | None] = relationship()
    sections: Mapped[list[Section]] = relationship(
        back_populates="version", order_by="Section.position", cascade="all, delete-orphan")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="version", order_by="Lesson.position", cascade="all, delete-orphan")


class Section(db.Model):
    __tablename__ = "sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"),
                                            index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))

    version: Mapped[CourseVersion] = relationship(back_populates="sections")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="section", order_by="Lesson.position")


class Lesson(db.Model):
    """A lesson of one version; `key` is the package's stable id, `body_html` pre-rendered."""

    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"),
                                            index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    #: Order within the whole version (sections first, then lessons), for previous/next.
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40), default="markdown")
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Type-specific settings from the manifest (url, description, ...).
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    #: The markdown source as authored (kept for export and editing).
    source: Mapped[str | None] = mapped_column(Text)
    #: Sanitised HTML rendered once at import, never per request.
    body_html: Mapped[str] = mapped_column(Text, default="")
    #: SPBE domain of this lesson when it differs from (or refines) its version's.
    spbe_domain: Mapped[SpbeDomain | None] = mapped_column(str_enum(SpbeDomain, 30), index=True)

    version: Mapped[CourseVersion] = relationship(back_populates="lessons")
    section: Mapped[Section] = relationship(back_populates="lessons")
