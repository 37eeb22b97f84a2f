"""Course packages in the browser: upload a zip (with progress), follow its import (a
background job), download a version as one."""
from __future__ import annotations

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.blueprints.author import author_required, authored_course, bp
from lms.forms.quizzes import PackageUploadForm
from lms.packages.archive import Limits
from lms.models import ImportStatus
from lms.services import package_imports, packages
from lms.services.courses import CourseNotFound

#: Header the upload page's script sends: answer a success with JSON instead of a redirect,
#: so the script can show the flash message on the page it navigates to.
PROGRESS_HEADER = "X-Upload-Progress"


@bp.route("/import", methods=["GET", "POST"])
@author_required
def upload():
    """Upload a course package: kept, then checked and imported as a draft by a job."""
    form = PackageUploadForm()
    if form.validate_on_submit():
        data = form.package.data.read(Limits().max_archive_bytes + 1)
        record = package_imports.submit(data, form.package.data.filename or "", current_user)
        target = url_for("author.import_status", uid=record.uid)
        if request.headers.get(PROGRESS_HEADER):
            return jsonify(location=target)
        return redirect(target)
    return render_template("author/upload.html", form=form), 400 if form.errors else 200


@bp.get("/imports/<uid>")
@author_required
def import_status(uid: str):
    """Where an upload goes: waiting (the page refreshes itself), refused (every problem,
    as the upload page used to show them) or done (on to the course, with the news)."""
    record = package_imports.find(uid, current_user)
    if record is None:
        abort(404)
    if _wants_json():
        return jsonify(_status_json(record)), 200
    if record.status == ImportStatus.DONE and record.version is not None:
        version = record.version
        flash(_("%(title)s imported as draft version %(n)d. Check the changes, then publish.",
                title=version.title, n=version.number), "success")
        return redirect(url_for("author.course", slug=version.course.slug))
    if record.status == ImportStatus.FAILED:
        if record.error == "forbidden":
            flash(_("The course %(slug)s belongs to other authors.", slug=record.message), "error")
            return render_template("author/upload.html", form=PackageUploadForm()), 403
        problems = record.problems or [
            _("The server's file storage is full, so the course could not be imported. Please tell "
              "the administrator.") if record.error == "storage_full"
            else _("The import failed on the server. Try again, or ask the administrator.")]
        return render_template("author/problems.html", course=None, problems=problems), 400
    return render_template("author/import_status.html", record=record), 202


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.args.get("format") == "json" or best == "application/json"


def _status_json(record) -> dict:
    location = url_for("author.course", slug=record.version.course.slug) if record.version else None
    return {"status": record.status.value, "filename": record.filename, "problems": record.problems or [],
            "error": record.error or None, "location": location}


@bp.get("/courses/<slug>/versions/<int:number>/package.zip")
@author_required
def export(slug: str, number: int):
    """The version as a lms-course/1 zip: what `flask lms export-course` writes."""
    authored_course(slug)
    try:
        version = packages.find_version(slug, number)
    except CourseNotFound:
        abort(404)
    return Response(packages.export_zip(version), mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{slug}-v{number}.zip"'})
