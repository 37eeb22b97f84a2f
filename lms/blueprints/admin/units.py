"""The organisation tree at /admin/units: create, rename, move units; move people between them.

Admins manage the whole tree. Unit admins see their unit and its sub-units, create units
under them, rename or move the units below their own (not their own unit: that belongs to
whoever manages the level above) and move learners and authors between units of their
subtree. A unit outside their subtree answers 404; their own unit's rename/move 403.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from lms.blueprints.admin import admin_required, bp, flash_refusal
from lms.errors import ValidationFailed
from lms.forms import apply_errors
from lms.forms.admin import UNIT_KINDS, MoveUnitForm, MoveUsersForm, RenameUnitForm, UnitForm
from lms.services import orgs, user_admin
from lms.urls import safe_next


def _visible_unit(unit_id: int):
    unit = orgs.get(unit_id)
    if unit is None or not user_admin.can_see_unit(current_user, unit):
        abort(404)
    return unit


def _changeable_unit(unit_id: int):
    unit = _visible_unit(unit_id)
    if not user_admin.can_change_unit(current_user, unit):
        abort(403)
    return unit


@bp.get("/units")
@admin_required
def units():
    units = user_admin.assignable_units(current_user)
    form = UnitForm(formdata=None)
    form.fill_choices(units, user_admin.may_create_agency(current_user))
    return _tree_page(form, units)


@bp.post("/units")
@admin_required
def unit_create():
    units = user_admin.assignable_units(current_user)
    form = UnitForm()
    form.fill_choices(units, user_admin.may_create_agency(current_user))
    if form.validate_on_submit():
        try:
            unit = orgs.create_unit(code=form.code.data, name=form.name.data, kind=form.kind.data,
                                    parent=orgs.get(form.parent_id.data), actor=current_user)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(_("Unit %(code)s created.", code=unit.code), "success")
            return redirect(url_for("admin.units"))
    return _tree_page(form, units), 400


def _tree_page(form: UnitForm, units):
    return render_template("admin/units.html", units=units, form=form, kinds=UNIT_KINDS,
                           counts=user_admin.unit_member_counts(current_user))


@bp.get("/units/<int:unit_id>")
@admin_required
def unit_detail(unit_id: int):
    unit = _visible_unit(unit_id)
    units = user_admin.assignable_units(current_user)
    move_form = MoveUnitForm(formdata=None, parent_id=unit.parent_id)
    move_form.fill_choices([u for u in units if not u.path.startswith(unit.path)])
    people_form = MoveUsersForm(formdata=None)
    people_form.fill_choices(units)
    members = user_admin.users_of_unit(current_user, unit, request.args.get("page", 1, type=int))
    return render_template(
        "admin/units_detail.html", unit=unit, kinds=UNIT_KINDS, members=members,
        children=[u for u in units if u.parent_id == unit.id],
        changeable=user_admin.can_change_unit(current_user, unit),
        rename_form=RenameUnitForm(formdata=None, name=unit.name), move_form=move_form,
        people_form=people_form, manageable={u.id for u in members.items
                                             if user_admin.can_manage(current_user, u)})


@bp.post("/units/<int:unit_id>/rename")
@admin_required
def unit_rename(unit_id: int):
    unit = _changeable_unit(unit_id)
    form = RenameUnitForm()
    if not form.validate_on_submit():
        flash(_("Code and name are required."), "error")
    else:
        try:
            orgs.rename_unit(unit, form.name.data, actor=current_user)
        except ValidationFailed as exc:
            flash_refusal(exc)
        else:
            flash(_("Unit renamed."), "success")
    return redirect(url_for("admin.unit_detail", unit_id=unit.id))


@bp.post("/units/<int:unit_id>/move")
@admin_required
def unit_move(unit_id: int):
    unit = _changeable_unit(unit_id)
    form = MoveUnitForm()
    form.fill_choices(user_admin.assignable_units(current_user))
    if not form.validate_on_submit():
        flash(_("Choose a unit within your units."), "error")
    else:
        try:
            orgs.move_unit(unit, orgs.get(form.parent_id.data), actor=current_user)
        except ValidationFailed as exc:
            flash_refusal(exc)
        else:
            flash(_("Unit moved with all its sub-units."), "success")
    return redirect(url_for("admin.unit_detail", unit_id=unit.id))


@bp.post("/units/move-users")
@admin_required
def units_move_users():
    """Move the checked people to the chosen unit: all of them, or none if one is not yours."""
    form = MoveUsersForm()
    form.fill_choices(user_admin.assignable_units(current_user))
    back = safe_next(request.form.get("next"), "admin.units")
    valid = form.validate_on_submit()
    try:  # the people decide the answer first: someone not theirs is 404/403 whatever the target
        user_admin.movable_users(current_user, form.user_ids.data or [])
        if not valid:
            for errors in form.errors.values():
                for error in errors:
                    flash(str(error), "error")
            return redirect(back)
        moved = user_admin.move_users(current_user, form.user_ids.data or [],
                                      orgs.get(form.target_unit_id.data))
    except user_admin.UserNotFound:
        abort(404)
    except user_admin.NotAllowed:
        abort(403)
    except ValidationFailed as exc:
        flash_refusal(exc)
    else:
        flash(ngettext("%(num)d person moved.", "%(num)d people moved.", moved), "success")
    return redirect(back)
