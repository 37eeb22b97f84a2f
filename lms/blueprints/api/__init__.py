"""The JSON API (/api/v1): one module per area, all declared through ApiBlueprint.operation.

Conventions (docs/api.md): errors are ``{"error": {"code", "message", "details"}}``; lists
are paged with ``page``/``per_page`` and a Link header; reads carry an ETag. Callers are
identified by a personal access token or the browser session (lms.api.auth).
"""
from __future__ import annotations

from lms.api import auth
from lms.api.errors import ApiError, handle_api_error
from lms.api.spec import ApiBlueprint
from lms.extensions import csrf

bp = ApiBlueprint("api", __name__, url_prefix="/api/v1")
# Token callers have no CSRF token to send; session callers are checked in auth.identify.
csrf.exempt(bp)
bp.before_request(auth.identify)
bp.register_error_handler(ApiError, handle_api_error)

from lms.blueprints.api import (admin, attempts, certificates, courses, jp, learning,  # noqa: E402,F401
                                meta)  # (routes register on import)
