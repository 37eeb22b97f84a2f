"""Site set-up: administrators, plugins, demo content."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from lms.cli import explain, fail
from lms.errors import LmsError
from lms.models import Role


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


COMMANDS = [create_admin, plugins, seed_demo]
