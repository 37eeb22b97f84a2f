"""The hello plugin: a page, a menu item, a setting, a table and a reaction to an event."""
import logging
from pathlib import Path

from flask import Blueprint, current_app, render_template
from flask_login import login_required
from sqlalchemy import func, select

from lms.plugin import NavItem, db, hookimpl

from lms_hello.i18n import _, _l
from lms_hello.models import CourseCompletion

lms_api = "1.1"  # the plugin API version this plugin was written for

log = logging.getLogger(__name__)

bp = Blueprint("hello", __name__, url_prefix="/p/hello", template_folder="templates")


@bp.context_processor
def plugin_gettext():
    """Templates translate the plugin's texts with hello_(...); _ stays the core's."""
    return {"hello_": _}


@bp.get("/")
@login_required
def index():
    completions = db.session.scalar(select(func.count()).select_from(CourseCompletion))
    return render_template("hello/index.html", greeting=current_app.config["HELLO_GREETING"],
                           completions=completions)


@hookimpl
def config_defaults():
    return {"HELLO_GREETING": "Selamat datang"}


@hookimpl
def register_blueprints(app):
    return [bp]


@hookimpl
def migrations_dirs():
    return [("hello", str(Path(__file__).parent / "migrations"))]


@hookimpl
def nav_items(user):
    if not user.is_authenticated:
        return []
    return [NavItem(_l("Hello"), "hello.index", weight=50)]


@hookimpl
def course_completed(enrollment):
    db.session.add(CourseCompletion(user_id=enrollment.user_id, course_slug=enrollment.course.slug))
    db.session.commit()
    log.info("hello: user %s completed %s", enrollment.user_id, enrollment.course.slug)
