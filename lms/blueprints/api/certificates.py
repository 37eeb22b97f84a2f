"""Certificates: the holder's list, and the public check of a certificate by its code."""
from __future__ import annotations

from typing import Literal

from flask import url_for
from flask_login import current_user
from pydantic import Field
from sqlalchemy import select

from lms.api.errors import not_found
from lms.api.spec import PageQuery, Schema, Timestamp, paginate
from lms.blueprints.api import bp
from lms.models import Certificate, Course
from lms.services import certificates


class CertificatePublic(Schema):
    """Exactly what is printed on the certificate, nothing more."""

    number: str
    status: Literal["valid", "revoked", "superseded"] = Field(
        description="As recorded; superseded: renewed by recertification (see replaced_by).")
    state: Literal["valid", "expired", "revoked", "superseded"] = Field(
        description="What the certificate is worth today: status, with expiry applied.")
    expires_on: str | None = Field(description="ISO date, last valid day; null: never expires.")
    pdf_sha256: str | None = Field(description="SHA-256 of the issued PDF, once rendered.")
    signed_pdf_sha256: str | None = Field(description="SHA-256 of the electronically signed copy.")
    holder_name: str
    holder_nip: str
    course_title: str
    course_version: int
    jp: int
    competency: str
    completed_on: str = Field(description="ISO date.")
    issued_on: str = Field(description="ISO date, in the issuer's time zone.")
    issuer: str
    revoked_at: Timestamp | None
    revoked_reason: str | None
    verify_url: str = Field(description="The public verification page the QR code leads to.")


class MyCertificate(CertificatePublic):
    course: str = Field(description="The course's slug.")
    pdf_url: str
    credential_url: str | None = Field(description="Signed credential (JSON); null once revoked.")


class CertificateQuery(PageQuery):
    status: Literal["valid", "revoked", "superseded"] | None = None


def public_of(certificate: Certificate) -> dict:
    return {**certificates.public_view(certificate), "verify_url": certificates.verify_url(certificate)}


@bp.operation("/me/certificates", summary="My certificates", tags=("certificates",),
              query=CertificateQuery, response=MyCertificate, paged=True)
def my_certificates(query: CertificateQuery):
    """The caller's certificates, newest first, with their download links."""
    statement = (select(Certificate, Course.slug).join(Course, Course.id == Certificate.course_id)
                 .where(Certificate.user_id == current_user.id)
                 .order_by(Certificate.issued_at.desc(), Certificate.id.desc()))
    if query.status:
        statement = statement.where(Certificate.status == query.status)
    page = paginate(statement, query, scalars=False)
    page.items = [_mine(certificate, slug) for certificate, slug in page.items]
    return page


@bp.operation("/certificates/<code>", summary="Check a certificate", tags=("certificates",),
              auth="public", response=CertificatePublic)
def verify(code: str):
    """Anyone may check a certificate by the code in its QR link (/verify/<code>); a revoked
    one answers with its status and reason. Rate limited like the verification page."""
    certificate = certificates.by_code(code)
    if certificate is None:
        raise not_found("certificate")
    return public_of(certificate)


def _mine(certificate: Certificate, slug: str) -> dict:
    valid = certificate.status.value == "valid"
    return {**public_of(certificate), "course": slug,
            "pdf_url": url_for("certificates.download_pdf", number=certificate.number, _external=True),
            "credential_url": url_for("certificates.download_credential", number=certificate.number,
                                      _external=True) if valid else None}
