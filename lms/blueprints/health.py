"""Probes and metrics for load balancers and monitoring (docs/deployment.md).

- ``/healthz``: liveness with the database, kept as before (monitors already call it).
- ``/readyz``: readiness: can this process serve now? The database, and Redis when the
  site uses it (rate limits, cache and jobs would fail without it).
- ``/metrics``: Prometheus text, only when METRICS_ENABLED, only for METRICS_ALLOW.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, jsonify, request
from sqlalchemy import text

from lms.connections import redis_client
from lms.database import db
from lms.observability import metrics_of

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


def _database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception:  # any driver error means "not ready"; details go to the log only
        log.exception("health check: database unavailable")
        db.session.rollback()
        return "unavailable"


def _redis() -> str | None:
    client = redis_client()
    if client is None:
        return None
    try:
        client.ping()
        return "ok"
    except Exception:
        log.exception("health check: Redis unavailable")
        return "unavailable"


def _answer(checks: dict[str, str]):
    healthy = all(state == "ok" for state in checks.values())
    response = jsonify(status="ok" if healthy else "error", checks=checks)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz():
    return _answer({"database": _database()})


@bp.get("/readyz")
def readyz():
    checks = {"database": _database()}
    if (state := _redis()) is not None:
        checks["redis"] = state
    return _answer(checks)


@bp.get("/metrics")
def metrics():
    collector = metrics_of(current_app)
    if collector is None:
        abort(404)
    allowed = current_app.config.get("METRICS_ALLOW") or []
    if allowed and request.remote_addr not in allowed:
        abort(403)
    try:
        body = collector.exposition()
    except Exception:
        log.exception("metrics unavailable")
        return Response("metrics unavailable\n", status=503, mimetype="text/plain")
    return Response(body, mimetype="text/plain; version=0.0.4; charset=utf-8",
                    headers={"Cache-Control": "no-store"})
