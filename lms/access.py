"""Route guards shared by blueprints: who may open a page at all."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from lms.models import Role


def role_required(role: Role):
    """Signed-in users holding `role` (admins hold every role); others get 403.

    Object-level rights (this course, this unit) are still checked inside each view.
    """
    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorate
