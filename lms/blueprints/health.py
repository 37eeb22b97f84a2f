"""Liveness check for load balancers and monitoring: is the database answering?"""
from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text

from lms.database import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any driver error means "not healthy"; details go to the log only
        log.exception("health check: database unavailable")
        db.session.rollback()
        return jsonify(status="error", checks={"database": "unavailable"}), 503
    return jsonify(status="ok", checks={"database": "ok"})
