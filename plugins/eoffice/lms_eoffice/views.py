"""The plugin's blueprint: its templates (``templates/eoffice/``) and its stylesheet.

Registered through ``register_blueprints``; its name starts with the plugin's name, as the
host requires. It has no pages: it makes the question type's template findable by
``render_template("eoffice/...")`` and serves ``static/`` under ``/p/eoffice/static/``
(``url_for("eoffice.static", filename="eoffice.css")``).
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("eoffice", __name__, url_prefix="/p/eoffice", template_folder="templates",
               static_folder="static", static_url_path="/static")
