"""Certificate lifecycle for sites without a worker: run from cron (docs/certificates.md)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("certificate-maintenance")
@with_appcontext
def certificate_maintenance() -> None:
    """Render missing certificate PDFs, sign pending ones, queue expiry reminders (hourly)."""
    from lms.services import certificate_lifecycle as lifecycle

    rendered = lifecycle.render_missing()
    signed = lifecycle.sign_pending()
    reminded = lifecycle.send_expiry_reminders()
    click.echo(f"{rendered} PDF(s) rendered, {signed} signed, {reminded} expiry reminder(s) queued")


COMMANDS = [certificate_maintenance]
