"""Post-training evaluation pages (docs/evaluation.md).

Learners answer at ``/evaluation/...``; authors set up the form and read results under their
course (``/author/courses/<slug>/evaluation``); admins and unit admins read results per unit
under ``/admin/reports/evaluations``. Registered by the builtin plugin lms.builtin.evaluation.
"""
from __future__ import annotations

import csv
import io

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.blueprints.admin import admin_required
from lms.blueprints.author import author_required, authored_course
from lms.database import db
from lms.errors import ValidationFailed
from lms.forms import apply_errors
from lms.forms.evaluation import AnswerForm, NewQuestionForm, QuestionForm, SettingsForm
from lms.forms.reports import UnitFilterForm
from lms.i18n import translate
from lms.models import Course, Role
from lms.reports import xlsx
from lms.reports.csv_cells import safe_cell
from lms.services import admin_enrolment, evaluation, jp_reports
from lms.services.jp_reports import Scope

bp = Blueprint("evaluation", __name__)


# ------------------------------------------------------------------------ learners


def _course_or_404(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    return course


def _errors(exc: ValidationFailed) -> dict[str, str]:
    return {key: translate(message) for key, message in exc.errors.items()}


@bp.route("/evaluation/courses/<slug>", methods=["GET", "POST"])
@login_required
def course_form(slug: str):
    """The end-of-course form of an enrolled learner (404 for anyone else, as for a course
    that does not exist): open once the course is completed, answered once."""
    course = _course_or_404(slug)
    state = evaluation.course_form_state(current_user, course)
    if state.enrollment is None:
        abort(404)
    form, errors, status = AnswerForm(), {}, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if state.responded:
            flash(_("You already sent your feedback on this course. Thank you!"), "info")
            return redirect(url_for("dashboard.index"))
        if not state.open:
            abort(403)
        try:
            evaluation.submit_course(current_user, course, request.form)
        except evaluation.AlreadyResponded:
            flash(_("You already sent your feedback on this course. Thank you!"), "info")
            return redirect(url_for("dashboard.index"))
        except evaluation.NotAvailable:
            abort(403)
        except ValidationFailed as exc:
            errors, status = _errors(exc), 400
        else:
            flash(_("Thank you for your feedback!"), "success")
            return redirect(url_for("dashboard.index"))
    return render_template("evaluation/course_form.html", state=state, form=form, errors=errors,
                           questions=state.settings.questions(), labels=evaluation.SCALE_LABELS,
                           values=request.form), status


@bp.get("/evaluation/follow-ups")
@login_required
def followups():
    """The surveys waiting for the signed-in person: their own and their subordinates'."""
    return render_template("evaluation/followups.html", pending=evaluation.pending_for(current_user),
                           kinds=evaluation.EvaluationKind)


@bp.route("/evaluation/follow-ups/<int:request_id>", methods=["GET", "POST"])
@login_required
def followup(request_id: int):
    """A follow-up survey addressed to the signed-in person (404 for anyone else)."""
    state = evaluation.followup_for(current_user, request_id)
    if state is None:
        abort(404)
    form, errors, status = AnswerForm(), {}, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            evaluation.submit_followup(state, request.form)
        except evaluation.AlreadyResponded:
            flash(_("This survey was already answered. Thank you!"), "info")
            return redirect(url_for("evaluation.followups"))
        except ValidationFailed as exc:
            errors, status = _errors(exc), 400
        else:
            flash(_("Thank you for your answers!"), "success")
            return redirect(url_for("evaluation.followups"))
    return render_template("evaluation/followup.html", state=state, form=form, errors=errors,
                           labels=evaluation.SCALE_LABELS, values=request.form,
                           kinds=evaluation.EvaluationKind), status


# ------------------------------------------------------------------------- authors


def _setup_page(course: Course, settings_form=None, new_form=None, status: int = 200):
    settings = evaluation.settings_for(course.id)
    if settings_form is None:
        settings_form = SettingsForm(formdata=None, enabled=settings.enabled, anonymous=settings.anonymous,
                                     followup_weeks=settings.followup_weeks_setting)
    return render_template("evaluation/setup.html", course=course, settings=settings,
                           settings_form=settings_form, new_form=new_form or NewQuestionForm(formdata=None),
                           question_form=QuestionForm(formdata=None), title=evaluation.course_title(course.id),
                           default_weeks=current_app.config["EVALUATION_FOLLOWUP_WEEKS"]), status


@bp.route("/author/courses/<slug>/evaluation", methods=["GET", "POST"])
@author_required
def setup(slug: str):
    """The course's evaluation settings and questions."""
    course = authored_course(slug)
    if request.method == "GET":
        return _setup_page(course)
    form = SettingsForm()
    if not form.validate_on_submit():
        return _setup_page(course, settings_form=form, status=400)
    try:
        evaluation.update_settings(course, enabled=form.enabled.data, anonymous=form.anonymous.data,
                                   followup_weeks=form.followup_weeks.data)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _setup_page(course, settings_form=form, status=400)
    flash(_("Evaluation settings saved."), "success")
    return redirect(url_for("evaluation.setup", slug=slug))


@bp.post("/author/courses/<slug>/evaluation/questions")
@author_required
def add_question(slug: str):
    course = authored_course(slug)
    form = NewQuestionForm()
    if not form.validate_on_submit():
        return _setup_page(course, new_form=form, status=400)
    try:
        evaluation.add_question(course, kind=form.kind.data, text=form.text.data, required=form.required.data)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _setup_page(course, new_form=form, status=400)
    flash(_("Question added."), "success")
    return redirect(url_for("evaluation.setup", slug=slug, _anchor="questions"))


@bp.post("/author/courses/<slug>/evaluation/questions/<question>")
@author_required
def change_question(slug: str, question: str):
    """Save, move up or down, or delete one question (the button pressed says which)."""
    course = authored_course(slug)
    form = QuestionForm()
    if not form.validate_on_submit():
        for message in [m for messages in form.errors.values() for m in messages]:
            flash(message, "error")
        return _setup_page(course, status=400)
    try:
        if form.action.data == "save":
            evaluation.update_question(course, question, text=form.text.data or "", required=form.required.data)
        elif form.action.data == "delete":
            evaluation.delete_question(course, question)
        else:
            evaluation.move_question(course, question, -1 if form.action.data == "up" else 1)
    except ValidationFailed as exc:
        for message in exc.errors.values():
            flash(translate(message), "error")
        return _setup_page(course, status=400)
    return redirect(url_for("evaluation.setup", slug=slug, _anchor="questions"))


@bp.post("/author/courses/<slug>/evaluation/reset")
@author_required
def reset_questions(slug: str):
    course = authored_course(slug)
    if not AnswerForm().validate_on_submit():
        abort(400)
    evaluation.reset_questions(course)
    flash(_("The default questions are back."), "success")
    return redirect(url_for("evaluation.setup", slug=slug, _anchor="questions"))


@bp.get("/author/courses/<slug>/evaluation/results")
@author_required
def author_results(slug: str):
    course = authored_course(slug)
    result = evaluation.results(course, Scope(None), current_user)
    return render_template("evaluation/results.html", result=result, form=None,
                           export_endpoint="evaluation.author_export", export_args={"slug": slug})


@bp.get("/author/courses/<slug>/evaluation/results.<any(csv, xlsx):fmt>")
@author_required
def author_export(slug: str, fmt: str):
    course = authored_course(slug)
    return _export(evaluation.results(course, Scope(None), current_user), fmt)


# ------------------------------------------------------------- admins, unit admins


def _scope_form() -> tuple[UnitFilterForm, Scope]:
    """The unit filter and the scope it asks for; 404 unknown unit, 403 outside the viewer's."""
    form = UnitFilterForm(request.args)
    form.fill_choices(admin_enrolment.manageable_units(current_user), current_user.role == Role.ADMIN)
    try:
        scope = jp_reports.scope_for(current_user, form.unit.data)
    except jp_reports.UnitNotFound:
        abort(404)
    except jp_reports.OutOfScope:
        abort(403)
    form.unit.data = scope.code or ""
    return form, scope


@bp.get("/admin/reports/evaluations")
@admin_required
def admin_overview():
    """Response rates per course for the people of a unit (a unit admin: their own)."""
    form, scope = _scope_form()
    return render_template("evaluation/overview.html", form=form, scope=scope,
                           courses=evaluation.overview(scope), kinds=list(evaluation.EvaluationKind),
                           labels=evaluation.KIND_LABELS)


@bp.get("/admin/reports/evaluations/<slug>")
@admin_required
def admin_results(slug: str):
    course = _course_or_404(slug)
    form, scope = _scope_form()
    result = evaluation.results(course, scope, current_user)
    args = {"slug": slug, **({"unit": scope.code} if scope.code else {})}
    return render_template("evaluation/results.html", result=result, form=form,
                           export_endpoint="evaluation.admin_export", export_args=args)


@bp.get("/admin/reports/evaluations/<slug>/results.<any(csv, xlsx):fmt>")
@admin_required
def admin_export(slug: str, fmt: str):
    course = _course_or_404(slug)
    _form, scope = _scope_form()
    return _export(evaluation.results(course, scope, current_user), fmt)


def _export(result: evaluation.Results, fmt: str) -> Response:
    """CSV: ``?part=responses`` (default, one row per answer) or ``?part=summary``; XLSX: both
    and the per-unit rates, one sheet each."""
    name = f"evaluasi-{result.course.slug}-{(result.scope.code or 'semua').lower()}"
    if fmt == "xlsx":
        data = xlsx.workbook([xlsx.Sheet(_("Summary"), evaluation.summary_rows(result)),
                              xlsx.Sheet(_("Units"), evaluation.unit_rows(result)),
                              xlsx.Sheet(_("Responses"), list(evaluation.response_rows(result)))])
        return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    part = request.args.get("part", "responses")
    if part not in ("responses", "summary"):
        abort(400)
    rows = evaluation.summary_rows(result) if part == "summary" else evaluation.response_rows(result)
    out = io.StringIO()
    csv.writer(out).writerows([safe_cell(v) for v in row] for row in rows)
    suffix = "-ringkasan" if part == "summary" else ""
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}{suffix}.csv"'})
