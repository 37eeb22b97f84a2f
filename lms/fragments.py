"""Rendered HTML that many requests share, made once per process and reused.

Most of a page is the same for everyone who sees it: the site header for one set of menu
links, language and path; the catalog's filter form, cards and pager for one search.
Rendering those with Jinja on every request was the largest cost left on the hot pages
(docs/performance.md), so a *fragment* is rendered once and kept in this process's LRU
under a key made of its name, the visitor's language, the content generation it depends on
(lms/cache.py: a publish bumps it, so every process renders anew at once) and whatever
else makes it differ.

Values that differ per visitor inside a shared fragment (the CSRF token of the header's
forms, a course card's "Enrolled" badge) are *slots*: the fragment holds a marker, and
:func:`fill` puts the visitor's value in on each request. A marker carries a random token
of this process, so no text a person can write (a course title, a search) can forge one,
and a slot without a value becomes empty.

The LRU lives in the app (never shared across apps or processes: each process renders the
same templates, so each warms its own copy); entries also expire after ``CACHE_TTL``. ``CACHE_BACKEND=null`` turns fragments off
like every other cache: every request renders.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app
from flask_babel import get_locale
from markupsafe import Markup, escape

from lms import cache

#: Fragments kept per process (a header per path and menu, a catalog page per search).
ENTRIES = 1024
_KEY = "lms.fragments"
#: The per-process token in every slot marker.
_TOKEN = secrets.token_hex(12)
_NAME = r"[A-Za-z0-9_.-]+"
_SLOT = re.compile(r"<!--slot:" + _TOKEN + r":(" + _NAME + r")-->")


def _store() -> cache.LocalBackend | None:
    """This app's LRU of fragments (the cache's in-memory backend, holding rendered values
    instead of JSON), or None when caching is off."""
    app = current_app._get_current_object()
    store = app.extensions.get(_KEY)
    if store is None:
        if cache.backend(app) is None:  # CACHE_BACKEND=null: no caching of any kind
            return None
        store = app.extensions[_KEY] = cache.LocalBackend(ENTRIES)
    return store


def cached(name: str, parts: Hashable, render: Callable[[], Any], scope: str | None = None) -> Any:
    """What `render()` returns for (name, locale, generation of `scope`, parts), rendered at
    most once per process until the scope's generation moves on.

    `render` must depend on nothing but these (and the app's templates and settings);
    what differs per visitor goes in :func:`slot` markers."""
    store = _store()
    if store is None:
        return render()
    key = (name, str(get_locale()), cache.generation(scope) if scope else None, parts)
    found = store.get(key)
    if found is None:
        found = render()
        store.set(key, found, int(current_app.config.get("CACHE_TTL") or 300))
    return found


def slot(name: str) -> Markup:
    """The marker :func:`fill` replaces with this request's value for `name`."""
    if not re.fullmatch(_NAME, name):
        raise ValueError(f"slot names are letters, digits, '_', '.' and '-': {name!r}")
    # bandit B704: a fixed comment around a hex token and a name checked just above
    return Markup(f"<!--slot:{_TOKEN}:{name}-->")  # nosec B704


def fill(html: str, values: dict[str, str]) -> Markup:
    """`html` (a rendered template) with every slot marker replaced by its value, escaped
    unless it is Markup already, or by nothing."""
    filled = _SLOT.sub(lambda match: str(escape(values.get(match.group(1), ""))), html)
    # bandit B704: `html` is Jinja's autoescaped output and every value was escaped just above
    return Markup(filled)  # nosec B704
