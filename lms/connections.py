"""The shared services an app talks to besides its database: Redis, when LMS_REDIS_URL is set.

One client per process and app, made on first use. A pre-forking server (gunicorn with
``preload_app``) must call :func:`after_fork` in each worker so no socket is shared between
processes: the database pool and the Redis client are both dropped and rebuilt lazily.
"""
from __future__ import annotations

import logging

from flask import Flask, current_app

log = logging.getLogger(__name__)

_KEY = "lms.redis"


def redis_url(app: Flask | None = None) -> str:
    """LMS_REDIS_URL, or "" for the embedded, in-process mode."""
    return ((app or current_app).config.get("REDIS_URL") or "").strip()


def redis_client(app: Flask | None = None):
    """The app's Redis client, or None without LMS_REDIS_URL."""
    app = app or current_app._get_current_object()
    url = redis_url(app)
    if not url:
        return None
    client = app.extensions.get(_KEY)
    if client is None:
        import redis

        client = app.extensions[_KEY] = redis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)
    return client


def key(name: str, app: Flask | None = None) -> str:
    """A Redis key under the app's prefix (REDIS_PREFIX), so several sites can share a server."""
    return f"{(app or current_app).config['REDIS_PREFIX']}:{name}"


def after_fork(app: Flask) -> None:
    """Forget connections inherited from the parent process (called in each new worker)."""
    from lms.database import db

    if "sqlalchemy" in app.extensions:  # any WSGI app may be served with this gunicorn config
        with app.app_context():
            db.engine.dispose(close=False)
    client = app.extensions.pop(_KEY, None)
    if client is not None:
        client.connection_pool.reset()
    from lms import jobs

    jobs.after_fork(app)
