"""Offline reading: a course's lessons as one ZIP of static pages (lms.services.offline)."""
from __future__ import annotations

import os

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.services import authoring, courses, enrollment, offline
from lms.services.courses import CourseNotFound
from lms.storage import storage

bp = Blueprint("offline", __name__, url_prefix="/learn")


@bp.get("/<slug>/offline.zip")
@login_required
def bundle(slug: str):
    """The published version's bundle, for its enrolled learners and its authors (admins too).

    Streamed from storage; built on the first download of a version. Private to the caller's
    browser cache, revalidated by ETag (the bundle's storage digest).
    """
    try:
        version = courses.published_version(slug, with_lessons=False)
    except CourseNotFound:
        abort(404)
    if not enrollment.is_active(enrollment.get_enrollment(current_user, version.course)) \
            and not authoring.can_author(current_user, version.course):
        flash(_("Enrol in the course to open its lessons."), "info")
        return redirect(url_for("catalog.course", slug=slug))
    key = offline.ensure_built(version)
    etag = key.rsplit("/", 1)[-1].removesuffix(".zip")
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        store = storage()
        with store.open(key) as handle:
            size = os.fstat(handle.fileno()).st_size
        response = Response(_chunks(store, key), mimetype="application/zip", direct_passthrough=True)
        response.content_length = size
        response.headers.set("Content-Disposition", "attachment", filename=offline.filename(version))
    response.set_etag(etag)
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response


def _chunks(store, key: str, size: int = 64 * 1024):
    """The stored file in blocks, opened only when the server starts sending (and closed
    when it is done, or when the client goes away and the generator is closed)."""
    with store.open(key) as handle:
        while block := handle.read(size):
            yield block
