"""The `flask lms` command group: administration from the shell.

Commands exit 0 on success and non-zero with one readable line on stderr on failure.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from lms.errors import LmsError, ValidationFailed
from lms.i18n import translate
from lms.models import Role
from lms.plugins import PluginHost


def init_app(app: Flask, host: PluginHost) -> None:
    """Build a fresh `lms` group for this app so plugin commands never leak between apps."""
    group = AppGroup("lms", help="ASN LMS administration.")
    for command in (create_admin, plugins, seed_demo, close_overdue_attempts, import_course,
                    export_course, install_curricula):
        group.add_command(command)
    host.call("register_commands", cli=group)
    app.cli.add_command(group)


def fail(message: str) -> None:
    """Stop the command with exit code 1 and one line on stderr."""
    raise click.ClickException(message)


def explain(exc: LmsError) -> str:
    if isinstance(exc, ValidationFailed):
        return "; ".join(f"{field}: {translate(msg)}" for field, msg in exc.errors.items())
    return str(exc)


@click.command("create-admin")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--nip", default=None, help="18-digit NIP (optional for non-ASN admins).")
@click.password_option(envvar="LMS_ADMIN_PASSWORD", help="Prompted for if not given "
                       "(or set LMS_ADMIN_PASSWORD).")
def create_admin(email: str, name: str, nip: str | None, password: str) -> None:
    """Create an administrator account."""
    from lms.services import accounts

    try:
        user = accounts.register_user(name=name, email=email, nip=nip, password=password,
                                      role=Role.ADMIN)
    except LmsError as exc:
        fail(explain(exc))
    click.echo(f"admin {user.email} created (id {user.id})")


@click.command("plugins")
@with_appcontext
def plugins() -> None:
    """List plugins: name, version, API, status and the hooks each implements."""
    from flask import current_app

    rows = [("NAME", "VERSION", "API", "STATUS", "HOOKS / REASON")]
    for info in current_app.extensions["lms"].get_plugins():
        detail = info.reason if info.status == "refused" else ", ".join(info.hooks)
        rows.append((info.name, info.version or "-", info.api or "-", info.status, detail))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load demo units and accounts (idempotent) so a newcomer can try the site at once."""
    from lms.services import demo

    try:
        for line in demo.seed():
            click.echo(line)
    except LmsError as exc:
        fail(explain(exc))


@click.command("close-overdue-attempts")
@with_appcontext
def close_overdue_attempts() -> None:
    """Grade quiz attempts left open past their time limit (run every minute from cron)."""
    from lms.services import attempts

    closed = attempts.close_overdue()
    click.echo(f"{closed} overdue attempt(s) closed")


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
