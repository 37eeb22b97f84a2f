"""The API describing itself: the OpenAPI document and a page to read it."""
from __future__ import annotations

from flask import jsonify, render_template

from lms.api import openapi
from lms.blueprints.api import bp


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 document, generated from the operations' declarations."""
    return jsonify(openapi.document())


@bp.get("/docs")
def docs():
    """A readable reference of every operation, rendered on the server (no external assets)."""
    return render_template("api/docs.html", spec=openapi.document(),
                           schema_name=openapi.schema_name)
