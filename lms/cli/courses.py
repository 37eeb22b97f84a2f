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

    try:
        version = packages.import_path(path, publish=publish)
    except PackageInvalid as exc:
        for problem in exc.problems[1:]:
            click.echo(str(problem), err=True)
        fail(f"package refused ({len(exc.problems)} problem(s)): {exc.problems[0]}")
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

    outcomes = curricula.install_all(plugin, publish=not draft)
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


COMMANDS = [import_course, export_course, install_curricula]
