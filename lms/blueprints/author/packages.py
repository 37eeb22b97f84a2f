"""Course packages in the browser: upload a zip (with progress), download a version as one."""
from __future__ import annotations

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.blueprints.author import author_required, authored_course, bp
from lms.forms.quizzes import PackageUploadForm
from lms.packages.archive import Limits
from lms.services import packages
from lms.services.courses import CourseNotFound, PackageInvalid

#: Header the upload page's script sends: answer a success with JSON instead of a redirect,
#: so the script can show the flash message on the page it navigates to.
PROGRESS_HEADER = "X-Upload-Progress"


@bp.route("/import", methods=["GET", "POST"])
@author_required
def upload():
    """Upload a course package: validated whole, imported as a draft version."""
    form = PackageUploadForm()
    if form.validate_on_submit():
        data = form.package.data.read(Limits().max_archive_bytes + 1)
        try:
            version = packages.import_upload(data, form.package.data.filename or "", current_user)
        except PackageInvalid as exc:
            return render_template("author/problems.html", course=None, problems=exc.problems), 400
        except packages.NotYourCourse as exc:
            flash(_("The course %(slug)s belongs to other authors.", slug=str(exc)), "error")
            return render_template("author/upload.html", form=form), 403
        flash(_("%(title)s imported as draft version %(n)d. Check the changes, then publish.",
                title=version.title, n=version.number), "success")
        target = url_for("author.course", slug=version.course.slug)
        if request.headers.get(PROGRESS_HEADER):
            return jsonify(location=target)
        return redirect(target)
    return render_template("author/upload.html", form=form), 400 if form.errors else 200


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
