"""E-certificates, their audit trail, and the JP ledger.

A certificate freezes what it certifies (holder, NIP, course, version, JP) at issue, so
later edits to a profile or a course never change a certificate already handed out. One
certificate per completed enrolment (a unique constraint); a re-issue revokes the old one
and links the new one to it. The JP ledger holds every credit a learner earns in a year,
from courses (through their certificate) and from external training approved by an admin.
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import db, str_enum
from lms.models.users import User


class CertificateStatus(str, enum.Enum):
    VALID = "valid"
    REVOKED = "revoked"


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (
        Index("ix_certificates_user_issued", "user_id", "issued_at"),
        # One valid certificate per completed enrolment: issuing twice is impossible.
        Index("uq_certificates_valid_enrollment", "enrollment_id", unique=True,
              sqlite_where=text("status = 'valid'"), postgresql_where=text("status = 'valid'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Human-readable number printed on the certificate ("SMG-2026-000042").
    number: Mapped[str] = mapped_column(String(40), unique=True)
    #: Unguessable verification code (secrets.token_urlsafe(24): 192 bits) used by /verify.
    code: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"), index=True)
    #: The completed enrolment; a re-issued certificate points at the same one.
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), index=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_nip: Mapped[str] = mapped_column(String(18), default="")
    course_title: Mapped[str] = mapped_column(String(200))
    course_version: Mapped[int] = mapped_column(Integer)
    jp: Mapped[int] = mapped_column(Integer)
    competency: Mapped[str] = mapped_column(String(20))
    completed_on: Mapped[dt.date] = mapped_column(Date)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    issuer_name: Mapped[str] = mapped_column(String(200))
    issuer_city: Mapped[str] = mapped_column(String(100))
    signer_name: Mapped[str] = mapped_column(String(200))
    signer_title: Mapped[str] = mapped_column(String(200))
    template: Mapped[str] = mapped_column(String(40), default="classic")
    language: Mapped[str] = mapped_column(String(8), default="id")
    status: Mapped[CertificateStatus] = mapped_column(str_enum(CertificateStatus),
                                                      default=CertificateStatus.VALID, index=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    #: The certificate that replaced this one (re-issue), if any.
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), index=True)
    #: SHA-256 of the rendered PDF (cached file), set on first rendering.
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()


class CertificateEvent(db.Model):
    """Audit trail: who issued, revoked or re-issued a certificate, when and why."""

    __tablename__ = "certificate_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # issued | revoked | reissued
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    actor: Mapped[User | None] = relationship()


class JpSource(str, enum.Enum):
    COURSE = "course"
    EXTERNAL = "external"


class JpStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class JpEntry(db.Model):
    """One credit in a learner's JP ledger; only approved entries count."""

    __tablename__ = "jp_entries"
    __table_args__ = (
        Index("ix_jp_entries_user_year_status", "user_id", "year", "status"),
        # JP reports (services.jp_reports): a person's approved JP of a year, and per
        # competency, read from the index alone (PostgreSQL index-only scan, SQLite covering).
        Index("ix_jp_entries_report", "year", "status", "user_id", "competency", "jp"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[JpSource] = mapped_column(str_enum(JpSource))
    status: Mapped[JpStatus] = mapped_column(str_enum(JpStatus), default=JpStatus.PENDING)
    jp: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    organiser: Mapped[str] = mapped_column(String(200), default="")
    competency: Mapped[str] = mapped_column(String(20), default="")
    start_on: Mapped[dt.date] = mapped_column(Date)
    end_on: Mapped[dt.date] = mapped_column(Date)
    #: Course credits point at their certificate (revoking it voids the credit).
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), unique=True)
    #: Stored evidence file for external training (path inside the storage directory).
    evidence_path: Mapped[str | None] = mapped_column(String(300))
    evidence_name: Mapped[str | None] = mapped_column(String(200))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    user: Mapped[User] = relationship(foreign_keys=[user_id])
