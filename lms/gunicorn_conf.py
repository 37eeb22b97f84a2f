"""gunicorn settings for production: ``gunicorn -c python:lms.gunicorn_conf wsgi:app``.

Every value comes from the environment so one file serves a laptop check, an agency server
and each of several app servers behind a load balancer (docs/deployment.md):

- ``LMS_BIND`` (default ``127.0.0.1:8000``), ``LMS_WORKERS`` (default 2 × cores + 1),
  ``LMS_THREADS`` (default 1: sync workers; more gives gthread workers),
  ``LMS_WORKER_TIMEOUT`` (seconds, default 30), ``LMS_MAX_REQUESTS`` (default 20000),
  ``LMS_FORWARDED_ALLOW_IPS`` (proxies trusted for X-Forwarded-*, default ``127.0.0.1``),
  ``LMS_ACCESS_LOG`` (``-`` for stdout; empty: off, the app logs each request itself).

The app is loaded once in the master (``preload_app``) so workers fork with the code, the
templates' bytecode and the plugin registry already in memory (copy-on-write). Nothing a
worker needs lives only in its own memory: sessions are signed cookies, rate limits, cache
and jobs go to Redis when ``LMS_REDIS_URL`` is set, everything else to the database.
"""
from __future__ import annotations

import gc
import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("LMS_BIND", "127.0.0.1:8000")
workers = _int("LMS_WORKERS", multiprocessing.cpu_count() * 2 + 1)
threads = _int("LMS_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _int("LMS_WORKER_TIMEOUT", 30)
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak in any library cannot grow without bound;
# the jitter keeps them from restarting all at once. Not too often: a new worker starts with
# empty per-process caches (outlines, fragments, prepared statements), and at 500 pages/s
# 2000 requests recycled each worker every few seconds (docs/performance.md).
max_requests = _int("LMS_MAX_REQUESTS", 20000)
max_requests_jitter = max(1, max_requests // 10)
preload_app = True
forwarded_allow_ips = os.environ.get("LMS_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("LMS_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LMS_GUNICORN_LOG_LEVEL", "info")
proc_name = "asn-lms"
# gunicorn's control socket sits at one fixed path per user: two servers on one machine
# would fight over it, and nothing here uses it.
control_socket_disable = True
# Request line and header limits stay at gunicorn's safe defaults; bodies are bounded by
# MAX_CONTENT_LENGTH in the app.


def when_ready(server) -> None:
    """Compile every template in the master, then move everything loaded so far out of the
    cyclic collector's reach: each worker (and each recycled one) forks with the compiled
    templates and shares those pages instead of touching (and copying) them."""
    app = _app(server)
    if app is not None:
        from lms.templating import precompile_templates

        precompile_templates(app)
    gc.freeze()


def post_fork(server, worker) -> None:
    """A forked worker must not reuse the master's database or Redis connections."""
    app = _app(server)
    if app is None:
        return
    from lms import connections

    connections.after_fork(app)


def _app(server):
    """The preloaded Flask app (wsgi:app), or None when gunicorn was started without it."""
    wsgi = getattr(server, "app", None)
    try:
        return wsgi.wsgi() if wsgi is not None else None
    except Exception:  # pragma: no cover - gunicorn logs its own load errors
        return None
