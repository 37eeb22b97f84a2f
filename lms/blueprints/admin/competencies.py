"""Competencies in /admin: the catalogue and positions (admins), a person's position and the
unit gap view with its CSV (unit admins for their subtree, admins for every unit)."""
from __future__ import annotations

import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.access import role_required
from lms.blueprints.admin import admin_required, bp, flash_refusal
from lms.errors import ValidationFailed
from lms.forms import apply_errors
from lms.forms.competencies import LEVELS, CompetencyForm, GapFilterForm, PositionAssignForm, PositionForm
from lms.forms.quizzes import ConfirmForm
from lms.models import Role
from lms.reports.csv_cells import safe_row
from lms.services import competencies, orgs, user_admin

site_admin_required = role_required(Role.ADMIN)


# ---------------------------------------------------------------------------- catalogue


@bp.get("/competencies")
@site_admin_required
def competencies_list():
    return render_template("admin/competencies.html", entries=competencies.catalogue(),
                           positions=competencies.positions(), domains=competencies.SPBE_DOMAINS,
                           aspects=competencies.SPBE_ASPECTS, confirm=ConfirmForm())


@bp.post("/competencies/seed")
@site_admin_required
def competencies_seed():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    added = competencies.seed_standard(current_user)
    flash(_("%(num)d standard competencies added.", num=added), "success")
    return redirect(url_for("admin.competencies_list"))


def _competency_form(entry=None) -> CompetencyForm:
    data = None
    if entry is not None and request.method == "GET":
        data = {"code": entry.code, "name": entry.name, "kind": entry.kind.value,
                "description": entry.description, "spbe_aspect": entry.spbe_aspect or "",
                "spbe_domain": entry.spbe_domain.value if entry.spbe_domain else ""}
    form = CompetencyForm(data=data)
    form.fill(competencies.SPBE_DOMAINS, competencies.SPBE_ASPECTS)
    return form


@bp.route("/competencies/new", methods=["GET", "POST"])
@site_admin_required
def competency_new():
    return _competency_page(None)


@bp.route("/competencies/<int:competency_id>/edit", methods=["GET", "POST"])
@site_admin_required
def competency_edit(competency_id: int):
    entry = competencies.get(competency_id)
    if entry is None:
        abort(404)
    return _competency_page(entry)


def _competency_page(entry):
    form = _competency_form(entry)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                saved = competencies.save(current_user, entry, **form.values())
            except ValidationFailed as exc:
                apply_errors(form, exc)
            else:
                flash(_("Competency %(code)s saved.", code=saved.code), "success")
                return redirect(url_for("admin.competencies_list"))
        return render_template("admin/competency_form.html", form=form, entry=entry), 400
    return render_template("admin/competency_form.html", form=form, entry=entry)


@bp.post("/competencies/<int:competency_id>/delete")
@site_admin_required
def competency_delete(competency_id: int):
    entry = competencies.get(competency_id)
    if entry is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        competencies.delete_competency(current_user, entry)
    except ValidationFailed as exc:
        flash_refusal(exc)
    else:
        flash(_("Competency deleted."), "success")
    return redirect(url_for("admin.competencies_list"))


# ---------------------------------------------------------------------------- positions


@bp.route("/positions/new", methods=["GET", "POST"])
@site_admin_required
def position_new():
    return _position_page(None)


@bp.route("/positions/<int:position_id>/edit", methods=["GET", "POST"])
@site_admin_required
def position_edit(position_id: int):
    position = competencies.get_position(position_id)
    if position is None:
        abort(404)
    return _position_page(position)


def _position_page(position):
    entries = competencies.catalogue()
    data = None
    levels = {r.competency_id: r.level for r in position.requirements} if position else {}
    if position is not None and request.method == "GET":
        data = {"code": position.code, "name": position.name, "description": position.description}
    form = PositionForm(data=data)
    if request.method == "POST":
        levels, wanted, bad = {}, {}, False
        for entry in entries:
            raw = request.form.get(f"level_{entry.id}", "")
            if raw.isdigit() and 1 <= int(raw) <= 5:
                levels[entry.id], wanted[entry.code] = int(raw), int(raw)
            elif raw:
                bad = True
        if bad:
            form.form_errors.append(_("A target level is a whole number from 1 to 5."))
        elif form.validate_on_submit():
            try:
                saved = competencies.save_position(current_user, position, code=form.code.data or "",
                                                   name=form.name.data or "",
                                                   description=form.description.data or "",
                                                   requirements=wanted)
            except ValidationFailed as exc:
                apply_errors(form, exc)
            else:
                flash(_("Position %(code)s saved.", code=saved.code), "success")
                return redirect(url_for("admin.competencies_list") + "#positions")
        return render_template("admin/position_form.html", form=form, position=position, entries=entries,
                               levels=levels, level_choices=LEVELS), 400
    return render_template("admin/position_form.html", form=form, position=position, entries=entries,
                           levels=levels, level_choices=LEVELS)


@bp.post("/positions/<int:position_id>/delete")
@site_admin_required
def position_delete(position_id: int):
    position = competencies.get_position(position_id)
    if position is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    competencies.delete_position(current_user, position)
    flash(_("Position deleted."), "success")
    return redirect(url_for("admin.competencies_list") + "#positions")


@bp.post("/users/<int:user_id>/position")
@admin_required
def user_position(user_id: int):
    """Link a person to a position: whoever may manage the account (unit admins: their subtree)."""
    try:
        user = user_admin.get_manageable(current_user, user_id)
    except user_admin.UserNotFound:
        abort(404)
    except user_admin.NotAllowed:
        abort(403)
    form = PositionAssignForm()
    form.fill(competencies.positions())
    if not form.validate_on_submit():
        flash(_("Choose a position from the list."), "error")
    else:
        position = competencies.get_position(form.position_id.data) if form.position_id.data else None
        competencies.assign_position(current_user, user, position)
        flash(_("Position saved."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


# ------------------------------------------------------------------------------ the gap


def _gap_scope():
    """The unit chosen in ?unit= (must be visible: else 404); None = all (admins) or the unit
    admin's own unit."""
    form = GapFilterForm(request.args)
    units = user_admin.assignable_units(current_user)
    is_admin = user_admin.is_admin(current_user)
    form.fill(units, allow_all=is_admin)
    if not form.validate():
        abort(404 if request.args.get("unit") else 400)
    unit = orgs.get(form.unit.data) if form.unit.data else None
    if form.unit.data and (unit is None or not user_admin.can_see_unit(current_user, unit)):
        abort(404)
    if unit is None and not is_admin:
        unit = current_user.unit
        if unit is None:
            abort(403)
        form.unit.data = unit.id
    return form, unit


@bp.get("/competency-gap")
@admin_required
def competency_gap():
    form, unit = _gap_scope()
    report = competencies.unit_gap(unit, current_user)
    return render_template("admin/competency_gap.html", form=form, report=report, unit=unit,
                           with_gap=[p for p in report.people if p.missing])


@bp.get("/competency-gap.csv")
@admin_required
def competency_gap_csv():
    _form, unit = _gap_scope()
    report = competencies.unit_gap(unit, current_user)
    out = io.StringIO()
    csv.writer(out).writerows(safe_row(row) for row in competencies.csv_rows(report))
    name = f"kesenjangan-kompetensi-{(unit.code if unit else 'semua').lower()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
