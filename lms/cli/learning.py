"""Keeping learning state right: overdue quiz attempts."""
from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("close-overdue-attempts")
@with_appcontext
def close_overdue_attempts() -> None:
    """Grade quiz attempts left open past their time limit (run every minute from cron)."""
    from lms.services import attempts

    closed = attempts.close_overdue()
    click.echo(f"{closed} overdue attempt(s) closed")


COMMANDS = [close_overdue_attempts]
