"""The xAPI outbox: queue statements after an event, post them to the LRS outside the request.

Queueing (``queue``) runs in the react hooks of ``lms.builtin.xapi``, after the learner's
change has committed: it inserts the serialised statements in one small transaction
(``INSERT ... ON CONFLICT (statement_id) DO NOTHING``, so an event queued twice is stored
once) and commits. Nothing talks to the LRS during the learner's request.

Sending (``send_due``) runs in ``flask lms send-xapi`` (cron) and, when ``XAPI_BACKGROUND``
is on, in a daemon thread started after the hook queued something (``kick``). A sender
*claims* up to ``XAPI_BATCH_SIZE`` due rows: it locks them (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL: rows another sender holds are skipped), then one UPDATE counts an attempt and
moves ``next_attempt_at`` a lease ahead (``XAPI_CLAIM_SECONDS``). The claim commits before
the HTTP request, so no lock is held while the LRS answers and a second sender finds those
rows not due. Results are recorded only if the row is still ours (same attempt count,
still pending).

What the LRS answers decides each row's fate:

* 200/204: sent. 409 for a single statement (it has that id already): sent.
* 400/413/409 (other 4xx) for a batch: the batch is split in halves and each is posted
  again, down to the single statement at fault, which is marked ``failed`` with the LRS's
  message; the good statements still go through, so one bad row never blocks the queue.
* network error, timeout, 5xx, 408/429, 401/403/404: the batch waits ``XAPI_RETRY_SECONDS
  × 2^(attempt-1)`` (capped, or longer if the LRS sent Retry-After) and the run stops;
  after ``XAPI_MAX_ATTEMPTS`` a row is ``failed`` and kept for the administrator
  (``flask lms send-xapi --requeue-failed`` puts failed rows back in the queue).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from lms import background
from lms.database import db
from lms.models.xapi import ERROR_LENGTH, XapiStatement, XapiStatus
from lms.xapi.client import LrsClient, LrsRejected, LrsUnavailable
from lms.xapi.settings import XapiConfigError, XapiSettings

log = logging.getLogger(__name__)

SENT, RETRY, FAILED = "sent", "retry", "failed"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def settings() -> XapiSettings:
    return XapiSettings.from_config(current_app.config)


# -------------------------------------------------------------------------- queueing


@dataclass(frozen=True)
class Queued:
    """A statement to store: who it is about, its short verb name, the statement itself."""

    user_id: int | None
    verb: str
    statement: dict


def serialise(statement: dict) -> str:
    return json.dumps(statement, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def queue(items: Iterable[Queued], now: dt.datetime | None = None) -> int:
    """Store statements in their own transaction and commit; returns how many were new.

    Called from react hooks, after the learner's change committed: should this fail, the
    host logs it and the learner's action stands.
    """
    rows = [{"statement_id": item.statement["id"], "user_id": item.user_id, "verb": item.verb,
             "payload": serialise(item.statement), "status": XapiStatus.PENDING, "attempts": 0,
             "next_attempt_at": now or utcnow(), "created_at": now or utcnow()} for item in items]
    if not rows:
        return 0
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    try:
        inserted = db.session.scalars(
            dialect.insert(XapiStatement).values(rows)
            .on_conflict_do_nothing(index_elements=["statement_id"])
            .returning(XapiStatement.id)).all()
        db.session.commit()
    except Exception:
        db.session.rollback()  # leave the request's session usable for what comes next
        raise
    return len(inserted)


def statement_status(statement_id: str) -> XapiStatus | None:
    return db.session.scalar(select(XapiStatement.status)
                             .where(XapiStatement.statement_id == statement_id))


# --------------------------------------------------------------------------- sending


@dataclass
class Claimed:
    """A statement this sender holds for one attempt (plain values: no session needed)."""

    id: int
    attempts: int
    payload: str


@dataclass
class SendTally:
    """What a run did; `stopped` holds why it ended early (the LRS unreachable)."""

    sent: int = 0
    retry: int = 0
    failed: int = 0
    stopped: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.retry + self.failed

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


def claim_batch(size: int, lease_seconds: int, now: dt.datetime | None = None) -> list[Claimed]:
    """Take up to `size` due statements for one attempt, atomically, oldest first.

    Two statements in one transaction: SELECT ... FOR UPDATE SKIP LOCKED locks the due rows
    (rows another sender holds are skipped, not waited for), then the UPDATE re-checks
    status and due time on each and counts the attempt. A single ``UPDATE ... WHERE id IN
    (SELECT ... LIMIT n FOR UPDATE)`` is not enough on PostgreSQL: the sub-select can be
    re-run while the UPDATE moves rows out of it, and then claims more than `size` rows.
    On SQLite the transaction begins IMMEDIATE, so senders are serialised. The claim is
    committed before anything is posted.
    """
    now = now or utcnow()
    ids = list(db.session.scalars(
        select(XapiStatement.id)
        .where(XapiStatement.status == XapiStatus.PENDING, XapiStatement.next_attempt_at <= now)
        .order_by(XapiStatement.next_attempt_at, XapiStatement.id).limit(size)
        .with_for_update(skip_locked=True)))
    if not ids:
        db.session.commit()
        return []
    rows = db.session.execute(
        update(XapiStatement)
        .where(XapiStatement.id.in_(ids), XapiStatement.status == XapiStatus.PENDING,
               XapiStatement.next_attempt_at <= now)
        .values(attempts=XapiStatement.attempts + 1,
                next_attempt_at=now + dt.timedelta(seconds=lease_seconds))
        .returning(XapiStatement.id, XapiStatement.attempts, XapiStatement.payload)
        .execution_options(synchronize_session=False)).all()
    db.session.commit()
    order = {row_id: position for position, row_id in enumerate(ids)}
    return sorted((Claimed(*row) for row in rows), key=lambda c: order[c.id])


def retry_delay(config: XapiSettings, attempts: int, retry_after: int | None = None) -> dt.timedelta:
    """Wait after failed attempt number `attempts`: RETRY × 2^(n-1) s, capped; at least
    what the LRS asked for in Retry-After (within the cap)."""
    seconds = min(config.retry_seconds * 2 ** min(attempts - 1, 30), config.retry_max_seconds)
    if retry_after:
        seconds = max(seconds, min(retry_after, config.retry_max_seconds))
    return dt.timedelta(seconds=seconds)


@dataclass
class _Result:
    claimed: Claimed
    outcome: str  # sent | retry | failed
    error: str | None = None
    retry_after: int | None = None


class _Delivery:
    """Post a claimed batch; split it on a content refusal; stop on unavailability."""

    def __init__(self, client: LrsClient):
        self.client = client
        self.stopped: LrsUnavailable | None = None

    def run(self, batch: list[Claimed]) -> list[_Result]:
        if self.stopped is not None:  # the LRS went away mid-split: the rest waits too
            return [_Result(c, RETRY, str(self.stopped), self.stopped.retry_after) for c in batch]
        try:
            self.client.post([c.payload for c in batch])
        except LrsUnavailable as exc:
            self.stopped = exc
            return [_Result(c, RETRY, str(exc), exc.retry_after) for c in batch]
        except LrsRejected as exc:
            if len(batch) > 1:
                middle = len(batch) // 2
                return self.run(batch[:middle]) + self.run(batch[middle:])
            if exc.conflict:  # the LRS has this id already: it was sent before
                return [_Result(batch[0], SENT)]
            return [_Result(batch[0], FAILED, str(exc))]
        return [_Result(c, SENT) for c in batch]


def record(config: XapiSettings, result: _Result, now: dt.datetime | None = None) -> str:
    """Store an attempt's outcome on the row we claimed; returns sent, retry or failed.

    Guarded by the attempt count: if our lease ran out and another sender took the row,
    its result wins and ours is only logged.
    """
    now = now or utcnow()
    claimed, outcome = result.claimed, result.outcome
    if outcome == RETRY and claimed.attempts >= config.max_attempts:
        outcome = FAILED
    if outcome == SENT:
        values = {"status": XapiStatus.SENT, "sent_at": now, "last_error": None}
    elif outcome == FAILED:
        values = {"status": XapiStatus.FAILED, "last_error": _short(result.error)}
    else:
        values = {"next_attempt_at": now + retry_delay(config, claimed.attempts, result.retry_after),
                  "last_error": _short(result.error)}
    changed = db.session.execute(
        update(XapiStatement)
        .where(XapiStatement.id == claimed.id, XapiStatement.attempts == claimed.attempts,
               XapiStatement.status == XapiStatus.PENDING)
        .values(**values).execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        log.warning("xAPI statement row %s: result of attempt %s not recorded (claimed again)",
                    claimed.id, claimed.attempts)
    return outcome


def _short(text: str | None) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) <= ERROR_LENGTH else text[:ERROR_LENGTH - 1] + "…"


def send_due(limit: int | None = None, now: dt.datetime | None = None,
             client: LrsClient | None = None) -> SendTally:
    """Post due statements batch by batch until none is due, `limit` is reached or the
    LRS is unreachable. Raises XapiConfigError (nothing claimed) when xAPI is off or its
    settings are unusable."""
    config = settings()
    if not config.enabled:
        raise XapiConfigError("xAPI is off: set LMS_XAPI_ENDPOINT to the LRS's xAPI address")
    client = client or LrsClient(config)
    tally = SendTally()
    while limit is None or tally.attempted < limit:
        size = config.batch_size if limit is None else min(config.batch_size, limit - tally.attempted)
        batch = claim_batch(size, config.claim_seconds, now)
        if not batch:
            break
        delivery = _Delivery(client)
        for result in delivery.run(batch):
            tally.add(record(config, result, now))
            if result.error:
                tally.errors.append(result.error)
        db.session.commit()
        if delivery.stopped is not None:
            tally.stopped = str(delivery.stopped)
            log.warning("xAPI: LRS unavailable, %d statement(s) wait for a retry: %s",
                        len(batch), delivery.stopped)
            break
    return tally


def requeue_failed(now: dt.datetime | None = None) -> int:
    """Give failed statements a fresh set of attempts (after fixing the LRS or settings)."""
    changed = db.session.execute(
        update(XapiStatement).where(XapiStatement.status == XapiStatus.FAILED)
        .values(status=XapiStatus.PENDING, attempts=0, next_attempt_at=now or utcnow())
        .execution_options(synchronize_session=False))
    db.session.commit()
    return changed.rowcount


def counts() -> dict[str, int]:
    """Rows per status, for the command's summary."""
    rows = db.session.execute(select(XapiStatement.status, func.count())
                              .group_by(XapiStatement.status)).all()
    found = {str(getattr(status, "value", status)): number for status, number in rows}
    return {status.value: found.get(status.value, 0) for status in XapiStatus}


# ------------------------------------------------------------------ background sender


#: Sends what requests queued, after they answered (lms.background).
_sender = background.Sender("xapi", "XAPI_BACKGROUND", "lms.services.xapi:send_due")
STATE_KEY = _sender.state_key


def kick():
    """After a commit that queued rows: drain them in the background, if XAPI_BACKGROUND is on."""
    return _sender.kick()


def wait_for_sender(app, timeout: float = 30.0) -> bool:
    """Wait for the background sender of `app` (tests, orderly shutdown); True if it ended."""
    return _sender.wait(app, timeout)
