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
own copy). ``CACHE_BACKEND=null`` turns caching off. With Redis each process also keeps
a small local copy of what it read (an entry never changes under its key, so the copy is
always right), which spares a round trip for hot entries.

The generations are read once per request. With Redis they are read from Redis: after the
commit that bumps one, the new value is written there too ("set if greater", so a slow
reader cannot put an older value back), and the Redis copy expires after ``GENERATION_TTL``
seconds, so a missed update (Redis briefly down, or a command run without ``LMS_REDIS_URL``)
heals by itself that soon. Without Redis they are read from the DB.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask, current_app, g, has_app_context, has_request_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_BACKEND_KEY = "lms.cache"
#: Entries kept per process by the in-memory backend.
LOCAL_ENTRIES = 2048


class LocalBackend:
    """An LRU with expiry: JSON strings for the embedded mode, and each process's rendered
    fragments (lms/fragments.py)."""

    def __init__(self, size: int = LOCAL_ENTRIES):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key: Hashable) -> Any:
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

    def set(self, key: Hashable, value: Any, ttl: int) -> None:
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


class TieredBackend:
    """Redis, with this process's own LRU in front: keys carry the generation, so an entry
    read once can be served again from memory until it expires."""

    def __init__(self, app: Flask):
        self.local, self.shared = LocalBackend(), RedisBackend(app)

    def get(self, key: str) -> str | None:
        found = self.local.get(key)
        if found is None:
            found = self.shared.get(key)
            if found is not None:
                self.local.set(key, found, LOCAL_TTL)
        return found

    def set(self, key: str, value: str, ttl: int) -> None:
        self.shared.set(key, value, ttl)
        self.local.set(key, value, min(ttl, LOCAL_TTL))


#: Seconds a process keeps its copy of an entry read from Redis.
LOCAL_TTL = 60
#: Seconds Redis keeps its copy of a generation before it is read from the DB again.
GENERATION_TTL = 30
#: Writes a generation to Redis unless Redis already holds a newer one (KEYS[1], ARGV: value, ttl).
_SET_IF_GREATER = """
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
return 1
"""


def backend(app: Flask | None = None):
    """The app's backend (made once), or None when caching is off."""
    app = app or current_app._get_current_object()
    if _BACKEND_KEY not in app.extensions:
        kind = (app.config.get("CACHE_BACKEND") or "auto").lower()
        if kind == "null":
            made = None
        elif kind == "redis" or (kind == "auto" and (app.config.get("REDIS_URL") or "").strip()):
            made = TieredBackend(app)
        else:
            made = LocalBackend()
        app.extensions[_BACKEND_KEY] = made
    return app.extensions[_BACKEND_KEY]


def generation(scope: str) -> int:
    """The scope's generation, read once per request (and per call outside requests)."""
    seen = g.setdefault("lms_cache_generations", {}) if has_request_context() else {}
    if scope not in seen:
        seen[scope] = _shared_generation(scope)
        if seen[scope] is None:
            seen[scope] = _db_generation(scope)
            _publish_generation(scope, seen[scope])
    return seen[scope]


def _db_generation(scope: str) -> int:
    from lms.database import db
    from lms.models.cache import CacheGeneration

    return db.session.scalar(select(CacheGeneration.value).where(CacheGeneration.scope == scope)) or 0


def _redis_for_generations():
    """The Redis client when the cache lives in Redis, else None (generations stay in the DB)."""
    if not isinstance(backend(), TieredBackend):
        return None
    from lms.connections import redis_client

    return redis_client()


def _generation_key(scope: str) -> str:
    return f"{current_app.config['REDIS_PREFIX']}:cache-generation:{scope}"


def _shared_generation(scope: str) -> int | None:
    """The generation Redis holds, or None (no Redis, nothing there yet, or Redis down)."""
    client = _redis_for_generations()
    if client is None:
        return None
    try:
        value = client.get(_generation_key(scope))
    except Exception:
        log.warning("cache generations unavailable in Redis; reading the database", exc_info=True)
        return None
    return int(value) if value is not None else None


def _publish_generation(scope: str, value: int) -> None:
    """Tell Redis a generation read from or committed to the database (never lowers it)."""
    client = _redis_for_generations()
    if client is None:
        return
    try:
        client.eval(_SET_IF_GREATER, 1, _generation_key(scope), value, GENERATION_TTL)
    except Exception:
        log.warning("cache generation %s not written to Redis", scope, exc_info=True)


def invalidate(scope: str) -> None:
    """Bump the scope's generation in the current transaction: entries made before the
    commit are never read again, by any process (Redis learns the new value on commit)."""
    from sqlalchemy import update

    from lms.database import db
    from lms.models.cache import CacheGeneration

    value = db.session.scalar(update(CacheGeneration).where(CacheGeneration.scope == scope)
                              .values(value=CacheGeneration.value + 1).returning(CacheGeneration.value))
    if value is None:
        value = db.session.scalar(_insert_generation(db, scope).returning(CacheGeneration.value))
    db.session.info.setdefault(_BUMPED, {})[scope] = value
    if has_request_context():
        g.pop("lms_cache_generations", None)


_BUMPED = "lms_cache_bumped"


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    bumped = session.info.pop(_BUMPED, None)
    if bumped and has_app_context():
        for scope, value in bumped.items():
            _publish_generation(scope, value)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous) -> None:
    session.info.pop(_BUMPED, None)


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
    digest = hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode(), usedforsecurity=False).hexdigest()
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
