"""Assignments with due dates (/admin/assignments): list, create, per-learner status, overdue.

Unit admins see and create assignments only inside their unit's subtree; an assignment
outside it is answered 404, as if it did not exist.
"""
from __future__ import annotations

import re

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.blueprints.admin import admin_required, bp
from lms.forms.assignments import AssignmentForm, OverdueFilterForm
from lms.models import Unit
from lms.services import admin_enrolment, assignments


@bp.get("/assignments")
@admin_required
def assignments_list():
    page = assignments.page(current_user, request.args.get("page", 1, type=int))
    return render_template("admin/assignments.html", page=page)


@bp.route("/assignments/new", methods=["GET", "POST"])
@admin_required
def assignment_new():
    units = admin_enrolment.manageable_units(current_user)
    courses = assignments.published_courses()
    form = AssignmentForm()
    form.fill_choices(courses, units)
    if request.method == "GET" and request.args.get("course", type=int):
        form.course_id.data = request.args.get("course", type=int)
    if form.validate_on_submit():
        try:
            created = assignments.create(
                current_user, course_id=form.course_id.data, due_on=form.due_on.data, units=units,
                unit_id=form.unit_id.data, include_subunits=form.include_subunits.data,
                learners_text=form.learners.data or "", note=form.note.data or "")
        except assignments.AssignmentError as exc:
            form.form_errors.append(str(exc.message))
        else:
            flash(_("Assigned to %(num)d learner(s); %(new)d newly enrolled.",
                    num=created.learners, new=created.enrolled), "success")
            return redirect(url_for("admin.assignment_detail", assignment_id=created.assignment.id))
    failed = request.method == "POST"
    return render_template("admin/assignments_new.html", form=form, has_courses=bool(courses)), \
        400 if failed else 200


@bp.get("/assignments/<int:assignment_id>")
@admin_required
def assignment_detail(assignment_id: int):
    assignment = assignments.get_visible(current_user, assignment_id)
    if assignment is None:
        abort(404)
    state = request.args.get("state") or None
    if state is not None and state not in assignments.STATES:
        abort(400)
    counts, page = assignments.learners(current_user, assignment, state=state,
                                        number=request.args.get("page", 1, type=int))
    title = assignments.course_titles({assignment.course_id})[assignment.course_id][0]
    return render_template("admin/assignments_detail.html", assignment=assignment, title=title,
                           counts=counts, page=page, state=state, states=assignments.STATES)


def _overdue_filter() -> tuple[OverdueFilterForm, Unit | None]:
    """The unit chosen in ?unit=, which must be one the admin manages (else 404)."""
    units = admin_enrolment.manageable_units(current_user)
    form = OverdueFilterForm(request.args)
    form.fill_choices(units)
    if not form.validate():
        abort(404)
    unit = next((u for u in units if u.id == form.unit.data), None)
    return form, unit


@bp.get("/assignments/overdue")
@admin_required
def assignments_overdue():
    form, unit = _overdue_filter()
    page = assignments.overdue_page(current_user, unit, request.args.get("page", 1, type=int))
    return render_template("admin/assignments_overdue.html", form=form, unit=unit, page=page,
                           today=assignments.local_today())


@bp.get("/assignments/overdue.csv")
@admin_required
def assignments_overdue_csv():
    _form, unit = _overdue_filter()
    today = assignments.local_today()
    body = assignments.overdue_csv(current_user, unit, today)
    code = re.sub(r"[^a-z0-9-]+", "", unit.code.lower()) + "-" if unit else ""
    name = f"overdue-{code}{today.isoformat()}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})
