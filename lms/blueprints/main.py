"""Home page and the language switch."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session
from flask_login import current_user

from lms.database import db
from lms.i18n import SESSION_KEY
from lms.urls import safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    return render_template("main/index.html")


@bp.post("/language")
def set_language():
    """Remember the chosen language (in the profile too when logged in) and go back."""
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400, description="Unknown language.")
    session[SESSION_KEY] = lang
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()
    return redirect(safe_next(request.form.get("next")))
