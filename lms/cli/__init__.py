"""The `flask lms` command group: administration from the shell.

Commands exit 0 on success and non-zero with one readable line on stderr on failure. Each
module of this package holds the commands of one area and lists them in ``COMMANDS``.
"""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from lms.errors import LmsError, ValidationFailed
from lms.i18n import translate
from lms.plugins import PluginHost


def init_app(app: Flask, host: PluginHost) -> None:
    """Build a fresh `lms` group for this app so plugin commands never leak between apps."""
    from lms.cli import (backup, bench, certificates, courses, learning, notifications, reports, site,
                         training_history, users, worker, xapi)

    group = AppGroup("lms", help="ASN LMS administration.")
    for module in (site, courses, learning, users, reports, training_history, notifications, xapi, worker, bench,
                   backup, certificates):
        for command in module.COMMANDS:
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
