"""Hook implementations of the example plugin; one per hook in the API."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Blueprint, current_app, render_template
from sqlalchemy import func, select

from lms.plugin import NavItem, db, hookimpl

from lms_example.models import Greeting

lms_api = "1.0"

bp = Blueprint("example", __name__, url_prefix="/p/example", template_folder="templates")


@bp.get("/")
def index():
    count = db.session.scalar(select(func.count()).select_from(Greeting))
    return render_template("example/index.html", count=count,
                           greeting=current_app.config["EXAMPLE_GREETING"])


@hookimpl
def config_defaults():
    return {"EXAMPLE_GREETING": "Selamat datang"}


@hookimpl
def startup(app):
    app.extensions["example_started"] = True


@hookimpl
def register_blueprints(app):
    return [bp]


@hookimpl
def register_commands(cli):
    @cli.command("example-hello")
    @click.argument("name")
    def hello(name):
        """Greet NAME with the configured greeting."""
        click.echo(f"{current_app.config['EXAMPLE_GREETING']}, {name}")


@hookimpl
def migrations_dirs():
    return [("example", str(Path(__file__).parent / "migrations"))]


@hookimpl
def nav_items(user):
    return [NavItem("Example", "example.index", weight=50)] if user.is_authenticated else []


@hookimpl
def user_registered(user):
    db.session.add(Greeting(user_id=user.id, message=f"Halo {user.name}"))
    db.session.commit()
