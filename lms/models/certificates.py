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
from decimal import Decimal

from sqlalchemy import (Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text,
                        UniqueConstraint, func, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import db, str_enum
from lms.models.users import User


class CertificateStatus(str, enum.Enum):
    VALID = "valid"
    REVOKED = "revoked"
    #: Renewed by recertification: history, valid until its expiry date was reached or
    #: the new certificate replaced it (``replaced_by_id``); its JP credit stays.
    SUPERSEDED = "superseded"


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
    #: Last day the certificate is valid (issue date + the version's validity); None: no expiry.
    expires_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    #: Electronic signature by the ``sign_certificate_pdf`` hook, done by a background job:
    #: None (not tried yet), "signed", "skipped" (no plugin signs it) or "failed" (retried).
    sign_status: Mapped[str | None] = mapped_column(String(20), index=True)
    sign_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    sign_error: Mapped[str | None] = mapped_column(Text)
    signed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: SHA-256 of the signed copy (stored beside the PDF) and the plugin that signed it.
    signed_sha256: Mapped[str | None] = mapped_column(String(64))
    signed_by: Mapped[str | None] = mapped_column(String(100))

    user: Mapped[User] = relationship()


class CertificateReminder(db.Model):
    """An expiry notice sent for a certificate ("60", "14" days before, or "expired"):
    the unique pair makes every notice go out exactly once, even from two workers."""

    __tablename__ = "certificate_reminders"
    __table_args__ = (UniqueConstraint("certificate_id", "kind", name="uq_certificate_reminders_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


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
    #: (The columns below have server defaults only, so inserts written for the older
    #: ledger, like the core_0011 test's, still work.)
    #: Experiential learning (lms.services.jp_rules): the kind (coaching, magang, ...; ""
    #: for course credits), the raw measure the learner gave (hours, days, meetings or JP,
    #: in ``measure_unit`` as the rule said when it was recorded) that ``jp`` was computed from.
    #: (Filtered only together with user_id and year: ix_jp_entries_user_year_status serves it.)
    kind: Mapped[str] = mapped_column(String(20), server_default="")
    measure: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    measure_unit: Mapped[str] = mapped_column(String(10), server_default="")
    #: Number printed on the external certificate or letter (for the training-history export).
    reference_number: Mapped[str] = mapped_column(String(100), server_default="")
    #: In which capacity the decision was taken: supervisor | unit_admin | admin.
    decided_as: Mapped[str] = mapped_column(String(20), server_default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
