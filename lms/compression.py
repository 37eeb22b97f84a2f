"""Gzip for text responses, for clients that say they accept it (COMPRESS_RESPONSES).

On a slow mobile connection the bytes are the wait: a lesson page and its stylesheet are
text that gzip shrinks four to six times (docs/poor-connections.md has the figures). nginx
in front can do the same (``gzip on``); then switch this off. Without nginx (one process,
a small office, the dev server) the app does it here:

- only ``200`` answers of a text type, 512 bytes or more, not already encoded, not ranges,
  never a response streamed without a known length (an export being written, a download);
- ``Vary: Accept-Encoding`` on every compressible type, so caches keep both forms;
- the ETag of the gzipped form is the identity one with ``-gz`` (a representation of its own),
  and a revalidation with it is answered ``304`` as the static files' own ETag would be;
- the app's static files are compressed once per version (ETag) and kept in a small LRU.

HTML pages carry a CSRF token, and gzip on pages that also echo attacker-chosen text is what
BREACH measures; the session cookie is SameSite=Lax (no cookie on cross-site subrequests, the
requests BREACH needs by the thousand) and pages are HTTPS-only in production, but a deployment
that wants none of that risk sets COMPRESS_HTML = false and still gets compressed CSS and JS.
"""
from __future__ import annotations

import gzip
import threading
from collections import OrderedDict

from flask import Flask, Response, current_app, request

#: Types worth compressing (images other than SVG, PDFs, video and ZIPs already are).
TEXT_TYPES = frozenset({
    "text/html", "text/css", "text/javascript", "application/javascript", "application/json",
    "image/svg+xml", "text/plain", "text/csv", "application/xml", "text/xml", "application/manifest+json",
})
#: Smaller bodies gain less than the gzip header and a CPU slice cost.
MIN_BYTES = 512
#: Larger bodies of unknown use (a big export) are left to a proxy: no multi-megabyte gzip here.
MAX_BYTES = 2 * 1024 * 1024
#: gzip level: 6 is zlib's default; pages are small, so the difference to 9 is a few bytes.
LEVEL = 6
#: Static files kept compressed per process.
STATIC_CACHE_SIZE = 64
_KEY = "lms.compression"


class _StaticCache:
    """Compressed static files by ETag (thread-safe; gthread workers share it)."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: str, value: bytes) -> None:
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)


def accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def _compressible(response: Response) -> bool:
    if request.method == "HEAD" or response.status_code != 200 or response.mimetype not in TEXT_TYPES:
        return False
    if "Content-Encoding" in response.headers or "Content-Range" in response.headers:
        return False
    if "no-transform" in (response.headers.get("Cache-Control") or ""):
        return False
    length = response.content_length
    if length is None and response.is_streamed:
        return False
    if current_app.config.get("COMPRESS_HTML") is False and response.mimetype == "text/html":
        return False
    return length is None or MIN_BYTES <= length <= MAX_BYTES


def compress(response: Response) -> Response:
    """Gzip `response` in place when the client and the response allow it (after_request)."""
    if not current_app.config.get("COMPRESS_RESPONSES", True) or response.mimetype not in TEXT_TYPES:
        return response
    response.vary.add("Accept-Encoding")
    if not accepts_gzip() or not _compressible(response):
        return response
    etag, weak = response.get_etag()
    gz_etag = f"{etag}-gz" if etag else None
    if gz_etag and gz_etag in request.if_none_match:
        response.close()
        not_modified = Response(status=304, headers={"Vary": "Accept-Encoding"})
        not_modified.set_etag(gz_etag, weak=weak)
        for name in ("Cache-Control", "Expires", "Last-Modified"):
            if name in response.headers:
                not_modified.headers[name] = response.headers[name]
        return not_modified
    cache = current_app.extensions.setdefault(_KEY, _StaticCache(STATIC_CACHE_SIZE)) \
        if request.endpoint == "static" and etag else None
    body = cache.get(gz_etag) if cache is not None else None
    if body is None:
        source = response.response
        response.direct_passthrough = False  # send_file's file: read it (static files are small)
        data = response.get_data()
        if hasattr(source, "close"):  # reading replaced the file wrapper; close the file now
            source.close()
        if len(data) < MIN_BYTES or len(data) > MAX_BYTES:
            return response
        body = gzip.compress(data, compresslevel=LEVEL, mtime=0)
        if cache is not None:
            cache.put(gz_etag, body)
    else:
        response.close()
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    if gz_etag:
        response.set_etag(gz_etag, weak=weak)
    return response


def init_app(app: Flask) -> None:
    """Compress after every other after_request hook has shaped the response: Flask runs
    them in reverse order of registration, so register this first (in create_app)."""
    app.after_request(compress)
