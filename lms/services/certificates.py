"""E-certificates: issue once per completion, revoke, re-issue, render, sign, verify.

Issuing happens inside the transaction that completes the course, so a completion and its
certificate (and its JP credit) are recorded together or not at all.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from lms import events
from lms.certificates.data import CertificateData
from lms.database import db
from lms.errors import LmsError
from lms.models import (Certificate, CertificateEvent, CertificateStatus, CourseVersion, Enrollment,
                        JpEntry, JpSource, JpStatus, User)
from lms.storage import storage


class CertificateError(LmsError):
    """A certificate action that is not possible (e.g. revoking a revoked certificate)."""


def local_date(moment: dt.datetime) -> dt.date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


# ------------------------------------------------------------------------ issue


def valid_certificate(enrollment_id: int) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.enrollment_id == enrollment_id,
                                                       Certificate.status == CertificateStatus.VALID))


def issue_for_enrollment(enrollment: Enrollment, actor: User | None = None) -> Certificate:
    """Issue the certificate of a completed enrolment (or return the one it has).

    Flushes but does not commit: the caller's transaction (the completion) commits both.
    """
    from lms.services import certificate_lifecycle

    existing = valid_certificate(enrollment.id)
    if existing is not None and not certificate_lifecycle.renews(existing, enrollment):
        return existing
    if enrollment.completed_at is None:
        raise CertificateError("the enrolment is not completed")
    if existing is not None:  # recertification: the old one becomes history
        certificate_lifecycle.supersede(existing)
    version = db.session.get(CourseVersion, enrollment.completed_version_id)
    certificate = _new_certificate(enrollment, version, db.session.get(User, enrollment.user_id))
    if existing is not None:
        existing.replaced_by_id = certificate.id
        _audit(existing, "renewed", actor, f"replaced by {certificate.number}")
    db.session.add(JpEntry(user_id=certificate.user_id, year=certificate.completed_on.year,
                           source=JpSource.COURSE, status=JpStatus.APPROVED, jp=certificate.jp,
                           title=certificate.course_title, organiser=certificate.issuer_name,
                           competency=certificate.competency, start_on=local_date(enrollment.enrolled_at),
                           end_on=certificate.completed_on, certificate_id=certificate.id))
    _audit(certificate, "issued", actor, "")
    events.enqueue("certificate_issued", certificate=certificate)
    return certificate


def _new_certificate(enrollment: Enrollment, version: CourseVersion, user: User) -> Certificate:
    cfg = current_app.config
    now = dt.datetime.now(dt.timezone.utc)
    course = version.course
    certificate = Certificate(
        number=f"tmp-{secrets.token_hex(8)}", code=secrets.token_urlsafe(24), user_id=user.id,
        course_id=course.id, version_id=version.id, enrollment_id=enrollment.id,
        holder_name=user.name, holder_nip=user.nip or "", course_title=version.title,
        course_version=version.number, jp=enrollment.jp_awarded or 0,
        competency=version.competency.value, completed_on=local_date(enrollment.completed_at),
        issued_at=now, issuer_name=cfg["CERT_ISSUER_NAME"], issuer_city=cfg["CERT_ISSUER_CITY"],
        signer_name=cfg["CERT_SIGNER_NAME"], signer_title=cfg["CERT_SIGNER_TITLE"],
        template=course.certificate_template or "classic", language=version.language)
    db.session.add(certificate)
    db.session.flush()  # the number carries the row id: unique without a race
    certificate.number = f"{cfg['CERT_NUMBER_PREFIX']}-{local_date(now).year}-{certificate.id:06d}"
    from lms.services.certificate_lifecycle import expiry_for

    certificate.expires_on = expiry_for(version, local_date(now))
    return certificate


def _audit(certificate: Certificate, action: str, actor: User | None, reason: str) -> None:
    db.session.add(CertificateEvent(certificate_id=certificate.id, action=action,
                                    actor_id=actor.id if actor else None, reason=reason))


# --------------------------------------------------------------- revoke, re-issue


def revoke(certificate: Certificate, actor: User, reason: str) -> None:
    """Revoke a valid certificate; its JP credit no longer counts. Reason required."""
    _revoke(certificate, actor, reason)
    events.commit()


def _revoke(certificate: Certificate, actor: User, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError("a reason is required")
    if certificate.status == CertificateStatus.REVOKED:
        raise CertificateError(f"certificate {certificate.number} is already revoked")
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = dt.datetime.now(dt.timezone.utc)
    certificate.revoked_reason = reason
    credit = db.session.scalar(select(JpEntry).where(JpEntry.certificate_id == certificate.id))
    if credit is not None:
        credit.status, credit.decision_note = JpStatus.REJECTED, f"certificate revoked: {reason}"
    _audit(certificate, "revoked", actor, reason)
    events.enqueue("certificate_revoked", certificate=certificate, reason=reason)


def reissue(certificate: Certificate, actor: User, reason: str) -> Certificate:
    """Replace a certificate (e.g. a corrected name): revoke it and issue a new one, linked."""
    _revoke(certificate, actor, f"re-issued: {(reason or '').strip()}" if (reason or "").strip() else "")
    db.session.flush()
    enrollment = db.session.get(Enrollment, certificate.enrollment_id)
    replacement = issue_for_enrollment(enrollment, actor)
    certificate.replaced_by_id = replacement.id
    _audit(replacement, "reissued", actor, f"replaces {certificate.number}")
    events.commit()
    return replacement


# ------------------------------------------------------------------------ reading


def by_code(code: str) -> Certificate | None:
    if not code or len(code) > 64:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def by_number(number: str) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.number == number))


def of_user(user: User) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)
                                   .order_by(Certificate.issued_at.desc())))


def history(certificate: Certificate) -> list[CertificateEvent]:
    return list(db.session.scalars(select(CertificateEvent).where(
        CertificateEvent.certificate_id == certificate.id).order_by(CertificateEvent.at, CertificateEvent.id)))


def public_view(certificate: Certificate) -> dict:
    """What anyone checking a certificate may see: exactly what is printed on it, and its
    status (the verify page, its JSON twin and the API share this one definition)."""
    from lms.services.certificate_lifecycle import state

    return {"number": certificate.number, "status": certificate.status.value,
            "state": state(certificate),
            "expires_on": certificate.expires_on.isoformat() if certificate.expires_on else None,
            "pdf_sha256": certificate.pdf_sha256, "signed_pdf_sha256": certificate.signed_sha256,
            "holder_name": certificate.holder_name, "holder_nip": certificate.holder_nip,
            "course_title": certificate.course_title, "course_version": certificate.course_version,
            "jp": certificate.jp, "competency": certificate.competency,
            "completed_on": certificate.completed_on.isoformat(),
            "issued_on": local_date(certificate.issued_at).isoformat(),
            "issuer": certificate.issuer_name, "revoked_at": certificate.revoked_at,
            "revoked_reason": certificate.revoked_reason}


def verify_url(certificate: Certificate) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/verify/{certificate.code}"


def data_of(certificate: Certificate) -> CertificateData:
    """The frozen content of a certificate, in its own language."""
    from lms.templating import label

    with force_locale(certificate.language):
        competency = str(label("competency", certificate.competency))
    return CertificateData(
        number=certificate.number, code=certificate.code, verify_url=verify_url(certificate),
        holder_name=certificate.holder_name, holder_nip=certificate.holder_nip,
        course_title=certificate.course_title, course_version=certificate.course_version,
        jp=certificate.jp, competency=certificate.competency, competency_label=competency,
        issued_on=local_date(certificate.issued_at), completed_on=certificate.completed_on,
        issuer_name=certificate.issuer_name, issuer_city=certificate.issuer_city,
        signer_name=certificate.signer_name, signer_title=certificate.signer_title,
        language=certificate.language)


# ------------------------------------------------------------ PDF and credential


def pdf(certificate: Certificate) -> bytes:
    """The certificate's PDF: rendered once, then served from storage."""
    from lms.registry import certificate_templates

    name = f"certificates/{certificate.code}.pdf"
    files = storage()
    if files.exists(name):
        data = files.read(name)
        if certificate.pdf_sha256 is None:  # stored, but its hash was never recorded
            certificate.pdf_sha256 = hashlib.sha256(data).hexdigest()
            db.session.commit()
        return data
    data = certificate_templates().get(certificate.template).render(data_of(certificate))
    files.write(name, data)
    certificate.pdf_sha256 = hashlib.sha256(data).hexdigest()
    db.session.commit()
    return data


def download(certificate: Certificate) -> bytes:
    """What the holder downloads: the electronically signed copy once there is one."""
    from lms.services.certificate_lifecycle import signed_name

    if certificate.signed_sha256:
        files = storage()
        if files.exists(signed_name(certificate)):
            return files.read(signed_name(certificate))
    return pdf(certificate)


def render_pdf(certificate_id: int) -> None:
    """Background job: render and store a certificate's PDF (nothing if it already is)."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is not None and certificate.status != CertificateStatus.REVOKED:
        pdf(certificate)


def signing_key():
    """The instance's Ed25519 key: CREDENTIAL_KEY (PEM), or one kept in the instance folder."""
    from pathlib import Path

    from lms.certificates.credential import key_from_pem, load_or_create_key

    pem = current_app.config.get("CREDENTIAL_KEY")
    if pem:
        return key_from_pem(pem)
    return load_or_create_key(Path(current_app.instance_path) / "credential_key.pem")


def issuer_id() -> str:
    from lms.certificates.credential import issuer_did

    return issuer_did(signing_key().public_key())


def credential(certificate: Certificate) -> dict:
    """The certificate as a signed Open Badges 3.0 credential."""
    from lms.certificates.credential import build_credential, sign

    key = signing_key()
    return sign(build_credential(data_of(certificate), issuer_id()), key)


def check_credential(document) -> tuple[object, Certificate | None]:
    """Verify a presented credential's signature, then look up its certificate's status."""
    from lms.certificates.credential import verify

    result = verify(document, [signing_key().public_key()])
    certificate = by_code(result.code) if result.valid and result.code else None
    return result, certificate
