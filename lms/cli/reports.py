"""Reports from the shell: JP compliance (``flask lms jp-report``) and the repair of its
rollup (``flask lms rebuild-jp-totals``)."""
from __future__ import annotations

import csv
import sys

import click
from flask.cli import with_appcontext

from lms.cli import fail


def _scope(code: str | None):
    """The whole agency, or the unit named by `code` (the shell has an admin's view)."""
    from lms.services import orgs
    from lms.services.jp_reports import Scope

    if not code:
        return Scope(None)
    unit = orgs.get_by_code(code)
    if unit is None:
        fail(f"unknown unit: {code.strip().upper()}")
    return Scope(unit)


def _table(report) -> None:
    """The summary as aligned text: headline, distribution, sub-units, competencies."""
    from lms.services.jp_reports import bucket_label

    total = report.total
    click.echo(f"JP compliance {report.year}: {total.label}"
               + (f" ({report.scope.code})" if report.scope.code else "") + f", target {report.target} JP")
    click.echo(f"ASN {total.people}, reached {total.reached} ({total.percent}%), approved JP {total.jp}")
    click.echo("")
    click.echo(f"{'JP':<8}{'ASN':>8}")
    for i, n in enumerate(total.buckets):
        click.echo(f"{bucket_label(i):<8}{n:>8}")
    if report.groups:
        width = max(len(g.label) for g in report.groups) + 2
        click.echo("")
        click.echo(f"{'Unit':<{width}}{'ASN':>8}{'reached':>9}{'%':>7}")
        for g in report.groups:
            click.echo(f"{g.label:<{width}}{g.people:>8}{g.reached:>9}{g.percent:>7}")
    click.echo("")
    click.echo(f"{'Competency':<18}{'JP':>8}{'people':>8}")
    for row in report.competencies:
        click.echo(f"{row.kind or '-':<18}{row.jp:>8}{row.people:>8}")


@click.command("jp-report")
@click.option("--year", type=click.IntRange(2000, 2100), default=None,
              help="Report year (default: this year in the agency's time zone).")
@click.option("--unit", "unit_code", default=None, help="Unit code; default: the whole agency.")
@click.option("--format", "output", type=click.Choice(["table", "csv"]), default="table", show_default=True,
              help="table: the summary for people; csv: one row per ASN (like /admin/reports/jp.csv).")
@with_appcontext
def jp_report(year: int | None, unit_code: str | None, output: str) -> None:
    """JP compliance of a unit (with its sub-units) or the whole agency, on stdout."""
    from lms.services import jp_reports

    scope = _scope(unit_code)
    year = year or jp_reports.current_year()
    if output == "csv":
        from lms.reports.csv_cells import safe_row  # names typed by people stay text (CSV injection)

        csv.writer(sys.stdout, lineterminator="\n").writerows(map(safe_row, jp_reports.people_rows(scope, year)))
        return
    _table(jp_reports.report(scope, year))


@click.command("rebuild-jp-totals")
@click.option("--year", type=click.IntRange(2000, 2100), default=None,
              help="Rebuild only this year (default: every year).")
@with_appcontext
def rebuild_jp_totals(year: int | None) -> None:
    """Recompute jp_year_totals (approved JP per person and year) from the JP ledger.

    The ledger keeps the table current by itself; run this after loading entries without
    the application (a bulk import, a restore, hand-made SQL) or to repair the table.
    """
    from lms.services import jp_ledger

    rows = jp_ledger.rebuild_totals(year)
    click.echo(f"jp_year_totals rebuilt{f' for {year}' if year else ''}: {rows} rows")


COMMANDS = [jp_report, rebuild_jp_totals]
