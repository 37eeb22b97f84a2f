"""Course packages: import, export, plugins' curricula."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.cli import fail


@click.command("import-course")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--publish", is_flag=True, help="Publish the new version at once.")
@with_appcontext
def import_course(path: Path, publish: bool) -> None:
    """Import a lms-course/1 package (zip or folder) as the course's next version."""
    from lms.services import packages
    from lms.services.courses import PackageInvalid
    from lms.storage import StorageFull

    try:
        version = packages.import_path(path, publish=publish)
    except PackageInvalid as exc:
        for problem in exc.problems[1:]:
            click.echo(str(problem), err=True)
        fail(f"package refused ({len(exc.problems)} problem(s)): {exc.problems[0]}")
    except StorageFull:
        fail("the file storage is full; nothing was imported (free some space and try again)")
    state = "published" if publish else "draft (publish it from the author pages)"
    click.echo(f"{version.course.slug} version {version.number} imported, {state}")


@click.command("export-course")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--version", "number", type=int, default=None, help="Version number (default: published).")
@with_appcontext
def export_course(slug: str, file: Path, number: int | None) -> None:
    """Export a course version as a lms-course/1 zip that imports back losslessly."""
    from lms.services import packages
    from lms.services.courses import CourseNotFound

    try:
        version = packages.find_version(slug, number)
    except CourseNotFound as exc:
        fail(f"no such course or version: {exc}")
    file.write_bytes(packages.export_zip(version))
    click.echo(f"{slug} version {version.number} written to {file}")


@click.command("install-curricula")
@click.option("--plugin", default=None, help="Only this plugin's packages.")
@click.option("--draft", is_flag=True, help="Leave new versions as drafts for authors to check.")
@with_appcontext
def install_curricula(plugin: str | None, draft: bool) -> None:
    """Install or upgrade the course packages enabled plugins ship (idempotent)."""
    from lms.services import curricula

    try:
        outcomes = curricula.install_all(plugin, publish=not draft)
    except curricula.CurriculaError as exc:
        fail(str(exc))
    if plugin is not None and not outcomes:
        fail(f"plugin {plugin!r} is not enabled or ships no curricula")
    for outcome in outcomes:
        click.echo(_outcome_line(outcome, draft))
        for problem in outcome.problems[1:]:
            click.echo(f"    {problem}", err=True)
    refused = [o for o in outcomes if o.state == "refused"]
    if refused:
        fail(f"{len(refused)} package(s) refused: {refused[0].problems[0]}")


def _outcome_line(outcome, draft: bool) -> str:
    where = f"{outcome.package.plugin}: {outcome.slug or outcome.package.path.name}"
    if outcome.state == "installed":
        return f"{where} version {outcome.number} installed, {'draft' if draft else 'published'}"
    if outcome.state == "unchanged":
        return f"{where} unchanged (version {outcome.number})"
    return f"{where} refused: {outcome.problems[0]}"


@click.command("import-questions")
@click.argument("slug")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["gift", "yaml", "aiken", "csv", "xlsx"]), default=None,
              help="The file's format (default: from its extension; .txt is GIFT or Aiken by its content).")
@click.option("--quiz", default=None, help="Also add the questions to this quiz of the course.")
@click.option("--dry-run", is_flag=True, help="Check every question and list the problems; write nothing.")
@with_appcontext
def import_questions(slug: str, path: Path, fmt: str | None, quiz: str | None, dry_run: bool) -> None:
    """Add or update questions in a course's question bank (its draft), all or nothing.

    GIFT, YAML, Aiken, or a CSV/XLSX spreadsheet with one question per row
    (docs/question-import.md). Problems name their row and column, or line.
    """
    from sqlalchemy import select

    from lms.database import db
    from lms.models import Course
    from lms.services import question_import

    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        fail(f"no course {slug!r}")
    with path.open("rb") as fh:
        data = fh.read(question_import.MAX_BYTES + 1)
    try:
        if dry_run:
            plan = question_import.check(course, path.name, data, fmt, quiz)
            if not plan.ok:
                raise question_import.ImportRefused(plan.problems or [])
        else:
            version, plan = question_import.run(course, path.name, data, fmt, quiz)
    except question_import.ImportRefused as exc:
        for problem in exc.problems[1:]:
            click.echo(str(problem), err=True)
        first = exc.problems[0] if exc.problems else "the file holds no question"
        fail(f"questions refused ({len(exc.problems)} problem(s)): {first}")
    if dry_run:
        click.echo(f"{plan.added} question(s) to add, {plan.updated} to update from {path.name}; "
                   "nothing written (dry run)")
    else:
        click.echo(f"{plan.added} question(s) added, {plan.updated} updated in draft version {version.number} "
                   f"of {slug} (publish it from the author pages)")


COMMANDS = [import_course, export_course, install_curricula, import_questions]
