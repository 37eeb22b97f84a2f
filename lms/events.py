"""After-commit events: services enqueue react hooks; they fire only once data is committed.

A service calls ``enqueue("user_registered", user=user)`` while it works and ``commit()`` at
the end. Should the transaction roll back, the queued events are dropped, so plugins never
hear of something that did not happen; should a plugin fail, the data is already safe.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from lms.database import db

PENDING = "lms_pending_events"
READY = "lms_ready_events"


def enqueue(hook: str, **kwargs) -> None:
    """Queue a react hook call for after the current transaction commits."""
    db.session.info.setdefault(PENDING, []).append((hook, kwargs))


def commit() -> None:
    """Commit the session, then deliver the events of that transaction to plugins."""
    db.session.commit()
    deliver()


def deliver() -> None:
    """Send committed events to the react hooks (each plugin isolated by the host)."""
    ready = db.session.info.pop(READY, [])
    host = current_app.extensions["lms"]
    for hook, kwargs in ready:
        host.notify(hook, **kwargs)


@event.listens_for(Session, "after_commit")
def _promote(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    if pending:
        session.info.setdefault(READY, []).extend(pending)


@event.listens_for(Session, "after_soft_rollback")
def _drop(session: Session, _previous_transaction) -> None:
    session.info.pop(PENDING, None)
