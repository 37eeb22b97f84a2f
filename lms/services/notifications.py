"""The notification outbox: queue messages with the change, send them outside the request.

Queueing (``queue``, ``queue_assignment``, ``queue_certificate``, ``queue_reminders``) adds
rows to ``notifications`` in the caller's transaction, rendered at once in the recipient's
language, so a change that rolls back announces nothing and the sender needs no templates.

Sending (``send_due``) runs in ``flask lms send-notifications`` (cron) and, when
``MAIL_BACKGROUND`` is on, in a daemon thread started after commit (``kick``). Each message
is first *claimed* with one atomic UPDATE that counts the attempt and moves
``next_attempt_at`` a lease ahead (``MAIL_CLAIM_SECONDS``); the claim commits before the
SMTP exchange, so no lock is held while the server answers, and a second sender finds the
row not due. On PostgreSQL the claim skips rows another sender has locked
(``FOR UPDATE SKIP LOCKED``); on SQLite writers are serialised anyway. Delivery is
at-least-once only if a sender dies between the server's "250 OK" and recording it.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import force_locale, format_date, gettext, ngettext
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from lms import background, mail
from lms.database import db
from lms.i18n import N_
from lms.models import (Assignment, Certificate, Enrollment, EnrollmentStatus, Notification,
                        NotificationStatus, User)
from lms.models.notifications import ERROR_LENGTH, SUBJECT_LENGTH

log = logging.getLogger(__name__)

ASSIGNMENT, REMINDER, CERTIFICATE = "assignment", "reminder", "certificate"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# -------------------------------------------------------------------------- queueing


def locale_for(user: User) -> str:
    """The recipient's saved language if the site offers it, else the default (Indonesian)."""
    config = current_app.config
    return user.locale if user.locale in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"]


def _site_url(path: str) -> str:
    """An absolute link for a message (no request here: BASE_URL, as on certificates)."""
    return str(current_app.config["BASE_URL"]).rstrip("/") + path


def _compose(parts: list[tuple[str, dict]]) -> str:
    """Translate paragraphs (msgid, params) in the current locale and join them."""
    return "\n\n".join(gettext(msgid, **params) for msgid, params in parts)


def _signature() -> tuple[str, dict]:
    return N_("This message was sent automatically by %(site)s. Please do not reply."), \
        {"site": _site_url("")}


def queue(user: User, kind: str, subject: tuple[str, dict], paragraphs: list[tuple[str, dict]],
          dedup_key: str | None = None) -> Notification | None:
    """Add one message for `user`, rendered in their language, to the current transaction.

    `subject` and each paragraph are (msgid, params). Inactive accounts get nothing.
    """
    if not user.active or not user.email:
        return None
    with force_locale(locale_for(user)):
        title = gettext(subject[0], **subject[1])
        body = _compose([*paragraphs, _signature()])
    note = Notification(user_id=user.id, recipient=user.email, kind=kind,
                        subject=_one_line(title)[:SUBJECT_LENGTH], body=body,
                        status=NotificationStatus.PENDING, attempts=0, next_attempt_at=utcnow(),
                        dedup_key=dedup_key)
    db.session.add(note)
    return note


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _due_text(due_on: dt.date) -> str:
    """The due date in the current (forced) locale: "24 November 2026"."""
    return format_date(due_on, format="long")


def assignment_key(assignment: Assignment, user: User) -> str:
    return f"assignment:{assignment.id}:{user.id}"


def queue_assignment(assignment: Assignment, user: User, course_title: str, slug: str) -> None:
    """Tell a learner a course was assigned to them, with its due date and the admin's note."""
    def paragraphs():
        params = {"name": user.name, "course": course_title, "due": _due_text(assignment.due_on)}
        parts = [(N_("Hello %(name)s,"), params),
                 (N_('You have been assigned the course "%(course)s". Please complete it by '
                     '%(due)s.'), params)]
        if assignment.note:
            parts.append((N_("Note from the administrator: %(note)s"), {"note": assignment.note}))
        parts.append((N_("Open the course: %(url)s"), {"url": _site_url(f"/learn/{slug}")}))
        return parts

    with force_locale(locale_for(user)):  # the due date inside the params is localised too
        queue(user, ASSIGNMENT,
              (N_("New assignment: %(course)s (due %(due)s)"),
               {"course": course_title, "due": _due_text(assignment.due_on)}),
              paragraphs(), dedup_key=assignment_key(assignment, user))


def queue_certificate(certificate: Certificate) -> Notification | None:
    """Announce an issued certificate; called from a react hook, so it commits itself."""
    user = db.session.get(User, certificate.user_id)
    if user is None:
        return None
    params = {"name": user.name, "course": certificate.course_title, "number": certificate.number,
              "jp": certificate.jp, "verify": _site_url(f"/verify/{certificate.code}"),
              "mine": _site_url("/me/certificates")}
    try:
        note = queue(user, CERTIFICATE, (N_("Your certificate for %(course)s"), params), [
            (N_("Hello %(name)s,"), params),
            (N_('Congratulations on completing "%(course)s". Your certificate %(number)s '
                'credits %(jp)s JP.'), params),
            (N_("Download it from %(mine)s. Anyone can check it at %(verify)s"), params),
        ], dedup_key=f"certificate:{certificate.id}")
        db.session.commit()
    except Exception:
        db.session.rollback()  # leave the request's session usable for what comes next
        raise
    return note


# ------------------------------------------------------------------------- reminders


def reminder_key(enrollment: Enrollment) -> str:
    """One reminder per learner, assignment and due date (a new date may be reminded again)."""
    return f"reminder:{enrollment.assignment_id}:{enrollment.user_id}:{enrollment.due_on.isoformat()}"


def queue_reminders(days: int, today: dt.date) -> int:
    """Queue a reminder for each open assigned enrolment due within `days`; returns how many.

    Idempotent: a reminder already queued for the same due date (``dedup_key``) is skipped,
    and the unique key stops a concurrent run from adding it twice. Commits.
    """
    from lms.services.assignments import course_titles

    rows = db.session.execute(
        select(Enrollment, User).join(User, User.id == Enrollment.user_id)
        .where(Enrollment.assignment_id.is_not(None), Enrollment.completed_at.is_(None),
               Enrollment.status == EnrollmentStatus.ACTIVE, User.active.is_(True),
               Enrollment.due_on >= today, Enrollment.due_on <= today + dt.timedelta(days=days))
        .order_by(Enrollment.due_on, Enrollment.id)).all()
    keys = {reminder_key(e) for e, _user in rows}
    done = _existing_keys(keys)
    titles = course_titles({e.course_id for e, _user in rows})
    queued = 0
    for enrollment, user in rows:
        key = reminder_key(enrollment)
        if key in done:
            continue
        title, slug = titles.get(enrollment.course_id, ("", ""))
        queued += _insert_reminder(enrollment, user, title, slug, today, key)
    db.session.commit()
    return queued


def _existing_keys(keys: set[str]) -> set[str]:
    found: set[str] = set()
    ordered = sorted(keys)
    for start in range(0, len(ordered), 500):
        found.update(db.session.scalars(select(Notification.dedup_key).where(
            Notification.dedup_key.in_(ordered[start:start + 500]))))
    return found


def _insert_reminder(enrollment: Enrollment, user: User, title: str, slug: str, today: dt.date,
                     key: str) -> int:
    """Render the reminder and INSERT it unless the key exists (ON CONFLICT DO NOTHING)."""
    if not user.email:
        return 0
    left = (enrollment.due_on - today).days
    with force_locale(locale_for(user)):
        due = _due_text(enrollment.due_on)
        subject = gettext("Reminder: %(course)s is due %(due)s", course=title, due=due)
        when = gettext("It is due today, %(due)s.", due=due) if left == 0 else ngettext(
            "It is due on %(due)s, in %(num)d day.", "It is due on %(due)s, in %(num)d days.",
            left, due=due)
        body = "\n\n".join([
            gettext("Hello %(name)s,", name=user.name),
            gettext('You have not yet completed the course "%(course)s".', course=title), when,
            gettext("Continue the course: %(url)s", url=_site_url(f"/learn/{slug}")),
            _compose([_signature()])])
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    inserted = db.session.scalar(
        dialect.insert(Notification)
        .values(user_id=user.id, recipient=user.email, kind=REMINDER,
                subject=_one_line(subject)[:SUBJECT_LENGTH], body=body,
                status=NotificationStatus.PENDING, attempts=0, next_attempt_at=utcnow(),
                created_at=utcnow(), dedup_key=key)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(Notification.id))
    return 0 if inserted is None else 1


# --------------------------------------------------------------------------- sending


@dataclass
class Claimed:
    """A message this sender holds for one attempt (plain values: no session needed)."""

    id: int
    attempts: int
    recipient: str
    subject: str
    body: str


@dataclass
class SendTally:
    """What a run did: sent, scheduled for a retry, given up; `stopped` if the server was
    unreachable (the remaining messages wait for the next run)."""

    sent: int = 0
    retry: int = 0
    failed: int = 0
    stopped: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.retry + self.failed


def claim_next(now: dt.datetime | None = None) -> Claimed | None:
    """Take the oldest due message for one attempt, atomically; None when nothing is due.

    The UPDATE re-checks status and due time on the row it changes, so two senders never
    hold the same message; the claim is committed before anything is sent.
    """
    now = now or utcnow()
    lease = dt.timedelta(seconds=int(current_app.config["MAIL_CLAIM_SECONDS"]))
    due = (select(Notification.id)
           .where(Notification.status == NotificationStatus.PENDING, Notification.next_attempt_at <= now)
           .order_by(Notification.next_attempt_at, Notification.id).limit(1)
           .with_for_update(skip_locked=True).scalar_subquery())
    row = db.session.execute(
        update(Notification)
        .where(Notification.id == due, Notification.status == NotificationStatus.PENDING,
               Notification.next_attempt_at <= now)
        .values(attempts=Notification.attempts + 1, next_attempt_at=now + lease)
        .returning(Notification.id, Notification.attempts, Notification.recipient,
                   Notification.subject, Notification.body)
        .execution_options(synchronize_session=False)).first()
    db.session.commit()
    return Claimed(*row) if row is not None else None


def retry_delay(attempts: int) -> dt.timedelta:
    """Wait after failed attempt number `attempts`: RETRY × 2^(n-1) seconds, capped."""
    config = current_app.config
    seconds = int(config["MAIL_RETRY_SECONDS"]) * 2 ** min(attempts - 1, 30)
    return dt.timedelta(seconds=min(seconds, int(config["MAIL_RETRY_MAX_SECONDS"])))


def record(claimed: Claimed, error: mail.MailError | None) -> str:
    """Store an attempt's result on the row we claimed; returns sent, retry or failed.

    Guarded by the attempt count: if our lease ran out and another sender took the row,
    its result wins and ours is only logged.
    """
    now = utcnow()
    if error is None:
        outcome, values = "sent", {"status": NotificationStatus.SENT, "sent_at": now,
                                   "last_error": None}
    elif error.permanent or claimed.attempts >= int(current_app.config["MAIL_MAX_ATTEMPTS"]):
        outcome, values = "failed", {"status": NotificationStatus.FAILED,
                                     "last_error": _short(str(error))}
    else:
        outcome, values = "retry", {"next_attempt_at": now + retry_delay(claimed.attempts),
                                    "last_error": _short(str(error))}
    result = db.session.execute(
        update(Notification)
        .where(Notification.id == claimed.id, Notification.attempts == claimed.attempts,
               Notification.status == NotificationStatus.PENDING)
        .values(**values).execution_options(synchronize_session=False))
    db.session.commit()
    if result.rowcount != 1:
        log.warning("notification %s: result of attempt %s not recorded (claimed again)",
                    claimed.id, claimed.attempts)
    return outcome


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ERROR_LENGTH else text[:ERROR_LENGTH - 1] + "…"


def send_due(limit: int | None = None, backend=None) -> SendTally:
    """Send due messages one claim at a time, over one backend session, until none is due.

    Raises MailConfigError before claiming anything if the settings are unusable. Stops
    early (``tally.stopped``) when the server cannot be reached: the message being tried is
    scheduled for a retry, the others keep their attempts for the next run.
    """
    backend = backend or mail.backend_for(current_app)
    sender = str(current_app.config["MAIL_FROM"])
    tally = SendTally()
    with backend.connect() as connection:
        while limit is None or tally.attempted < limit:
            claimed = claim_next()
            if claimed is None:
                break
            error = _attempt(connection, claimed, sender)
            outcome = record(claimed, error)
            setattr(tally, outcome, getattr(tally, outcome) + 1)
            if error is not None:
                log.warning("notification %s to %s, attempt %s: %s (%s)", claimed.id,
                            claimed.recipient, claimed.attempts, error, outcome)
                tally.errors.append(f"{claimed.recipient}: {error}")
                if error.connection:
                    tally.stopped = str(error)
                    break
    return tally


def _attempt(connection, claimed: Claimed, sender: str) -> mail.MailError | None:
    message = mail.MailMessage(to=claimed.recipient, subject=claimed.subject, body=claimed.body,
                               sender=sender, message_id=_message_id(claimed.id, sender))
    try:
        connection.send(message)
    except mail.MailError as exc:
        return exc
    except Exception as exc:  # a backend bug must not leave the row claimed until the lease ends
        log.exception("notification %s: unexpected error while sending", claimed.id)
        return mail.MailError(f"{type(exc).__name__}: {exc}")
    return None


def _message_id(notification_id: int, sender: str) -> str:
    """The same Message-ID on every attempt, so a repeat after a lost "OK" can be dropped."""
    domain = sender.rpartition("@")[2].strip(" >") or "localhost"
    return f"<lms-notification-{notification_id}@{domain}>"


# ------------------------------------------------------------------ background sender


#: Sends what requests queued, after they answered (lms.background).
_sender = background.Sender("notifications", "MAIL_BACKGROUND", "lms.services.notifications:send_due")
STATE_KEY = _sender.state_key


def kick():
    """After a commit that queued rows: drain them in the background, if MAIL_BACKGROUND is on."""
    return _sender.kick()


def wait_for_sender(app, timeout: float = 30.0) -> bool:
    """Wait for the background sender of `app` (tests, orderly shutdown); True if it ended."""
    return _sender.wait(app, timeout)
