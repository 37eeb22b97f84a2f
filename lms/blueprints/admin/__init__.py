"""Agency administration (/admin): enrolments, users, units, assignments, reports, audit log.

One blueprint split by concern; each module adds its views to ``bp`` when imported. Admins
see everything; unit admins only their own unit and its sub-units (checked in every view).
"""
from __future__ import annotations

from flask import Blueprint, flash

from lms.access import role_required
from lms.errors import ValidationFailed
from lms.i18n import translate
from lms.models import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")

#: Admins and unit admins; unit admins are limited to their subtree inside the views.
admin_required = role_required(Role.UNIT_ADMIN)


def flash_refusal(exc: ValidationFailed) -> None:
    """Show each reason a service refused a change, in the visitor's language."""
    for message in exc.errors.values():
        flash(translate(message), "error")


from lms.blueprints.admin import (assignments, audit, competencies, enrolments, home,  # noqa: E402,F401
                                  reports, units, users)
