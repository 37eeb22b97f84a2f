"""SCORM 1.2 content and its runtime API for learners."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("scorm", __name__, url_prefix="/learn")
