"""The LMS error family and the HTTP error pages (HTML for people, JSON for the API)."""
from __future__ import annotations

import string
from urllib.parse import quote

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import DataError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import BadRequest, HTTPException, NotFound, ServiceUnavailable

#: Seconds a client is asked to wait (Retry-After) when the database is unreachable.
DATABASE_RETRY_AFTER = 30


class LmsError(Exception):
    """Base class for errors the LMS raises on purpose, with a readable message."""


class StartupError(LmsError):
    """The application cannot start with this configuration or these plugins."""


class PluginRefused(LmsError):
    """A plugin cannot be loaded: import error, API version, unknown hook, bad contribution."""

    def __init__(self, plugin: str, reason: str):
        super().__init__(f"plugin {plugin!r} refused: {reason}")
        self.plugin = plugin
        self.reason = reason


class InsufficientStorage(HTTPException):
    """507: the file storage is full (werkzeug has no class for this WebDAV status)."""

    code = 507


class ValidationFailed(LmsError):
    """Input broke a business rule; `errors` maps field names to messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def wants_json() -> bool:
    """Tell whether the client should get a JSON error instead of a page."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def handle_http_error(exc: HTTPException):
    """Render an HTTP error as the API's JSON shape or as a page in the site layout."""
    if wants_json():
        body = {"error": {"code": exc.name.lower().replace(" ", "_"),
                          "message": exc.description, "details": {}}}
        # Keep what the exception says in its headers (Allow on 405, WWW-Authenticate on 401).
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        return jsonify(body), exc.code, headers
    return render_template("errors/error.html", error=exc), exc.code


def _has_nul(*texts: str) -> bool:
    return any("\x00" in text for text in texts)


def refuse_nul_characters() -> None:
    """400 for a NUL character in a parameter or a form field (404 in the path), and for a
    JSON body nested too deeply to decode.

    No field means anything by one, PostgreSQL refuses to store or compare text holding
    one (a 500), and SQLite cuts a LIKE pattern at it (so "a\\0b" searched for "a").
    JSON bodies are left to the API's schemas (a NUL is valid JSON text); what PostgreSQL
    then refuses is answered by `handle_refused_value`.
    """
    if "\x00" in request.path:
        raise NotFound()  # no page or file has one in its address
    found = any(_has_nul(k, v) for k, v in request.args.items(multi=True))
    if not found and "form" in request.__dict__:  # parsed already (CSRF check): never consume a raw body
        found = any(_has_nul(k, v) for k, v in request.form.items(multi=True)) \
            or any(_has_nul(f.filename or "") for f in request.files.values())
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.is_json:
        try:
            request.get_json(silent=True)  # cached: the view reads it again for free
        except RecursionError:  # json's decoder recurses per level; silent=True catches ValueError only
            raise BadRequest(_("The JSON body is nested too deeply.")) from None
    if found:
        raise BadRequest(_("The request contains a NUL character, which no field accepts."))


def handle_refused_value(exc: DataError):
    """400, not 500, when the database refuses a value the checks let through (PostgreSQL:
    a NUL character in text, a number out of its column's range)."""
    from lms.database import db

    db.session.rollback()
    current_app.logger.warning("database refused a value: %s", str(exc.orig).splitlines()[0])
    return handle_http_error(BadRequest(_("A value was refused: it is out of range or holds a "
                                          "character that cannot be stored (such as NUL).")))


def handle_database_unavailable(exc: Exception):
    """503 with Retry-After, not 500, when the database went away or is overloaded.

    The transaction of this request is rolled back (nothing of it was committed, so
    nothing is half-written); what earlier requests committed is untouched, and the client
    may simply try again. Covers a dropped connection or a restarting server
    (OperationalError), a pool that cannot reconnect (DisconnectionError) and a full pool
    (TimeoutError), including SQLite's "database is locked" once its busy timeout is spent.
    """
    from flask import g

    from lms.extensions import login_manager
    from lms.templating import ERROR_TEXTS

    _rollback_quietly()
    current_app.logger.error("database unavailable: %s: %s", type(exc).__name__, _first_line(exc))
    # The page is drawn for a visitor: reloading the signed-in user (rolled back, so expired)
    # would only wait for the same database again.
    g._login_user = login_manager.anonymous_user()
    return _render_safely(lambda: ServiceUnavailable(str(ERROR_TEXTS[503]), retry_after=DATABASE_RETRY_AFTER))


def handle_storage_full(exc: OSError):
    """507 when the file storage is full: the upload was not kept, and nothing points at it
    (lms.storage deletes the partial file; the services roll back their rows)."""
    from lms.templating import ERROR_TEXTS

    _rollback_quietly()
    current_app.logger.error("file storage full: %s", exc)
    return _render_safely(lambda: InsufficientStorage(str(ERROR_TEXTS[507])))


def _rollback_quietly() -> None:
    """End the request's transaction; on a dead connection there is nothing left to undo."""
    from lms.database import db

    try:
        db.session.rollback()
    except Exception:  # the connection is gone for good: the pool discards it
        pass


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.splitlines()[0] if text else ""


def _render_safely(make_error):
    """The error page or JSON (with the error's headers, such as Retry-After) for the
    HTTPException ``make_error()`` returns; if that needs the database and fails (the
    signed-in user cannot be reloaded for the header or the language), it is made again
    for an anonymous visitor, which needs none."""
    from flask import g, make_response

    from lms.extensions import login_manager

    try:
        error = make_error()
        response = make_response(handle_http_error(error))
    except Exception:
        current_app.logger.warning("error page needed the database; rendering it anonymously")
        _rollback_quietly()
        g._login_user = login_manager.anonymous_user()  # Flask-Login's per-request user
        error = make_error()
        response = make_response(handle_http_error(error))
    for key, value in error.get_headers():
        if key.lower() != "content-type":
            response.headers[key] = value
    response.headers["Cache-Control"] = "no-store"
    return response


def percent_encoded_query(wsgi_app):
    """WSGI middleware: %-encode raw non-ASCII bytes in the query string, as browsers do.

    Werkzeug decodes a query string strictly as UTF-8 (request.args, request.full_path), so
    a client sending raw bytes such as 0xFF got a 500 on every page; encoded, they decode
    like any bad %-escape (to U+FFFD) and the page answers normally.
    """
    def app(environ, start_response):
        query = environ.get("QUERY_STRING", "")
        if not query.isascii():
            try:
                raw = query.encode("latin-1")  # how WSGI carries bytes in a str
            except UnicodeEncodeError:
                raw = query.encode("utf-8")
            environ["QUERY_STRING"] = quote(raw, safe=string.punctuation)
        return wsgi_app(environ, start_response)

    return app


#: The largest id an INTEGER column holds on PostgreSQL.
MAX_ROW_ID = 2**31 - 1


def missing_beyond_row_ids() -> None:
    """An `<int:...>` id no row can have is a missing object (404), decided before the view
    asks the database, where PostgreSQL would refuse the number (DataError, 400)."""
    if any(type(v) is int and v > MAX_ROW_ID for v in (request.view_args or {}).values()):
        raise NotFound()


def init_app(app: Flask) -> None:
    """Register the error handlers and the guards against raw bytes and NUL characters."""
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(DataError, handle_refused_value)
    for unavailable in (OperationalError, DisconnectionError, PoolTimeout):
        app.register_error_handler(unavailable, handle_database_unavailable)
    from lms.storage import StorageFull

    app.register_error_handler(StorageFull, handle_storage_full)
    app.before_request(refuse_nul_characters)
    app.before_request(missing_beyond_row_ids)
    app.wsgi_app = percent_encoded_query(app.wsgi_app)
