"""Course assets: bytes stored once by content, a row per version and path, served safely.

A package's ``assets/**`` files (already checked by the package readers) are written to
storage under their SHA-256 (``assets/<sha[:2]>/<sha>``), so re-importing a package or
copying a version into a draft stores no byte twice: only ``course_assets`` rows are added.
The rows are committed in the import's own transaction; when that transaction fails, the
blobs this import created are deleted again, so a refused import leaves no file behind.

Serving never trusts the file: the Content-Type is the one decided at import, browsers
may not sniff another, and a sandboxing Content-Security-Policy keeps an SVG (or anything
opened directly) from running script on the LMS's origin.
"""
from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Response, send_file
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from lms.database import db
from lms.models import Asset, CourseVersion
from lms.packages.manifest import CourseSpec, Problem
from lms.storage import storage

log = logging.getLogger(__name__)

#: Content-Type by extension. The readers accept a file only when its bytes are of the
#: type its extension names, so the extension decides the type here.
CONTENT_TYPES = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".svg": "image/svg+xml", ".pdf": "application/pdf",
    ".mp4": "video/mp4", ".m4v": "video/mp4", ".m4a": "audio/mp4", ".webm": "video/webm",
    ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".ogv": "video/ogg",
    ".mp3": "audio/mpeg",
}
#: Shown in the browser rather than downloaded (every allowed type today).
INLINE_TYPES = ("image/", "audio/", "video/", "application/pdf")
#: No script, no plugins, no requests; sandbox gives a directly opened file an opaque origin.
SANDBOX_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"
#: Browsers refuse to run their PDF viewer in a sandboxed document (Chrome blocks the page,
#: Safari shows nothing), so a PDF gets the same policy without `sandbox`.
PDF_CSP = "default-src 'none'; style-src 'unsafe-inline'; object-src 'self'; frame-ancestors 'self'"
#: Public assets (the catalog cover) may be cached by the browser for a while.
PUBLIC_MAX_AGE = 300


@dataclass(frozen=True)
class StoredFile:
    """One asset whose bytes are in storage: what its row records."""

    path: str
    content_type: str
    size: int
    sha256: str


def blob_key(sha256: str) -> str:
    """The storage name of a blob: by content, so equal files share one blob."""
    return f"assets/{sha256[:2]}/{sha256}"


def content_type(path: str) -> str:
    """The type decided at import: media by extension, then the web types SCORM content may
    hold (only accepted inside a SCORM lesson's folder, see lms.scorm.files)."""
    from lms.scorm.files import CONTENT_TYPES as WEB_TYPES

    ext = "." + path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    return CONTENT_TYPES.get(ext) or WEB_TYPES.get(ext, "application/octet-stream")


# ------------------------------------------------------------------------- import


def check(spec: CourseSpec, bodies: dict[str, str], files: dict[str, bytes]) -> list[Problem]:
    """Everything wrong with a version's assets: the files themselves, and references to
    files that are not there (cover, lesson ``url: assets/...``, Markdown links and images).

    The zip reader checks the same; running it again at import covers the folder reader
    and specs built in code, so every stored version only points at files it really has.
    """
    from lms.packages.archive import (Limits, _name_problems, asset_references, asset_url,
                                      package_asset_problems)
    from lms.scorm.files import web_folders

    found = []
    web_content = web_folders(lesson.entry for lesson in spec.lessons())
    for path, content in sorted(files.items()):
        messages = _name_problems(path, Limits.max_path_length)
        if not path.startswith("assets/"):
            messages.append("assets must be under assets/")
        found += [Problem(path, "", m) for m in messages or package_asset_problems(path, content, web_content)]
    if spec.cover and spec.cover.startswith("assets/") and spec.cover not in files:
        found.append(Problem("course.yaml", "cover", f"cover names {spec.cover}, which is not in the package"))
    found += _lesson_file_problems(spec, files)
    for s_index, section in enumerate(spec.sections):
        for l_index, lesson in enumerate(section.lessons):
            target = asset_url(lesson.entry.get("url"))
            if target is not None and target not in files:
                found.append(Problem("course.yaml", f"sections[{s_index}].lessons[{l_index}].url",
                                     f"lesson {lesson.id!r} names {target}, which is not in the package"))
            body = bodies.get(lesson.file or "")
            for line, target in asset_references(body) if body else ():
                if target not in files:
                    found.append(Problem(lesson.file, f"line {line}",
                                         f"refers to {target}, which is not in the package"))
    return found


def _lesson_file_problems(spec: CourseSpec, files: dict[str, bytes]) -> list[Problem]:
    """What lesson types made of package files (``needs_files``, e.g. SCORM) find wrong with
    them; lessons whose entry is already refused by ``validate`` are not looked at again."""
    from lms.lessons import file_problems
    from lms.registry import lesson_types

    registry, found = lesson_types(), []
    for s_index, section in enumerate(spec.sections):
        for l_index, lesson in enumerate(section.lessons):
            lesson_type = registry.get(lesson.type) if lesson.type in registry else None
            if lesson_type is None or not lesson_type.needs_files or lesson_type.validate(lesson.entry):
                continue
            found += file_problems(lesson_type, lesson.entry, files, f"sections[{s_index}].lessons[{l_index}]")
    return found


@contextmanager
def storing(files: dict[str, bytes]) -> Iterator[list[StoredFile]]:
    """Write the blobs of `files`, then run the block that commits their rows.

    If anything in the block fails (or the writing itself), the session is rolled back
    and the blobs this call created are deleted; blobs that already existed stay, since
    other versions use them.
    """
    created: list[str] = []
    try:
        yield [_write(path, data, created) for path, data in sorted(files.items())]
    except BaseException:
        db.session.rollback()
        _discard(created)
        raise


def _write(path: str, data: bytes, created: list[str]) -> StoredFile:
    sha = hashlib.sha256(data).hexdigest()
    key, store = blob_key(sha), storage()
    if not store.exists(key):
        created.append(key)  # before writing: a half-done write is cleaned up too
        store.write(key, bytes(data))
    return StoredFile(path, content_type(path), len(data), sha)


def _discard(keys: list[str]) -> None:
    """Delete blobs a failed import created, unless a committed row already uses one
    (a concurrent import of the same file that succeeded)."""
    if not keys:
        return
    try:
        used = set(db.session.scalars(select(Asset.sha256).where(
            Asset.sha256.in_([key.rsplit("/", 1)[-1] for key in keys]))))
        db.session.rollback()
    except Exception:  # the database is gone too: keeping a blob is safer than losing one
        log.exception("could not check %d new asset blobs after a failed import", len(keys))
        return
    store = storage()
    for key in keys:
        if key.rsplit("/", 1)[-1] not in used:
            store.delete(key)


def add_rows(version: CourseVersion, stored: Iterable[StoredFile]) -> None:
    """Add the version's asset rows to the session (the caller commits)."""
    for item in stored:
        db.session.add(Asset(version=version, path=item.path, content_type=item.content_type,
                             size=item.size, sha256=item.sha256))


def copy_rows(source: CourseVersion, target: CourseVersion) -> None:
    """Give `target` the same assets as `source`: new rows, the same blobs (caller commits)."""
    add_rows(target, [StoredFile(a.path, a.content_type, a.size, a.sha256) for a in of_version(source)])


# ------------------------------------------------------------------------- reading


def of_version(version: CourseVersion) -> list[Asset]:
    return list(db.session.scalars(select(Asset).where(Asset.version_id == version.id).order_by(Asset.path)))


def files_of(version: CourseVersion) -> dict[str, bytes]:
    """path -> bytes of every asset of a version, for export."""
    store = storage()
    return {asset.path: store.read(blob_key(asset.sha256)) for asset in of_version(version)}


def find(version: CourseVersion, path: str) -> Asset | None:
    """The version's asset at a package path; None for unknown or malformed paths (checked
    before the query: a NUL byte, for one, is an error in PostgreSQL, not a miss)."""
    from lms.packages.archive import Limits, _name_problems

    if not path.startswith("assets/") or _name_problems(path, Limits.max_path_length):
        return None
    return db.session.scalar(select(Asset).where(Asset.version_id == version.id, Asset.path == path))


def stored_covers(versions: Iterable[CourseVersion]) -> set[int]:
    """Ids of the versions whose cover is one of their stored assets: one query for a page
    of the catalog (none when no cover names an asset)."""
    wanted = {(v.id, v.cover_image) for v in versions if v.cover_image and v.cover_image.startswith("assets/")}
    if not wanted:
        return set()
    rows = db.session.execute(select(Asset.version_id, Asset.path).where(
        Asset.version_id.in_({version_id for version_id, _ in wanted}),
        Asset.path.in_({path for _, path in wanted})))
    return {version_id for version_id, path in rows if (version_id, path) in wanted}


# ------------------------------------------------------------------------- serving


def send(version: CourseVersion, path: str, *, public: bool = False, policy: str | None = None) -> Response:
    """The response for one asset of `version` (path as in the package: "assets/...").

    Raises NotFound for an unknown path, a traversal attempt or a missing blob. The caller
    decides who may see the version; `public` only changes caching (the catalog cover).
    Supports If-None-Match (ETag = SHA-256, answered 304) and Range (video seeking).
    `policy` replaces the sandboxing Content-Security-Policy and shows the file inline: for
    content meant to run as a page (SCORM lessons, lms.services.scorm), never for others.
    With a CONTENT_ORIGIN, a request on the app's host is answered with a redirect there.
    """
    from lms import content_origin

    asset = find(version, path)
    if asset is None:
        raise NotFound()
    if policy is None and content_origin.origin() and not content_origin.on_content_host():
        # Author files live on the content origin: the caller's access check is done, the
        # token lets the browser fetch this one path there (docs/content-isolation.md).
        return content_origin.asset_redirect(version.id, path, public)
    try:
        data = storage().read(blob_key(asset.sha256))
    except (FileNotFoundError, ValueError):
        log.error("asset blob %s of %s is missing from storage", asset.sha256, asset.path)
        raise NotFound() from None
    inline = policy is not None or asset.content_type.startswith(INLINE_TYPES)
    response = send_file(io.BytesIO(data), mimetype=asset.content_type, as_attachment=not inline,
                         download_name=asset.path.rsplit("/", 1)[-1], etag=asset.sha256, conditional=True)
    _protect(response, asset.content_type, public)
    if policy is not None:
        response.headers["Content-Security-Policy"] = policy
    return response


def _protect(response: Response, mimetype: str, public: bool) -> None:
    """Headers that keep a course file a passive file, whatever its bytes try."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = PDF_CSP if mimetype == "application/pdf" else SANDBOX_CSP
    response.cache_control.no_cache = None
    if public:
        response.cache_control.public = True
        response.cache_control.max_age = PUBLIC_MAX_AGE
    else:
        # Per user (enrolment decides), revalidated each time: a 304 when the ETag matches.
        response.cache_control.private = True
        response.cache_control.no_cache = True
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
