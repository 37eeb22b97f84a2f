"""Offline bundles: a published version's lessons as one ZIP of static pages, for reading
where the connection is poor or absent.

The bundle is plain HTML and one small stylesheet, no script: ``index.html`` with the outline,
one page per lesson (the stored, sanitised body, sanitised once more), the version's images
and PDFs under ``assets/`` (so the bodies' relative links work unchanged) and, for what cannot
work offline (video, SCORM, quizzes, files over the size budget), a link to the online page.
Quizzes are listed by title only: nothing of their questions or answers is in the bundle.

A published version never changes, so its bundle is built once, on the first download, and
kept in storage under the version id (``offline/<id>-<format>.zip``); later downloads stream
that file. Nothing in it depends on who downloads it (the same file for every learner), and
its texts are in the course's language.
"""
from __future__ import annotations

import hashlib
import io
import logging
import re
import zipfile
from flask import current_app, render_template, url_for
from flask_babel import force_locale
from markupsafe import Markup

from lms.content import sanitize_html
from lms.models import CourseVersion
from lms.services import assets as course_assets
from lms.services.attempts import aware
from lms.services.outline import Outline, OutlineLesson
from lms.services.outline import of_version as outline_of
from lms.storage import storage

log = logging.getLogger(__name__)

#: Bumped when the bundle's layout changes, so bundles built by older code are not served.
FORMAT = 1
#: Asset types copied into the bundle; others (video, audio, SCORM files) stay online.
INCLUDED_TYPES = ("image/", "application/pdf")
#: Default budget for the assets of one bundle (OFFLINE_BUNDLE_MAX_BYTES).
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
#: The stylesheet every page of a bundle links to.
STYLESHEET = "style.css"
#: Every file of a zip gets this time: the same version makes the same bytes.
ZIP_TIME = (2026, 1, 1, 0, 0, 0)
_LINK = re.compile(r'\b(href|src)="([^"]*)"')
_ABSOLUTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.I)


def storage_key(version: CourseVersion) -> str:
    """Where the version's bundle is kept: by version id, and a digest of what else shapes the
    bytes (the publication time, so a reused id never finds an old bundle; the site's address
    in the online links; this code's format)."""
    published = aware(version.published_at).isoformat() if version.published_at else ""
    base = str(current_app.config.get("BASE_URL") or "")
    digest = hashlib.sha256(f"{version.id}|{published}|{base}|{FORMAT}".encode()).hexdigest()[:20]
    return f"offline/{version.id}/{digest}.zip"


def filename(version: CourseVersion) -> str:
    return f"{version.course.slug}-v{version.number}-offline.zip"


def ensure_built(version: CourseVersion) -> str:
    """The storage key of the version's bundle, built and stored on first use (two first
    downloads at once both build it; the atomic write keeps one whole file, the same bytes)."""
    store, key = storage(), storage_key(version)
    if not store.exists(key):
        data = build(version)
        store.write(key, data)
        log.info("offline bundle of %s v%d built: %d bytes", version.course.slug, version.number, len(data))
    return key


def build(version: CourseVersion) -> bytes:
    """The ZIP of a published version (see the module docstring)."""
    outline = outline_of(version.id)
    root = f"{version.course.slug}-v{version.number}/"
    included = _included_assets(version)
    pages = {lesson.key: f"{lesson.index + 1:02d}-{lesson.key}.html" for lesson in outline.lessons}
    online = _online_base(outline)
    out = io.BytesIO()
    with force_locale(version.language or "id"), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        def add(name: str, data: bytes | str, compress: bool = True) -> None:
            info = zipfile.ZipInfo(root + name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            archive.writestr(info, data)

        cover = version.cover_image if version.cover_image in included else None
        left_out = sorted(set(a.path for a in course_assets.of_version(version)) - set(included))
        add("index.html", render_template(
            "offline/index.html", version=version, outline=outline, pages=pages, online=online,
            cover=cover, left_out=left_out))
        for lesson in outline.lessons:
            previous, after = outline.neighbours(lesson)
            add(pages[lesson.key], render_template(
                "offline/lesson.html", version=version, outline=outline, lesson=lesson,
                body=_body(lesson, outline, included, pages, online), online=online,
                previous=previous and pages[previous.key], next=after and pages[after.key],
                quizzes=outline.quizzes_after(lesson)))
        add(STYLESHEET, _stylesheet())
        store = storage()
        for path, asset in included.items():
            data = store.read(course_assets.blob_key(asset.sha256))
            add(path, data, compress=not asset.content_type.startswith(("image/png", "image/jpeg",
                                                                         "image/gif", "image/webp")))
    return out.getvalue()


def _included_assets(version: CourseVersion) -> dict:
    """{path: Asset} of the images and PDFs that fit the budget, smallest first, so one big
    file does not push out many small pictures."""
    budget = int(current_app.config.get("OFFLINE_BUNDLE_MAX_BYTES") or DEFAULT_MAX_BYTES)
    chosen, used = {}, 0
    for asset in sorted(course_assets.of_version(version), key=lambda a: (a.size, a.path)):
        if not asset.content_type.startswith(INCLUDED_TYPES) or used + asset.size > budget:
            continue
        chosen[asset.path] = asset
        used += asset.size
    return dict(sorted(chosen.items()))


def _online_base(outline: Outline) -> str:
    """The course's lesson pages on the site (BASE_URL: the bundle is the same for everyone,
    whichever host name the first download came through)."""
    base = str(current_app.config.get("BASE_URL") or "").rstrip("/")
    return base + url_for("learn.resume", slug=outline.slug)


def _body(lesson: OutlineLesson, outline: Outline, included: dict, pages: dict, online: str) -> Markup:
    """The lesson's content for reading offline; what needs the network becomes a link to it."""
    from lms.builtin.lesson_types import youtube_id

    data = lesson.data if isinstance(lesson.data, dict) else {}
    description = Markup("<p>{}</p>").format(data["description"]) if data.get("description") else Markup("")
    url = str(data.get("url") or "")
    if lesson.type in ("file", "video") and url:
        target = url if not url.startswith("assets/") else (url if url in included else f"{online}/{url}")
        label = (data.get("filename") or url.rsplit("/", 1)[-1]) if lesson.type == "file" else lesson.title
        if lesson.type == "video" and (youtube_id(url) or url.startswith("assets/")):
            return description + _online_note(f"{online}/{lesson.key}")
        return description + Markup('<p><a class="button" href="{}">{}</a></p>').format(
            _rewrite_one(target, included, pages, online), label)
    if lesson.type == "link" and url:
        return description + Markup('<p><a class="button" href="{0}">↗ {0}</a></p>').format(url)
    if lesson.body_html:
        # bandit B704: sanitised HTML whose link targets are only swapped for bundle file names
        return Markup(_rewrite(sanitize_html(lesson.body_html), included, pages, online))  # nosec B704
    return description + _online_note(f"{online}/{lesson.key}")


def _online_note(url: str) -> Markup:
    from flask_babel import gettext as _

    return Markup('<p class="online-only">{} <a href="{}">{}</a></p>').format(
        _("This lesson needs a connection."), url, _("Open it online"))


def _rewrite(html: str, included: dict, pages: dict, online: str) -> str:
    """Point every relative link of a body at something in the bundle, or online."""
    return _LINK.sub(lambda m: f'{m.group(1)}="{_rewrite_one(m.group(2), included, pages, online)}"', html)


def _rewrite_one(target: str, included: dict, pages: dict, online: str) -> str:
    """One href/src: kept if absolute or a file of the bundle; a sibling lesson's key becomes its
    page; anything else relative resolves where it does on the lesson page (online)."""
    if not target or _ABSOLUTE.match(target):
        return target
    path, _sep, rest = target.partition("#")
    path = path.split("?", 1)[0]
    if path in included:
        return target
    if path in pages:
        return pages[path] + ("#" + rest if rest else "")
    return f"{online}/{target}"


def _stylesheet() -> str:
    import os

    with open(os.path.join(current_app.static_folder, "css", "offline.css"), encoding="utf-8") as fh:
        return fh.read()
