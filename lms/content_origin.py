"""Author and SCORM content on its own origin (CONTENT_ORIGIN), reached by signed links.

Course files are written by authors, and a SCORM package is a whole web site with its own
scripts. Served from the app's origin, such a script could read the learner's pages and act
as them. With ``CONTENT_ORIGIN`` set (e.g. ``https://konten.example.go.id``, another host
name for the same app), those files are only answered on that host, and the app's own pages
are never answered there: content can run whatever it likes without reaching the session.

The session cookie is not sent to the other origin, so content URLs carry a token instead:
signed with the secret key (itsdangerous), expiring after CONTENT_TOKEN_SECONDS, and bound
to what it opens (one asset path of one version, or one SCORM lesson's folder). The app's
pages make the tokens after their usual access checks; the content host only checks them.

Without CONTENT_ORIGIN the same token routes answer on the app's origin, and the files carry
a ``sandbox`` policy instead (an opaque origin: no cookies, no access to the app's pages).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, redirect, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from lms.errors import StartupError

#: Endpoints answered on the content host (everything else answers 404 there).
CONTENT_ENDPOINTS = {"content.asset", "scorm.token_file", "static"}
_SALT = "lms-content-origin"

bp = Blueprint("content", __name__, url_prefix="/content")


class TokenRefused(Exception):
    """A content token that is forged, expired, or made for something else."""


# ------------------------------------------------------------------------- settings


def origin() -> str:
    """The content origin ("scheme://host[:port]"), or "" when content is same-origin."""
    return (current_app.config.get("CONTENT_ORIGIN") or "").strip().rstrip("/")


def _check_origin(app: Flask) -> None:
    """Refuse a CONTENT_ORIGIN that is not a bare http(s) origin: a typo would otherwise
    send every course file to the wrong place."""
    value = (app.config.get("CONTENT_ORIGIN") or "").strip().rstrip("/")
    if not value:
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
        raise StartupError(f"LMS_CONTENT_ORIGIN must be an origin like https://konten.example.go.id, not {value!r}")
    if _host(value) == _host(app.config.get("BASE_URL") or ""):
        raise StartupError(f"LMS_CONTENT_ORIGIN {value!r} must be another host name than LMS_BASE_URL's")


def _host(url: str) -> str:
    """host[:port] of a URL, without the scheme's default port ("https://a:443" is "a")."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    host = (parts.hostname or "").lower()
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def on_content_host() -> bool:
    """Whether this request came in on the content origin's host name."""
    value = origin()
    return bool(value) and _host(f"{request.scheme}://{request.host}") == _host(value)


def content_url(endpoint: str, **values) -> str:
    """The URL of a content route: absolute on the content origin when there is one, else
    the usual path. Every link to author or SCORM content is built here."""
    path = url_for(endpoint, **values)
    return origin() + path if origin() else path


# ------------------------------------------------------------------------- tokens


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def sign(scope: dict) -> str:
    """A token for `scope` (what it opens: {"k": kind, ...}); it expires on its own."""
    return _serializer().dumps(scope)


def verify(token: str, kind: str) -> dict:
    """The scope of a valid token of `kind`, or TokenRefused (forged, expired, other kind)."""
    try:
        scope = _serializer().loads(token, max_age=int(current_app.config.get("CONTENT_TOKEN_SECONDS", 8 * 3600)))
    except SignatureExpired:
        raise TokenRefused(_("This link has expired: reload the page that opened it.")) from None
    except BadSignature:
        raise TokenRefused(_("This link is not valid.")) from None
    if not isinstance(scope, dict) or scope.get("k") != kind:
        raise TokenRefused(_("This link is not valid."))
    return scope


def refused(message: str, status: int = 403) -> Response:
    """A short plain answer: content hosts never render the app's pages (or set cookies)."""
    return Response(message + "\n", status=status, mimetype="text/plain",
                    headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


# ------------------------------------------------------------------------- assets


def asset_redirect(version_id: int, path: str, public: bool) -> Response:
    """Send the browser to the asset on the content origin, with a token for that path only
    (the caller has already decided that this user may see it)."""
    token = sign({"k": "a", "v": version_id, "p": path, "pub": public})
    response = redirect(content_url("content.asset", token=token, path=path), code=302)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"  # shown on the app's pages
    return response


@bp.get("/a/<token>/<path:path>")
def asset(token: str, path: str):
    """A course asset opened by a token (the content origin's view of lms.services.assets)."""
    from werkzeug.exceptions import NotFound

    from lms.database import db
    from lms.models import CourseVersion
    from lms.services import assets

    try:
        scope = verify(token, "a")
    except TokenRefused as exc:
        return refused(str(exc))
    if scope.get("p") != path:
        return refused(_("This link is not valid for this file."))
    version = db.session.get(CourseVersion, scope.get("v"))
    if version is None:
        return refused(_("This content does not exist here."), 404)
    try:
        response = assets.send(version, path, public=bool(scope.get("pub")))
    except NotFound:
        return refused(_("This content does not exist here."), 404)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"  # shown on the app's pages
    return response


# ------------------------------------------------------------------------- hosts


def _gate():
    """On the content host only content routes answer; on the app's host, content routes
    send the browser to the content host (where the token is all that is checked)."""
    if not origin():
        return None
    endpoint = request.endpoint or ""
    if on_content_host():
        if endpoint not in CONTENT_ENDPOINTS:
            return refused(_("This content does not exist here."), 404)
        return None
    if endpoint in CONTENT_ENDPOINTS - {"static"}:
        return redirect(origin() + request.full_path.rstrip("?"), code=302)
    return None


def init_app(app: Flask) -> None:
    """Check the setting, add the content routes and the host gate."""
    _check_origin(app)
    app.register_blueprint(bp)
    from lms.extensions import csrf

    csrf.exempt(bp)
    app.before_request_funcs.setdefault(None, []).insert(0, _gate)  # before anything reads the session
