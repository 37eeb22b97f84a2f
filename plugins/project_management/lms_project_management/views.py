"""The plugin's blueprint: its templates (``templates/project_management/``) and stylesheet.

Registered through ``register_blueprints``; its name is the plugin's name, as the host
requires. It has no pages: it makes the question type's template findable by
``render_template("project_management/...")`` and serves ``static/`` under
``/p/project_management/static/`` (``url_for("project_management.static", filename=...)``).
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("project_management", __name__, url_prefix="/p/project_management",
               template_folder="templates", static_folder="static", static_url_path="/static")
