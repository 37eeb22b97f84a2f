"""A certificate's life after issue: expiry, reminders, recertification, electronic signing.

- **Expiry**: a course version may say how many months its certificates stay valid
  (``certificate: {valid_for_months: N}`` in course.yaml); the certificate then carries
  ``expires_on`` (the last valid day) and shows as *expired* after it, everywhere.
- **Reminders** (:func:`send_expiry_reminders`, a periodic job of the worker): each holder
  is told ``CERT_EXPIRY_REMINDER_DAYS`` days before the expiry and once it has expired,
  every notice exactly once (``certificate_reminders`` records what was sent).
- **Recertification** (:func:`start_recertification`): from the first reminder on, the
  holder may retake the course; completing it again issues a new certificate (new number)
  and the old one becomes *superseded*, linked to it and kept as history.
- **Signing** (:func:`sign_one`, :func:`sign_pending`): after issue, a background job hands
  the stored PDF to the ``sign_certificate_pdf`` hook and stores the signed copy beside it.
  A failing plugin is recorded and retried; the certificate itself is never touched.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging

from flask import current_app
from flask_babel import force_locale, format_date
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from lms import events
from lms.database import db
from lms.i18n import N_
from lms.models import (
    Certificate,
    CertificateEvent,
    CertificateReminder,
    CertificateStatus,
    CourseVersion,
    Enrollment,
    EnrollmentStatus,
    LessonProgress,
    User,
)
from lms.services.certificates import CertificateError, local_date
from lms.storage import storage

log = logging.getLogger(__name__)

#: Reminder kind recorded once a certificate has expired (the others are day counts).
EXPIRED = "expired"
#: An "expired" notice is only sent for certificates that expired this recently (a site
#: that turns reminders on does not mail everyone whose certificate expired years ago).
EXPIRED_NOTICE_DAYS = 30
#: Certificates handled per batch by the periodic jobs (bounded memory and transactions).
BATCH = 200


def today() -> dt.date:
    return local_date(dt.datetime.now(dt.UTC))


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every stored moment is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# ------------------------------------------------------------------------ validity


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # unreachable


def expiry_for(version: CourseVersion, issued_on: dt.date) -> dt.date | None:
    """Last valid day of a certificate of `version` issued on `issued_on` (None: never
    expires): valid up to and including the same day N months later."""
    months = version.certificate_validity_months
    return add_months(issued_on, months) if months else None


def is_expired(certificate: Certificate, on: dt.date | None = None) -> bool:
    return certificate.expires_on is not None and (on or today()) > certificate.expires_on


def state(certificate: Certificate, on: dt.date | None = None) -> str:
    """What a certificate is worth now: valid, expired, superseded or revoked."""
    if certificate.status == CertificateStatus.VALID and is_expired(certificate, on):
        return "expired"
    return certificate.status.value


def reminder_days() -> list[int]:
    """CERT_EXPIRY_REMINDER_DAYS as whole positive days, largest first."""
    raw = current_app.config.get("CERT_EXPIRY_REMINDER_DAYS") or []
    if isinstance(raw, (int, str)):
        raw = [part for part in str(raw).split(",") if part.strip()]
    return sorted({int(d) for d in raw if int(d) > 0}, reverse=True)


def renewal_opens(certificate: Certificate) -> dt.date | None:
    """The day its holder may start retaking the course: the first reminder's day."""
    if certificate.expires_on is None:
        return None
    return certificate.expires_on - dt.timedelta(days=max(reminder_days(), default=0))


def can_recertify(certificate: Certificate, on: dt.date | None = None) -> bool:
    """An expiring (within the reminder window) or expired certificate, not yet renewed,
    whose course has not been restarted since it was issued."""
    opens = renewal_opens(certificate)
    if certificate.status != CertificateStatus.VALID or opens is None or (on or today()) < opens:
        return False
    enrollment = db.session.get(Enrollment, certificate.enrollment_id)
    return enrollment is not None and enrollment.completed_at is not None


def renews(existing: Certificate, enrollment: Enrollment) -> bool:
    """True when `enrollment` was restarted for recertification after `existing` was issued,
    so completing it issues a new certificate instead of returning `existing`."""
    return (enrollment.cycle_started_at is not None
            and _aware(existing.issued_at) < _aware(enrollment.cycle_started_at))


# ------------------------------------------------------------------ recertification


def start_recertification(user: User, certificate: Certificate) -> Enrollment:
    """Reopen the course for the holder of an expiring certificate (the old certificate stays
    valid until the new one is issued or it expires).

    The enrolment is reset: lesson progress is cleared and earlier quiz attempts no longer
    count (``cycle_started_at``), so the course is taken again in full; the learner follows
    the course's published version. Commits.
    """
    if certificate.user_id != user.id:
        raise CertificateError("only the holder may renew a certificate")
    if not can_recertify(certificate):
        raise CertificateError(f"certificate {certificate.number} cannot be renewed now")
    enrollment = db.session.get(Enrollment, certificate.enrollment_id)
    now = dt.datetime.now(dt.UTC)
    enrollment.status = EnrollmentStatus.ACTIVE
    enrollment.completed_at = enrollment.completed_version_id = enrollment.jp_awarded = None
    enrollment.last_lesson_key = None
    enrollment.cycle_started_at = now
    db.session.execute(delete(LessonProgress).where(LessonProgress.enrollment_id == enrollment.id))
    db.session.add(CertificateEvent(certificate_id=certificate.id, action="renewing",
                                    actor_id=user.id, reason="recertification started"))
    events.enqueue("learner_enrolled", enrollment=enrollment)
    events.commit()
    return enrollment


def supersede(existing: Certificate) -> None:
    """Retire a renewed certificate before its successor is issued (one valid per enrolment)."""
    existing.status = CertificateStatus.SUPERSEDED
    db.session.flush()


# ------------------------------------------------------------------------ reminders


def _due_kind(certificate: Certificate, on: dt.date, days: list[int]) -> str | None:
    """The one notice due now: "expired", else the nearest threshold reached (a run after
    a long pause sends the most relevant notice, not every one it missed)."""
    left = (certificate.expires_on - on).days
    if left < 0:
        return EXPIRED if -left <= EXPIRED_NOTICE_DAYS else None
    reached = [d for d in days if left <= d]
    return str(min(reached)) if reached else None


def send_expiry_reminders(on: dt.date | None = None) -> int:
    """Periodic job: queue the expiry notices due (each threshold once per certificate, and
    "expired" once); returns how many were queued. Safe to run often and concurrently."""
    on = on or today()
    days = reminder_days()
    horizon = on + dt.timedelta(days=max(days, default=0))
    queued, after = 0, 0
    while True:
        rows = db.session.execute(
            select(Certificate, User).join(User, User.id == Certificate.user_id)
            .where(Certificate.status == CertificateStatus.VALID, Certificate.id > after,
                   Certificate.expires_on.is_not(None), Certificate.expires_on <= horizon,
                   Certificate.expires_on >= on - dt.timedelta(days=EXPIRED_NOTICE_DAYS))
            .order_by(Certificate.id).limit(BATCH)).all()
        if not rows:
            break
        after = rows[-1][0].id
        sent = {(cid, kind) for cid, kind in db.session.execute(
            select(CertificateReminder.certificate_id, CertificateReminder.kind)
            .where(CertificateReminder.certificate_id.in_([c.id for c, _u in rows])))}
        for certificate, user in rows:
            kind = _due_kind(certificate, on, days)
            if kind is None or (certificate.id, kind) in sent:
                continue
            if _record(certificate.id, kind):
                _notify(certificate, user, kind, on)
                queued += 1
        db.session.commit()
    return queued


def _record(certificate_id: int, kind: str) -> bool:
    """INSERT the reminder unless it exists (ON CONFLICT DO NOTHING): True if this run won."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return db.session.scalar(
        dialect.insert(CertificateReminder)
        .values(certificate_id=certificate_id, kind=kind, sent_at=dt.datetime.now(dt.UTC))
        .on_conflict_do_nothing(index_elements=["certificate_id", "kind"])
        .returning(CertificateReminder.id)) is not None


def _notify(certificate: Certificate, user: User, kind: str, on: dt.date) -> None:
    from lms.services import notifications

    with force_locale(notifications.locale_for(user)):
        params = {"name": user.name, "course": certificate.course_title, "number": certificate.number,
                  "date": format_date(certificate.expires_on, format="long"),
                  "mine": notifications._site_url("/me/certificates")}
    if kind == EXPIRED:
        subject = (N_("Your certificate %(number)s has expired"), params)
        status = (N_('Your certificate %(number)s for "%(course)s" expired on %(date)s.'), params)
    else:
        subject = (N_("Your certificate %(number)s expires on %(date)s"), params)
        status = (N_('Your certificate %(number)s for "%(course)s" is valid until %(date)s.'), params)
    notifications.queue(user, "certificate-expiry", subject, [
        (N_("Hello %(name)s,"), params), status,
        (N_("To renew it, take the course again: open %(mine)s and choose \"Renew\"."), params),
    ], dedup_key=f"certificate-expiry:{certificate.id}:{kind}")


# -------------------------------------------------------------------------- signing


def signed_name(certificate: Certificate) -> str:
    return f"certificates/{certificate.code}.signed.pdf"


def signers() -> list:
    """The ``sign_certificate_pdf`` implementations, in pluggy's call order."""
    host = current_app.extensions["lms"]
    return [impl for impl in reversed(host.pm.hook.sign_certificate_pdf.get_hookimpls())
            if not (impl.hookwrapper or impl.wrapper)]


def _sign(certificate: Certificate, data: bytes) -> tuple[str | None, bytes | None]:
    """firstresult by hand, to know which plugin signed: (plugin name, bytes) or (None, None)."""
    arguments = {"certificate": certificate, "pdf_bytes": data}
    for impl in signers():
        result = impl.function(*[arguments[name] for name in impl.argnames])
        if result is not None:
            if not isinstance(result, (bytes, bytearray)) or not bytes(result[:5]) == b"%PDF-":
                raise TypeError(f"plugin {impl.plugin_name} returned something that is not a PDF")
            return impl.plugin_name, bytes(result)
    return None, None


def sign_one(certificate_id: int) -> str | None:
    """Background job: render (if needed) and sign one certificate; returns its sign status.

    A plugin that raises leaves the certificate "failed" with the error, to be tried again
    by :func:`sign_pending`; the stored original PDF stays as it is.
    """
    from lms.services import certificates

    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.status == CertificateStatus.REVOKED \
            or certificate.sign_status in ("signed", "skipped") or not signers():
        return None if certificate is None else certificate.sign_status
    data = certificates.pdf(certificate)  # stored, pdf_sha256 committed
    certificate.sign_attempts = (certificate.sign_attempts or 0) + 1
    try:
        plugin, signed = _sign(certificate, data)
    except Exception as exc:
        log.exception("signing certificate %s failed (attempt %d)", certificate.number,
                      certificate.sign_attempts)
        db.session.rollback()
        certificate = db.session.get(Certificate, certificate_id)
        certificate.sign_attempts = (certificate.sign_attempts or 0) + 1
        certificate.sign_status, certificate.sign_error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        db.session.commit()
        return "failed"
    if signed is None:
        certificate.sign_status, certificate.sign_error = "skipped", None
    else:
        storage().write(signed_name(certificate), signed)
        certificate.sign_status, certificate.sign_error = "signed", None
        certificate.signed_sha256 = hashlib.sha256(signed).hexdigest()
        certificate.signed_at = dt.datetime.now(dt.UTC)
        certificate.signed_by = plugin
    db.session.commit()
    return certificate.sign_status


def sign_pending(limit: int = BATCH) -> int:
    """Periodic job: sign certificates not yet tried, and retry failed ones (up to
    CERT_SIGN_MAX_ATTEMPTS); returns how many were signed. Nothing without a signing plugin."""
    if not signers():
        return 0
    attempts = int(current_app.config.get("CERT_SIGN_MAX_ATTEMPTS") or 10)
    ids = list(db.session.scalars(
        select(Certificate.id).where(Certificate.status == CertificateStatus.VALID,
                                     Certificate.sign_status.is_(None)
                                     | ((Certificate.sign_status == "failed")
                                        & (Certificate.sign_attempts < attempts)))
        .order_by(Certificate.id).limit(limit)))
    db.session.rollback()  # end the read before the jobs' own transactions
    return sum(1 for certificate_id in ids if sign_one(certificate_id) == "signed")


def reset_signature(certificate: Certificate) -> None:
    """Forget a signature (e.g. the signing plugin changed): the next run signs again."""
    storage().delete(signed_name(certificate))
    db.session.execute(update(Certificate).where(Certificate.id == certificate.id).values(
        sign_status=None, sign_attempts=0, sign_error=None, signed_at=None, signed_sha256=None,
        signed_by=None))
    db.session.commit()


def render_missing(limit: int = BATCH) -> int:
    """Periodic job: render the PDFs of valid certificates that have none yet, so their
    SHA-256 is published on the verify page soon after issue; returns how many."""
    from lms.services import certificates

    ids = list(db.session.scalars(select(Certificate.id).where(
        Certificate.status == CertificateStatus.VALID, Certificate.pdf_sha256.is_(None))
        .order_by(Certificate.id).limit(limit)))
    db.session.rollback()
    for certificate_id in ids:
        certificates.render_pdf(certificate_id)
    return len(ids)


def after_issue(certificate_id: int) -> None:
    """Background job queued when a certificate is issued: sign it when a plugin signs
    certificates, else pre-render its PDF when CERT_PRERENDER is on (sets pdf_sha256)."""
    from lms.services import certificates

    if signers():
        sign_one(certificate_id)
    elif current_app.config.get("CERT_PRERENDER"):
        certificates.render_pdf(certificate_id)
