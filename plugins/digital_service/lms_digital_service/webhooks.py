"""Certificate webhooks: an outbox table, one-shot background delivery, and a due-row sweeper.

Flow:

1. A react hook (``certificate_issued`` / ``certificate_revoked``, called after the core's
   transaction committed) builds the payload and inserts a ``pending`` outbox row, then
   commits: that is all the learner's request waits for.
2. A daemon thread, with its own app context and database session, makes **one** attempt
   at once (short timeout). Whatever happens there, the learner's request is not affected.
3. ``flask lms digital-service-deliver`` (cron / systemd timer) sends every due row: the
   reliable path, which also picks up rows whose thread died with its process.

Each attempt first *claims* its row with one atomic UPDATE (``status = 'pending'``, the
attempt count it read, and ``next_attempt_at`` due): the UPDATE counts the attempt and moves
``next_attempt_at`` forward by a lease, so a second deliverer finds nothing to claim
(rowcount 0). The claim is committed before the HTTP request: no transaction, hence no
lock, is held while waiting for the receiver. Success marks the row ``delivered``; failure
schedules the next attempt with exponential backoff and jitter, or marks it ``failed`` after
the last attempt. Delivery is at-least-once (a receiver that answers after our timeout, or a
lease that runs out mid-send, can cause a repeat): receivers drop duplicates by event id.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update

from lms.plugin import db, enqueue, has_job_queue

from lms_digital_service.models import DELIVERED, ERROR_LENGTH, FAILED, PENDING, WebhookDelivery
from lms_digital_service.settings import WebhookSettings, webhook_settings

log = logging.getLogger(__name__)

ISSUED = "certificate.issued"
REVOKED = "certificate.revoked"
#: Header carrying ``sha256=<hex HMAC-SHA256 of the raw body>`` when a secret is set.
SIGNATURE_HEADER = "X-LMS-Signature"
USER_AGENT = "lms-digital-service (ASN LMS certificate webhooks)"
#: Background deliveries allowed at once per process; beyond that rows wait for the CLI.
MAX_BACKGROUND_THREADS = 8


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; every time we store is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment


def current_settings() -> WebhookSettings:
    return webhook_settings(current_app.config)


# ------------------------------------------------------------------------- payloads


def _iso(moment) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, dt.datetime):
        return aware(moment).isoformat()
    return moment.isoformat()


def _value(value):
    """Enum members (the certificate's status) as their stored value."""
    return getattr(value, "value", value)


def _column(table: str, column: str, row_id: int | None):
    """Read one value from a core table by id, through the shared metadata (no core import)."""
    found = db.metadata.tables.get(table)
    if found is None or row_id is None:
        return None
    return db.session.scalar(select(found.c[column]).where(found.c.id == row_id))


def certificate_data(certificate) -> dict:
    """The certificate as sent to receivers: what is printed on it, plus its public URL."""
    base = str(current_app.config.get("BASE_URL") or "").rstrip("/")
    return {
        "number": certificate.number,
        "code": certificate.code,
        "status": _value(certificate.status),
        "holder_name": certificate.holder_name,
        "holder_nip": certificate.holder_nip or None,
        "course_slug": _column("courses", "slug", certificate.course_id),
        "course_title": certificate.course_title,
        "course_version": certificate.course_version,
        "jp": certificate.jp,
        "competency": certificate.competency,
        "completed_on": _iso(certificate.completed_on),
        "issued_at": _iso(certificate.issued_at),
        # The same address as the QR code on the PDF: the core's public verification page.
        "verify_url": f"{base}/verify/{certificate.code}",
    }


def issued_payload(certificate) -> dict:
    return {"certificate": certificate_data(certificate)}


def revoked_payload(certificate, reason: str) -> dict:
    data = certificate_data(certificate)
    data.update(revoked_at=_iso(certificate.revoked_at),
                replaced_by=_column("certificates", "number", certificate.replaced_by_id))
    return {"certificate": data, "reason": reason}


def body_of(delivery: WebhookDelivery) -> bytes:
    """The exact bytes POSTed (and signed): compact JSON, keys sorted, UTF-8."""
    return json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def signature(body: bytes, secret: str) -> str:
    """The X-LMS-Signature value for a body: ``sha256=`` + hex HMAC-SHA256 with the secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_matches(body: bytes, secret: str, header: str | None) -> bool:
    """What a receiver does: recompute the signature and compare in constant time."""
    return bool(header) and hmac.compare_digest(signature(body, secret), header)


# --------------------------------------------------------------------------- outbox


def record(event: str, payload: dict) -> int | None:
    """Insert a pending delivery and commit; start its first attempt in the background.

    Called from react hooks, inside the learner's request, after the core committed.
    Returns the delivery id, or None when webhooks are off (nothing is written).
    """
    settings = current_settings()
    if not settings.enabled:
        return None
    now = utcnow()
    event_id = str(uuid.uuid4())
    body = {"id": event_id, "event": event, "occurred_at": now.isoformat(), **payload}
    delivery = WebhookDelivery(event_id=event_id, event=event, payload=body, status=PENDING,
                               attempts=0, next_attempt_at=now, created_at=now)
    try:
        db.session.add(delivery)
        db.session.commit()
    except Exception:
        db.session.rollback()  # leave the request's session usable for whatever comes next
        raise
    if settings.background:
        first_attempt(delivery.id)
    return delivery.id


def retry_now(delivery_id: int) -> bool:
    """Make a pending or failed delivery due at once (an administrator's "retry now").

    A failed delivery gets one more attempt (it fails again if that attempt fails).
    Returns False when the delivery does not exist or was already delivered.
    """
    result = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status.in_((PENDING, FAILED)))
        .values(status=PENDING, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False))
    db.session.commit()
    if result.rowcount != 1:
        return False
    if current_settings().background:
        first_attempt(delivery_id)
    return True


def first_attempt(delivery_id: int) -> None:
    """One attempt soon: a job for `flask lms worker` when the site has a job queue (no web
    process sends anything), else a short-lived thread of this process."""
    if has_job_queue():
        enqueue(deliver_one, delivery_id)
    else:
        start_background(current_app._get_current_object(), delivery_id)


# ------------------------------------------------------------------------ delivering


@dataclass(frozen=True)
class Outcome:
    """What one attempt did: ``delivered``, ``retry`` (scheduled), ``failed`` (gave up) or
    ``skipped`` (not due, or another deliverer claimed it first)."""

    result: str
    error: str | None = None


@dataclass
class Tally:
    """Counts of a sweep over due deliveries."""

    delivered: int = 0
    retry: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, outcome: Outcome) -> None:
        setattr(self, outcome.result, getattr(self, outcome.result) + 1)

    @property
    def attempted(self) -> int:
        return self.delivered + self.retry + self.failed


def backoff_seconds(attempt: int, settings: WebhookSettings) -> float:
    """Delay before the attempt after `attempt` (1-based): base × 2^(n-1), ±20 % jitter, capped."""
    delay = settings.backoff * 2 ** min(attempt - 1, 40) * random.uniform(0.8, 1.2)
    return min(settings.backoff_max, delay)


def due_ids(now: dt.datetime | None = None, limit: int | None = None) -> list[int]:
    """Ids of pending deliveries whose next attempt is due, oldest first."""
    query = (select(WebhookDelivery.id)
             .where(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= (now or utcnow()))
             .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id))
    if limit:
        query = query.limit(limit)
    ids = list(db.session.scalars(query))
    db.session.commit()  # end the read: on SQLite every transaction holds the write lock
    return ids


def deliver_due(limit: int | None = None, settings: WebhookSettings | None = None) -> Tally:
    """Attempt every due delivery once (the CLI's sweep); each attempt claims its row first."""
    settings = settings or current_settings()
    tally = Tally()
    for delivery_id in due_ids(limit=limit):
        tally.add(deliver_one(delivery_id, settings))
    return tally


def claim(delivery_id: int, settings: WebhookSettings) -> WebhookDelivery | None:
    """Take one due delivery for one attempt, atomically; None if it is not ours to send.

    The UPDATE only matches while the row is still pending, due, and at the attempt count
    we read: a concurrent deliverer that claimed it first has changed both, so ours matches
    nothing (on PostgreSQL the second UPDATE waits for the first to commit, then re-checks).
    """
    now = utcnow()
    delivery = db.session.get(WebhookDelivery, delivery_id, populate_existing=True)
    if (delivery is None or delivery.status != PENDING
            or aware(delivery.next_attempt_at) > now):
        db.session.commit()
        return None
    seen = delivery.attempts
    result = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == PENDING,
               WebhookDelivery.attempts == seen, WebhookDelivery.next_attempt_at <= now)
        .values(attempts=seen + 1, next_attempt_at=now + dt.timedelta(seconds=settings.lease))
        .execution_options(synchronize_session=False))
    db.session.commit()  # the claim is visible to others before we talk to the receiver
    if result.rowcount != 1:
        return None
    db.session.expunge(delivery)  # a detached copy: reading it never opens a transaction
    delivery.attempts = seen + 1  # mirror the UPDATE
    return delivery


def deliver_one(delivery_id: int, settings: WebhookSettings | None = None) -> Outcome:
    """Claim, send once, and record the result of one delivery."""
    settings = settings or current_settings()
    if not settings.enabled:
        return Outcome("skipped", "webhooks are off")
    delivery = claim(delivery_id, settings)
    if delivery is None:
        return Outcome("skipped")
    code, error = send(delivery, settings)
    now = utcnow()
    claimed = WebhookDelivery.id == delivery.id, WebhookDelivery.attempts == delivery.attempts, \
        WebhookDelivery.status == PENDING
    if error is None:
        outcome = Outcome("delivered")
        values = dict(status=DELIVERED, delivered_at=now, last_status_code=code, last_error=None)
    elif delivery.attempts >= settings.max_attempts:
        outcome = Outcome("failed", error)
        values = dict(status=FAILED, last_status_code=code, last_error=error)
    else:
        outcome = Outcome("retry", error)
        delay = dt.timedelta(seconds=backoff_seconds(delivery.attempts, settings))
        values = dict(next_attempt_at=now + delay, last_status_code=code, last_error=error)
    result = db.session.execute(update(WebhookDelivery).where(*claimed).values(**values)
                                .execution_options(synchronize_session=False))
    db.session.commit()
    if result.rowcount != 1:  # our lease ran out and another deliverer took over
        log.warning("webhook delivery %s: result of attempt %s not recorded (claimed again)",
                    delivery.id, delivery.attempts)
    if error is not None:
        log.warning("webhook delivery %s (%s) attempt %s/%s failed: %s", delivery.id,
                    delivery.event, delivery.attempts, settings.max_attempts, error)
    return outcome


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirected POST would arrive as a GET without its body: treat 3xx as a failure."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def send(delivery: WebhookDelivery, settings: WebhookSettings) -> tuple[int | None, str | None]:
    """POST the delivery once. Returns (HTTP status or None, error or None if delivered)."""
    body = body_of(delivery)
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               "X-LMS-Event": delivery.event, "X-LMS-Delivery": delivery.event_id,
               "X-LMS-Attempt": str(delivery.attempts)}
    if settings.secret:
        headers[SIGNATURE_HEADER] = signature(body, settings.secret)
    request = urllib.request.Request(settings.url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=settings.timeout) as response:
            response.read(4096)
            code = response.status
    except urllib.error.HTTPError as exc:
        detail = ""
        if getattr(exc, "fp", None) is not None:  # the open response: read a little, close it
            try:
                detail = exc.fp.read(200).decode("utf-8", "replace").strip()
            except Exception:
                pass
            finally:
                exc.fp.close()
        return exc.code, _short(f"HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else ""))
    except urllib.error.URLError as exc:
        return None, _short(_describe(exc.reason))
    except Exception as exc:  # timeouts while reading, resets, anything the network does
        return None, _short(_describe(exc))
    if not 200 <= code < 300:
        return code, _short(f"HTTP {code}")
    return code, None


def _describe(reason) -> str:
    if isinstance(reason, BaseException):
        text = str(reason) or type(reason).__name__
        return f"{type(reason).__name__}: {text}"
    return str(reason)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ERROR_LENGTH else text[:ERROR_LENGTH - 1] + "…"


# ----------------------------------------------------------------- background threads

_threads: set[threading.Thread] = set()
_threads_lock = threading.Lock()


def start_background(app, delivery_id: int) -> threading.Thread | None:
    """Attempt one delivery in a daemon thread; never raises (the CLI is the safety net)."""
    try:
        with _threads_lock:
            running = {thread for thread in _threads if thread.is_alive()}
            _threads.intersection_update(running)
            if len(running) >= MAX_BACKGROUND_THREADS:
                log.info("webhook delivery %s left to the deliver command (%s threads busy)",
                         delivery_id, len(running))
                return None
            thread = threading.Thread(target=_run, args=(app, delivery_id), daemon=True,
                                      name=f"digital-service-webhook-{delivery_id}")
            _threads.add(thread)
            thread.start()
        return thread
    except Exception:
        log.exception("webhook delivery %s: could not start a background attempt", delivery_id)
        return None


def _run(app, delivery_id: int) -> None:
    try:
        with app.app_context():  # its own session; removed when the context ends
            deliver_one(delivery_id)
    except Exception:
        log.exception("webhook delivery %s: background attempt crashed; the deliver command "
                      "will retry it", delivery_id)


def wait_for_deliveries(timeout: float = 30.0) -> bool:
    """Wait for the background attempts started so far; True if all finished in time.

    For tests and orderly shutdowns: the web process never waits for them.
    """
    deadline = time.monotonic() + timeout
    with _threads_lock:
        threads = list(_threads)
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    with _threads_lock:
        _threads.difference_update({thread for thread in threads if not thread.is_alive()})
        return not any(thread.is_alive() for thread in _threads)
