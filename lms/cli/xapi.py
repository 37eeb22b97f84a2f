"""xAPI: posting queued statements to the LRS (cron; docs/xapi.md has the line).

Exit codes, as ``send-notifications``: 0 every attempted statement was sent (or none was
due); 1 xAPI is off or its settings are unusable (one line on stderr, nothing attempted);
2 some statements were not sent this run (retried later unless they failed for good).
"""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from lms.cli import fail

#: Exit code when some statements were not sent (distinct from 1: a settings error).
SEND_FAILED = 2


@click.command("send-xapi")
@with_appcontext
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Attempt at most this many statements (default: every due one).")
@click.option("--requeue-failed", is_flag=True,
              help="First give failed statements a fresh set of attempts (after fixing the LRS).")
def send_xapi(limit: int | None, requeue_failed: bool) -> None:
    """Post due xAPI statements to the LRS (run every few minutes from cron)."""
    from lms.services import xapi
    from lms.xapi.settings import XapiConfigError

    try:
        config = xapi.settings()
        if not config.enabled:
            raise XapiConfigError("xAPI is off: set LMS_XAPI_ENDPOINT to the LRS's xAPI address")
        if requeue_failed:
            click.echo(f"{xapi.requeue_failed()} failed statement(s) queued again")
        tally = xapi.send_due(limit=limit)
    except XapiConfigError as exc:
        fail(str(exc))
    waiting = xapi.counts()["pending"]
    click.echo(f"{tally.sent} sent, {tally.retry} to retry, {tally.failed} failed; {waiting} waiting")
    if tally.retry or tally.failed:
        reason = tally.stopped or (tally.errors[-1] if tally.errors else "")
        click.echo(f"Error: {tally.retry + tally.failed} statement(s) not sent: {reason}", err=True)
        sys.exit(SEND_FAILED)


COMMANDS = [send_xapi]
