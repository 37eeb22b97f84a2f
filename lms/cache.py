"""A shared cache for results that are costly to compute and change only when content does.

Entries are found by a *scope* (``catalog``: what is published), a name and the parts that
make the answer differ (filters, page, slug). Each scope has a generation number kept in
the database (``cache_generations``) and bumped in the same transaction as the change
(:func:`invalidate`, called by publishing). A key carries the generation, so after a commit
every worker and server asks for new keys at once: no stale answer outlives a publish, and
nothing has to be deleted. Old entries simply expire (``CACHE_TTL``).

Values are JSON (never pickled: a cache is not trusted with code) and live in Redis with
``LMS_REDIS_URL`` (shared by every process), else in a small per-process LRU (correct for
any number of processes, since the generation is read from the database; each just warms its
own copy). ``CACHE_BACKEND=null`` turns caching off. The generations are read once per
request.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, has_request_context
from sqlalchemy import select

log = logging.getLogger(__name__)

_BACKEND_KEY = "lms.cache"
#: Entries kept per process by the in-memory backend.
LOCAL_ENTRIES = 2048


class LocalBackend:
    """An LRU of JSON strings with expiry, for the embedded mode."""

    def __init__(self, size: int = LOCAL_ENTRIES):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key: str) -> str | None:
        with self.lock:
            found = self.items.get(key)
            if found is None:
                return None
            expires, value = found
            if expires < time.monotonic():
                del self.items[key]
                return None
            self.items.move_to_end(key)
            return value

    def set(self, key: str, value: str, ttl: int) -> None:
        with self.lock:
            self.items[key] = (time.monotonic() + ttl, value)
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


class RedisBackend:
    def __init__(self, app: Flask):
        self.app = app

    def _client(self):
        from lms.connections import redis_client

        return redis_client(self.app)

    def get(self, key: str) -> str | None:
        value = self._client().get(key)
        return value.decode() if value is not None else None

    def set(self, key: str, value: str, ttl: int) -> None:
        self._client().set(key, value, ex=ttl)


def backend(app: Flask | None = None):
    """The app's backend (made once), or None when caching is off."""
    app = app or current_app._get_current_object()
    if _BACKEND_KEY not in app.extensions:
        kind = (app.config.get("CACHE_BACKEND") or "auto").lower()
        if kind == "null":
            made = None
        elif kind == "redis" or (kind == "auto" and (app.config.get("REDIS_URL") or "").strip()):
            made = RedisBackend(app)
        else:
            made = LocalBackend()
        app.extensions[_BACKEND_KEY] = made
    return app.extensions[_BACKEND_KEY]


def generation(scope: str) -> int:
    """The scope's generation, read once per request (and per call outside requests)."""
    from lms.database import db
    from lms.models.cache import CacheGeneration

    seen = g.setdefault("lms_cache_generations", {}) if has_request_context() else {}
    if scope not in seen:
        seen[scope] = db.session.scalar(
            select(CacheGeneration.value).where(CacheGeneration.scope == scope)) or 0
    return seen[scope]


def invalidate(scope: str) -> None:
    """Bump the scope's generation in the current transaction: entries made before the
    commit are never read again, by any process."""
    from sqlalchemy import update

    from lms.database import db
    from lms.models.cache import CacheGeneration

    bumped = db.session.execute(update(CacheGeneration).where(CacheGeneration.scope == scope)
                                .values(value=CacheGeneration.value + 1))
    if not bumped.rowcount:
        db.session.execute(_insert_generation(db, scope))
    if has_request_context():
        g.pop("lms_cache_generations", None)


def _insert_generation(db, scope: str):
    """INSERT … ON CONFLICT: two first invalidations at once must not fail."""
    from lms.models.cache import CacheGeneration

    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(CacheGeneration).values(scope=scope, value=1)
    return statement.on_conflict_do_update(index_elements=[CacheGeneration.scope],
                                           set_={"value": CacheGeneration.value + 1})


def remember(scope: str, name: str, parts: Any, produce: Callable[[], Any]) -> Any:
    """The cached answer for (scope, name, parts), computed by `produce` when missing.

    `produce` must return JSON-able data (ids, numbers, strings, lists, dicts); a cache that
    fails (Redis down) is skipped, never the page.
    """
    store = backend()
    if store is None:
        return produce()
    digest = hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    key = f"{current_app.config['REDIS_PREFIX']}:cache:{scope}:{generation(scope)}:{name}:{digest}"
    try:
        found = store.get(key)
    except Exception:
        log.warning("cache unavailable; computing %s", name, exc_info=True)
        return produce()
    if found is not None:
        return json.loads(found)
    value = produce()
    try:
        store.set(key, json.dumps(value), int(current_app.config.get("CACHE_TTL") or 300))
    except Exception:
        log.warning("cache unavailable; %s not stored", name, exc_info=True)
    return value
