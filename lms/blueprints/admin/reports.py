"""Reports for admins (whole agency) and unit admins (their subtree): JP compliance, courses.

Views only parse the filters, resolve the scope (403 outside the viewer's subtree, 404 for an
unknown unit), call lms.services.jp_reports / course_reports and draw; the numbers are
computed by the database (see docs/reports.md).
"""
from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import format_timedelta, gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.blueprints.admin import admin_required, bp
from lms.database import db
from lms.forms.reports import JpReportForm, UnitFilterForm
from lms.models import Course, Role
from lms.reports import svg, xlsx
from lms.services import admin_enrolment, course_reports, jp_reports
from lms.services.jp_reports import JpReport, Scope
from lms.templating import pct


def _scope(code: str | None) -> Scope:
    """The report's scope for the signed-in viewer; 404 unknown unit, 403 outside their units."""
    try:
        return jp_reports.scope_for(current_user, code)
    except jp_reports.UnitNotFound:
        abort(404)
    except jp_reports.OutOfScope:
        abort(403)


def _filter_form(form_class):
    """A report's GET form with the viewer's units as choices, and the scope it asks for."""
    form = form_class(request.args)
    form.fill_choices(admin_enrolment.manageable_units(current_user), current_user.role == Role.ADMIN)
    scope = _scope(form.unit.data)
    form.unit.data = scope.code or ""
    return form, scope


# ---------------------------------------------------------------------- JP report


@bp.get("/reports")
@admin_required
def reports():
    return redirect(url_for("admin.jp_report"))


@bp.get("/reports/jp")
@admin_required
def jp_report():
    form, scope = _filter_form(JpReportForm)
    if not form.validate():
        return render_template("admin/reports_jp.html", form=form, report=None), 400
    report = jp_reports.report(scope, form.year.data or jp_reports.current_year())
    form.year.data = report.year
    sort = request.args.get("sort") if request.args.get("sort") in jp_reports.SORTS else "jp"
    page = jp_reports.people_page(report, sort=sort, page=request.args.get("page", 1, type=int),
                                  below_only=bool(form.below.data))
    return render_template("admin/reports_jp.html", form=form, report=report, page=page, sort=sort,
                           charts=_charts(report), bucket_label=jp_reports.bucket_label,
                           filters=_filters(report, form))


def _filters(report: JpReport, form) -> dict:
    """The query arguments that select this report, for sort, page and export links."""
    args = {"year": report.year}
    if report.scope.code:
        args["unit"] = report.scope.code
    if form.below.data:
        args["below"] = "y"
    return args


def _charts(report: JpReport) -> dict:
    """The distribution chart and, when there are sub-units, the per-unit compliance chart."""
    buckets = [svg.Bar(_("%(range)s JP", range=jp_reports.bucket_label(i)), n)
               for i, n in enumerate(report.total.buckets)]
    charts = {"distribution": svg.column_chart(
        buckets, chart_id="chart-distribution",
        title=_("ASN by JP earned in %(year)d", year=report.year),
        desc=", ".join(f"{b.label}: {b.shown}" for b in buckets))}
    units = [svg.Bar(g.label, g.percent, pct(g.percent)) for g in report.groups if g.people]
    if units:
        charts["units"] = svg.bar_chart(
            units, chart_id="chart-units",
            title=_("Share of ASN who reached %(target)d JP, per unit", target=report.target),
            desc="; ".join(f"{b.label}: {b.shown}" for b in units))
    return charts


def _download_name(report: JpReport, extension: str) -> str:
    return f"jp-{(report.scope.code or 'instansi').lower()}-{report.year}.{extension}"


def _export_report() -> JpReport:
    form, scope = _filter_form(JpReportForm)
    if not form.validate():
        abort(400)
    return jp_reports.report(scope, form.year.data or jp_reports.current_year())


@bp.get("/reports/jp.csv")
@admin_required
def jp_report_csv():
    """``?part=people`` (default: one row per ASN) or ``?part=summary`` (one row per sub-unit)."""
    report = _export_report()
    part = request.args.get("part", "people")
    if part not in ("people", "summary"):
        abort(400)
    if part == "summary":
        rows = jp_reports.summary_rows(report)
    else:
        rows = jp_reports.people_rows(report.scope, report.year, below_only=bool(request.args.get("below")))
    out = io.StringIO()
    csv.writer(out).writerows([_csv_cell(v) for v in row] for row in rows)
    name = _download_name(report, "csv").replace(".csv", "-ringkasan.csv" if part == "summary" else ".csv")
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


def _csv_cell(value):
    """Neutralise spreadsheet formulas in people-controlled text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@bp.get("/reports/jp.xlsx")
@admin_required
def jp_report_xlsx():
    """One workbook: a summary sheet (figures, sub-units, competencies) and a people sheet."""
    report = _export_report()
    facts = [["year", report.year], ["unit_code", report.scope.code or ""], ["unit_name", report.total.label],
             ["target_jp", report.target], ["asn", report.total.people], ["reached", report.total.reached],
             ["percent_reached", report.total.percent], ["jp_total", report.total.jp]]
    summary = jp_reports.summary_rows(report)
    competencies = jp_reports.competency_rows(report)
    rows = [*facts, [], *summary, [], *competencies]
    bold = {len(facts) + 1, len(facts) + len(summary) + 2}
    people = jp_reports.people_rows(report.scope, report.year, below_only=bool(request.args.get("below")))
    data = xlsx.workbook([xlsx.Sheet(_("Summary"), rows, bold), xlsx.Sheet(_("People"), list(people))])
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{_download_name(report, "xlsx")}"'})


# ------------------------------------------------------------------ course reports


def duration(seconds: float | None) -> str:
    """A median time to complete for people: "3 days", "5 hours"; a dash when unknown."""
    if seconds is None:
        return "—"
    return format_timedelta(dt.timedelta(seconds=seconds), threshold=1.5, add_direction=False)


@bp.get("/reports/courses")
@admin_required
def course_report_list():
    form, scope = _filter_form(UnitFilterForm)
    return render_template("admin/reports_courses.html", form=form, scope=scope,
                           courses=course_reports.course_stats(scope), duration=duration)


@bp.get("/reports/courses/<slug>")
@admin_required
def course_report(slug: str):
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    form, scope = _filter_form(UnitFilterForm)
    stats = course_reports.course_stats(scope, course.id)
    if not stats:  # a course without any version has nothing to report
        abort(404)
    return render_template("admin/reports_course.html", form=form, scope=scope, stats=stats[0],
                           units=course_reports.by_unit(scope, course.id),
                           quizzes=course_reports.quizzes(scope, course.id), duration=duration)
