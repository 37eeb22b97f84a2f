"""SCORM 1.2 content and its runtime API for learners.

- ``GET  /learn/<slug>/scorm/<n>/<key>/content/<path>``: a file of the lesson's package,
  with the content policy (lms.services.scorm.CONTENT_POLICY), sandboxed; on the content
  origin when there is one (docs/content-isolation.md);
- ``GET  /learn/content/s/<token>/<path>``: the same by a signed token, as the player
  launches it; the SCO's HTML documents carry the runtime (window.API);
- ``POST /learn/<slug>/scorm/<n>/<key>/session``: open a session, get the CMI values;
- ``POST /learn/<slug>/scorm/<n>/<key>/commit``: save values (JSON, ``X-CSRFToken``
  header; or a form with ``csrf_token`` and ``payload`` for a page being left).

`n` is the version number: learners run the published version, authors preview any.
Anyone else gets 404 (the JSON endpoints answer 401 to a visitor who is not signed in).
"""
from __future__ import annotations

import json

from flask import Blueprint, abort, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from lms import content_origin
from lms.services import scorm

bp = Blueprint("scorm", __name__, url_prefix="/learn")


def _error(code: str, message: str, status: int, details: dict | None = None):
    return jsonify({"error": {"code": code, "message": message, "details": details or {}}}), status


def _launch(slug: str, number: int, key: str):
    try:
        return scorm.launch_for(current_user, slug, number, key)
    except scorm.NotFound:
        abort(404)


@bp.get("/<slug>/scorm/<int:number>/<key>/content/<path:path>")
def content(slug: str, number: int, key: str, path: str):
    launch = _launch(slug, number, key)
    try:
        return scorm.send_content(launch, number, path, current_user)
    except scorm.NotFound:
        abort(404)


@bp.get("/content/s/<token>/<path:path>")
def token_file(token: str, path: str):
    """A file of a SCO's folder opened by a signed token (the content origin's route; no
    cookie needed). HTML documents of the SCO get the runtime with the session's values."""
    try:
        scope = content_origin.verify(token, "s")
        return scorm.send_token_file(scope, path)
    except content_origin.TokenRefused as exc:
        return content_origin.refused(str(exc))
    except scorm.NotFound:
        return content_origin.refused(_("This content does not exist here."), 404)


@bp.post("/<slug>/scorm/<int:number>/<key>/session")
def session(slug: str, number: int, key: str):
    if not current_user.is_authenticated:
        return _error("unauthorized", "Sign in to run this lesson.", 401)
    launch = _launch(slug, number, key)
    try:
        return jsonify(scorm.start_session(launch, current_user))
    except scorm.NotFound:
        abort(404)


@bp.post("/<slug>/scorm/<int:number>/<key>/commit")
def commit(slug: str, number: int, key: str):
    if not current_user.is_authenticated:
        return _error("unauthorized", "Sign in to run this lesson.", 401)
    launch = _launch(slug, number, key)
    if (request.content_length or 0) > scorm.MAX_COMMIT_BYTES:
        return _error("too_large", f"A commit may hold at most {scorm.MAX_COMMIT_BYTES} bytes.", 413)
    try:
        payload = _payload()
        return jsonify(scorm.commit(launch, payload))
    except scorm.Invalid as exc:
        return _error(exc.code, exc.message, exc.status, exc.details)
    except scorm.NotFound:
        abort(404)


def _payload():
    """The commit as JSON, or from the ``payload`` field of a beacon's form."""
    if request.is_json:
        payload = request.get_json(silent=True)
        if payload is None:
            raise scorm.Invalid("invalid_json", "The body is not valid JSON.")
        return payload
    try:
        return json.loads(request.form.get("payload", ""))
    except ValueError:
        raise scorm.Invalid("invalid_json", "The body is not valid JSON.") from None
