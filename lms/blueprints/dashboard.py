"""The learner's own dashboard at /me."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from lms.services import dashboard

bp = Blueprint("dashboard", __name__)


@bp.get("/me")
@login_required
def index():
    return render_template("dashboard/me.html", board=dashboard.build(current_user))
