"""The learner's own dashboard at /me."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from lms.services import competencies, dashboard, evaluation

bp = Blueprint("dashboard", __name__)


@bp.get("/me")
@login_required
def index():
    return render_template("dashboard/me.html", board=dashboard.build(current_user),
                           surveys=evaluation.pending_for(current_user))


@bp.get("/me/competencies")
@login_required
def competencies_view():
    """Kompetensi saya: what the person's position requires, what they have, what to take next."""
    return render_template("dashboard/competencies.html", gap=competencies.gap_for(current_user))
