"""The LMS error family and the HTTP error pages (HTML for people, JSON for the API)."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException


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


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(HTTPException, handle_http_error)
