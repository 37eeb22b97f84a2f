"""The administration home: one page linking every admin area the visitor may use."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user

from lms.blueprints.admin import admin_required, bp


@bp.get("/")
@admin_required
def index():
    return render_template("admin/index.html", is_admin=current_user.has_role("admin"),
                           unit=current_user.unit)
