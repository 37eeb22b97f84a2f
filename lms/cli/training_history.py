"""``flask lms export-training-history``: the training-history export from the shell (cron,
a nightly hand-over to SIASN), through the same exporter plugins as the admin page."""
from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext

from lms.cli import fail


@click.command("export-training-history")
@click.option("--exporter", "exporter_key", default=None,
              help="Exporter key (e.g. siasn); default: the first installed.")
@click.option("--format", "fmt", default=None, help="File format of the exporter (csv, json, ...).")
@click.option("--unit", "unit_code", default=None, help="Unit code (with its sub-units); default: the whole agency.")
@click.option("--nip", default=None, help="One person's history (NIP) instead of a unit's.")
@click.option("--year", type=click.IntRange(2000, 2100), default=None, help="Calendar year (default: this year).")
@click.option("--from", "start_on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Period start (YYYY-MM-DD).")
@click.option("--to", "end_on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Period end (YYYY-MM-DD).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file (default: stdout).")
@with_appcontext
def export_training_history(exporter_key, fmt, unit_code, nip, year, start_on, end_on, output) -> None:
    """Approved training history (courses and experiential learning) in an exporter's shape."""
    from sqlalchemy import select

    from lms.cli.reports import _scope
    from lms.database import db
    from lms.models import User
    from lms.services import jp_reports, training_history

    if nip and unit_code:
        fail("give --unit or --nip, not both")
    try:
        if start_on or end_on:
            start = (start_on or dt.datetime(end_on.year, 1, 1)).date()
            period = training_history.Period.between(start, (end_on or dt.datetime(start.year, 12, 31)).date())
        else:
            period = training_history.Period.year(year or jp_reports.current_year())
        user = None
        scope = None
        if nip:
            user = db.session.scalar(select(User).where(User.nip == nip.strip()))
            if user is None:
                fail(f"no account with NIP {nip.strip()}")
        else:
            scope = _scope(unit_code)
        data, _media, name = training_history.export(exporter_key, fmt, period, scope=scope, user=user)
    except training_history.ExportError as exc:
        fail(str(exc.message))
    if output:
        with open(output, "wb") as target:
            target.write(data)
        click.echo(f"{name}: written to {output}", err=True)
    else:
        click.echo(data, nl=False)


COMMANDS = [export_training_history]
