"""Who is calling the API: a personal access token, or the browser's session cookie.

A token (``Authorization: Bearer lms_pat_...``) carries its scopes, ``read`` and perhaps
``write``; a browser session has both but must send its CSRF token in ``X-CSRFToken`` on
every change, exactly like the site's forms, so a page elsewhere cannot act for the learner.
"""
from __future__ import annotations

from flask import g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError as CsrfInvalid

from lms.api.errors import ApiError
from lms.models import Role

SCOPES = ("read", "write")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="lms"'}


def identify() -> None:
    """Before each API request: settle the caller and their scopes on ``g``."""
    header = request.headers.get("Authorization")
    if header is not None:
        _from_token(header)
    elif current_user.is_authenticated:
        g.api_scopes, g.api_via = frozenset(SCOPES), "session"
        if request.method in UNSAFE_METHODS:
            _check_csrf()
    else:
        g.api_scopes, g.api_via = frozenset(), None


def _from_token(header: str) -> None:
    from lms.services import tokens

    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "invalid_token", "Send the token as 'Authorization: Bearer <token>'.",
                       headers={"WWW-Authenticate": 'Bearer realm="lms", error="invalid_request"'})
    token = tokens.authenticate(secret.strip())
    if token is None:
        raise ApiError(401, "invalid_token", "The token is unknown, expired or revoked.",
                       headers={"WWW-Authenticate": 'Bearer realm="lms", error="invalid_token"'})
    g._login_user = token.user  # Flask-Login's current_user for this request only; no session
    g.api_scopes, g.api_via = token.scope_set, "token"


def _check_csrf() -> None:
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except (CsrfInvalid, CSRFError):
        raise ApiError(403, "csrf_failed", "Send the page's CSRF token in the X-CSRFToken header "
                       "(or use a personal access token).") from None


def require(auth: str, roles: tuple[Role, ...]) -> None:
    """Refuse the request unless the caller may use an operation declared with `auth`
    ("public", "read" or "write") and, when given, one of `roles`."""
    if auth == "public":
        return
    if not current_user.is_authenticated:
        raise ApiError(401, "unauthenticated", "Sign in or send a personal access token.",
                       headers=_CHALLENGE)
    if current_user.must_change_password:
        raise ApiError(403, "password_change_required",
                       "Replace the password an administrator gave you before using the API.")
    if g.api_via == "session" and not current_user.two_factor_enabled:  # docs/authentication.md
        from lms.services.two_factor import required_for

        if required_for(current_user):
            raise ApiError(403, "two_factor_required",
                           "Your role requires two-factor sign-in: set it up on your profile first.")
    if auth not in g.api_scopes:
        raise ApiError(403, "insufficient_scope", f"This needs a token with the '{auth}' scope.",
                       headers={"WWW-Authenticate": f'Bearer realm="lms", error="insufficient_scope", '
                                                    f'scope="{auth}"'})
    if roles and not current_user.has_role(*roles):
        raise ApiError(403, "forbidden", "Your role does not allow this.")
