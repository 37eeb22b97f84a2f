"""Enrolling users or whole units in a course (admins; unit admins in their subtree)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.blueprints.admin import admin_required, bp
from lms.forms.courses import AdminEnrolForm
from lms.services import admin_enrolment, courses
from lms.services.courses import CourseNotFound


@bp.route("/courses/<slug>/enrolments", methods=["GET", "POST"])
@admin_required
def enrolments(slug: str):
    try:
        version = courses.published_version(slug, with_lessons=False)
    except CourseNotFound:
        abort(404)
    units = admin_enrolment.manageable_units(current_user)
    form = AdminEnrolForm()
    form.fill_choices(units)
    if form.validate_on_submit():
        try:
            added = admin_enrolment.enrol(current_user, version.course, form.learners.data or "",
                                          form.unit_id.data, units)
        except admin_enrolment.AdminEnrolError as exc:
            flash(str(exc.message), "error")
        else:
            flash(_("%(n)d learner(s) enrolled.", n=added), "success")
            return redirect(url_for("admin.enrolments", slug=slug))
    page = admin_enrolment.enrolled(current_user, version.course, request.args.get("page", 1, type=int))
    return render_template("admin/enrolments.html", version=version, form=form,
                           page=page), 400 if form.errors else 200
