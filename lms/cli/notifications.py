"""Notifications: sending queued mail, deadline reminders, assignments for new unit members.

Meant for cron (docs/notifications.md has the lines). Exit codes: 0 done; 1 unusable
settings or input (one line on stderr, nothing attempted); 2 some messages could not be
sent this run (they are retried later unless they failed for good).
"""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from lms.cli import fail

#: Exit code when some messages failed this run (distinct from 1: a usage/settings error).
SEND_FAILED = 2


@click.command("send-notifications")
@with_appcontext
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Attempt at most this many messages (default: every due one).")
def send_notifications(limit: int | None) -> None:
    """Send due messages from the outbox (run every minute or five from cron)."""
    from lms.mail import MailConfigError
    from lms.services import notifications

    try:
        tally = notifications.send_due(limit=limit)
    except MailConfigError as exc:
        fail(str(exc))
    click.echo(f"{tally.sent} sent, {tally.retry} to retry, {tally.failed} failed")
    if tally.retry or tally.failed:
        reason = tally.stopped or (tally.errors[-1] if tally.errors else "")
        click.echo(f"Error: {tally.retry + tally.failed} message(s) not sent: {reason}", err=True)
        sys.exit(SEND_FAILED)


@click.command("remind-deadlines")
@with_appcontext
@click.option("--days", type=click.IntRange(min=0, max=365), default=3, show_default=True,
              help="Remind learners whose assigned course is due within this many days.")
def remind_deadlines(days: int) -> None:
    """Queue one reminder per learner and due date (run daily; re-running queues nothing)."""
    from lms.services import assignments, notifications

    queued = notifications.queue_reminders(days, assignments.local_today())
    click.echo(f"{queued} reminder(s) queued")


@click.command("sync-assignments")
@with_appcontext
def sync_assignments() -> None:
    """Enrol people who joined an assigned unit since (run daily, before remind-deadlines)."""
    from lms.services import assignments

    added = assignments.sync_unit_assignments()
    click.echo(f"{added} learner(s) added to unit assignments")


COMMANDS = [send_notifications, remind_deadlines, sync_assignments]
