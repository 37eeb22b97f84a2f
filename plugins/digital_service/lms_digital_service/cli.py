"""``flask lms digital-service-deliver``: send every due webhook delivery (cron, systemd timer)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from lms_digital_service import webhooks


@click.command("digital-service-deliver")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Attempt at most this many due deliveries (default: all).")
@with_appcontext
def deliver_command(limit: int | None) -> None:
    """Send every due certificate webhook once; failures are rescheduled.

    Exits 0 with one count line when the sweep ran (receiver errors included: they are
    recorded and retried later); exits 1 with one line when webhooks are off or the sweep
    itself failed (database unreachable, ...).
    """
    try:
        settings = webhooks.current_settings()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if not settings.enabled:
        raise click.ClickException("webhooks are off: set DIGITAL_SERVICE_WEBHOOK_URL "
                                   "(LMS_DIGITAL_SERVICE_WEBHOOK_URL) to deliver")
    try:
        tally = webhooks.deliver_due(limit=limit, settings=settings)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        raise click.ClickException(f"delivery sweep failed: {type(exc).__name__}: {first}") from None
    click.echo(f"digital-service webhooks: {tally.attempted} attempted, {tally.delivered} delivered, "
               f"{tally.retry} to retry, {tally.failed} failed, {tally.skipped} skipped")
