"""Training-history export (SIASN-shaped and others): the admins' page and download, scoped
like the JP report, and a learner's own history. The file's shape is the exporter plugin's
(``training_history_exporters`` hook); the records are lms.services.training_history's."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user, login_required

from lms.access import role_required
from lms.forms.experiential import TrainingHistoryForm
from lms.models import Role
from lms.services import admin_enrolment, jp_reports, training_history
from lms.services.training_history import ExportError, Period, UnknownExporter

bp = Blueprint("training_history", __name__)


def _form() -> tuple[TrainingHistoryForm, jp_reports.Scope]:
    """The filters with the viewer's choices, and the scope: 404 unknown unit, 403 outside."""
    form = TrainingHistoryForm(request.args)
    form.fill_choices(training_history.exporters(), admin_enrolment.manageable_units(current_user),
                      current_user.role == Role.ADMIN)
    try:
        scope = jp_reports.scope_for(current_user, form.unit.data)
    except jp_reports.UnitNotFound:
        abort(404)
    except jp_reports.OutOfScope:
        abort(403)
    form.unit.data = scope.code or ""
    return form, scope


def _period(form: TrainingHistoryForm) -> Period:
    if form.start_on.data or form.end_on.data:
        start = form.start_on.data or dt.date(form.end_on.data.year, 1, 1)
        end = form.end_on.data or dt.date(start.year, 12, 31)
        return Period.between(start, end)
    return Period.year(form.year.data or jp_reports.current_year())


def _file(data: bytes, media_type: str, name: str) -> Response:
    return Response(data, mimetype=media_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store"})


@bp.get("/admin/reports/training-history")
@role_required(Role.UNIT_ADMIN)
def page():
    form, scope = _form()
    error = None
    count = None
    if not form.validate():
        return render_template("training_history/page.html", form=form, count=None, error=None,
                               exporters=training_history.exporters()), 400
    try:
        period = _period(form)
        count = len(training_history.records(period, scope=scope))
    except ExportError as exc:
        error = exc.message
    form.year.data = form.year.data or jp_reports.current_year()
    return render_template("training_history/page.html", form=form, count=count, error=error,
                           exporters=training_history.exporters()), 400 if error else 200


@bp.get("/admin/reports/training-history/download")
@role_required(Role.UNIT_ADMIN)
def download():
    """The file for the filters: exporter (default the first installed), format, unit, period."""
    form, scope = _form()
    if not form.validate():
        abort(400)
    try:
        data, media_type, name = training_history.export(form.exporter.data, form.format.data,
                                                          _period(form), scope=scope)
    except UnknownExporter:
        abort(404)
    except ExportError:
        abort(400)
    return _file(data, media_type, name)


@bp.get("/me/training-history")
@login_required
def mine():
    """The signed-in person's own approved training history (?exporter, ?format, ?year or
    ?start_on/?end_on)."""
    form = TrainingHistoryForm(request.args)
    if not form.validate():
        abort(400)
    try:
        data, media_type, name = training_history.export(form.exporter.data, form.format.data,
                                                          _period(form), user=current_user)
    except UnknownExporter:
        abort(404)
    except ExportError:
        abort(400)
    return _file(data, media_type, name)
