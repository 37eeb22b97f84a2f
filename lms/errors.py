"""The LMS error family and the HTTP error pages (HTML for people, JSON for the API)."""
from __future__ import annotations

import string
from urllib.parse import quote

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import DataError
from werkzeug.exceptions import BadRequest, HTTPException, NotFound


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


def init_app(app: Flask) -> None:
    """Register the error handlers and the guards against raw bytes and NUL characters."""
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(DataError, handle_refused_value)
    app.before_request(refuse_nul_characters)
    app.wsgi_app = percent_encoded_query(app.wsgi_app)
