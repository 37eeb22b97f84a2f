"""Accounts at /admin/users: list, create, edit, role, (de)activate, reset password, CSV import.

The rules (who may manage whom) live in lms.services.user_admin; an account outside a unit
admin's units answers 404, one inside that they may not change (an admin, another unit
admin) answers 403.
"""
from __future__ import annotations

import datetime as dt

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from lms.blueprints.admin import admin_required, bp, flash_refusal
from lms.errors import ValidationFailed
from lms.forms import apply_errors
from lms.forms.admin import ConfirmForm, ImportForm, RoleForm, UserFilterForm, UserForm
from lms.forms.competencies import PositionAssignForm
from lms.i18n import translate
from lms.models import Role
from lms.services import competencies, user_admin, user_import
from lms.services.user_admin import NotAllowed, UserFilters, UserNotFound

#: Passwords shown once must not stay in a browser or proxy cache.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: Problems listed on the import preview; the count says how many more there are.
MAX_PROBLEMS_SHOWN = 500
PREVIEW_ROWS = 20


def _visible(user_id: int):
    try:
        return user_admin.get_visible(current_user, user_id)
    except UserNotFound:
        abort(404)


def _manageable(user_id: int):
    try:
        return user_admin.get_manageable(current_user, user_id)
    except UserNotFound:
        abort(404)
    except NotAllowed:
        abort(403)


# ---------------------------------------------------------------------------- list and detail


@bp.get("/users")
@admin_required
def users():
    form = UserFilterForm(request.args)
    form.fill_choices(user_admin.assignable_units(current_user), list(Role))
    filters = UserFilters()
    if form.validate():
        filters = UserFilters(q=form.q.data or "", unit_id=form.unit_id.data,
                              role=form.role.data or "", status=form.status.data or "")
    page = user_admin.search(current_user, filters, request.args.get("page", 1, type=int))
    return render_template("admin/users.html", form=form, page=page)


@bp.get("/users/<int:user_id>")
@admin_required
def user_detail(user_id: int):
    user = _visible(user_id)
    role_form = RoleForm(formdata=None, role=user.role.value)
    role_form.fill_choices(user_admin.assignable_roles(current_user))
    position_form = PositionAssignForm(formdata=None, position_id=user.position_id)
    position_form.fill(competencies.positions())
    return render_template("admin/users_detail.html", user=user, role_form=role_form,
                           confirm=ConfirmForm(), manageable=user_admin.can_manage(current_user, user),
                           history=user_admin.history(current_user, user), position_form=position_form)


# ---------------------------------------------------------------------------- create and edit


def _user_form(*, creating: bool, obj=None) -> UserForm:
    form = UserForm(obj=obj)
    if obj is not None and not form.is_submitted():
        form.supervisor.data = user_admin.supervisor_ref(obj)
    form.fill_choices(user_admin.assignable_units(current_user),
                      user_admin.assignable_roles(current_user), creating=creating,
                      unit_optional=user_admin.is_admin(current_user))
    return form


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def user_new():
    form = _user_form(creating=True)
    if form.validate_on_submit():
        try:
            user, generated = user_admin.create_user(
                current_user, name=form.name.data, email=form.email.data, nip=form.nip.data,
                unit_id=form.unit_id.data, jabatan=form.jabatan.data, golongan=form.golongan.data,
                role=form.role.data, password=form.password.data,
                supervisor=form.supervisor.data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            if generated:
                return _show_password(user, generated, created=True)
            flash(_("Account created. The person must choose a new password at first sign-in."), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/users_form.html", form=form, user=None), 400 if form.errors else 200


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@admin_required
def user_edit(user_id: int):
    user = _manageable(user_id)
    form = _user_form(creating=False, obj=user)
    if form.validate_on_submit():
        try:
            user_admin.update_user(current_user, user, name=form.name.data, email=form.email.data,
                                   nip=form.nip.data, unit_id=form.unit_id.data,
                                   jabatan=form.jabatan.data, golongan=form.golongan.data,
                                   supervisor=form.supervisor.data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(_("Account saved."), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/users_form.html", form=form, user=user), 400 if form.errors else 200


# ---------------------------------------------------------------------------- one-button changes


@bp.post("/users/<int:user_id>/role")
@admin_required
def user_role(user_id: int):
    user = _manageable(user_id)
    form = RoleForm()
    form.fill_choices(user_admin.assignable_roles(current_user))
    if not form.validate_on_submit():
        flash(_("You cannot grant this role."), "error")
    else:
        try:
            user_admin.change_role(current_user, user, form.role.data)
        except ValidationFailed as exc:
            flash_refusal(exc)
        else:
            flash(_("Role saved."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/<any(deactivate, reactivate):change>")
@admin_required
def user_active(user_id: int, change: str):
    user = _manageable(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        user_admin.set_active(current_user, user, change == "reactivate")
    except ValidationFailed as exc:
        flash_refusal(exc)
    else:
        flash(_("Account reactivated.") if user.active else
              _("Account deactivated: the person can no longer sign in."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/<any(unlock, 'reset-two-factor'):action>")
@admin_required
def user_sign_in_help(user_id: int, action: str):
    """Lift a sign-in lockout, or turn off two-factor for someone who lost phone and codes
    (docs/authentication.md); both are audited."""
    from lms.services import accounts, two_factor

    user = _manageable(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if action == "unlock":
        accounts.unlock(current_user, user)
        flash(_("Account unlocked: the person can sign in again."), "success")
    else:
        two_factor.disable(user, actor=current_user)
        flash(_("Two-factor sign-in turned off for this account."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/reset-password")
@admin_required
def user_reset_password(user_id: int):
    user = _manageable(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _show_password(user, user_admin.reset_password(current_user, user), created=False)


def _show_password(user, password: str, *, created: bool):
    """The one page that shows a generated password; never cached, never flashed (cookie)."""
    html = render_template("admin/users_password.html", user=user, password=password, created=created)
    return Response(html, headers=NO_STORE)


# ---------------------------------------------------------------------------- CSV import


@bp.route("/users/import", methods=["GET", "POST"])
@admin_required
def users_import():
    form = ImportForm()
    form.fill_choices(user_admin.assignable_units(current_user))
    if request.method == "GET":
        return _import_page(form)
    if not form.validate_on_submit():
        return _import_page(form), 400
    if form.confirm.data:
        return _confirm_import(form)
    return _check_import(form)


def _import_page(form: ImportForm, plan=None, *, checked: bool = False):
    problems = [(p.line, p.column, translate(p.message)) for p in (plan.problems if plan else [])
                [:MAX_PROBLEMS_SHOWN + 1]]
    total = len(plan.problems) if plan else 0
    return render_template("admin/users_import.html", form=form, plan=plan, checked=checked,
                           problems=problems[:MAX_PROBLEMS_SHOWN],
                           more_problems=max(0, total - MAX_PROBLEMS_SHOWN),
                           preview=plan.rows[:PREVIEW_ROWS] if plan else [],
                           columns=user_import.COLUMNS, max_size=user_import.max_size_text())


def _check_import(form: ImportForm):
    """The dry run: every problem by line; a clean file waits in storage for the confirmation."""
    upload = form.file.data
    if not upload or not upload.filename:
        form.file.errors = [*form.file.errors, _("Choose a CSV file.")]
        return _import_page(form), 400
    data = upload.stream.read(user_import.max_bytes() + 1)
    plan = user_import.check(data, actor=current_user, unit_default=form.unit_default.data or None)
    if plan.ok:
        form.digest.data = user_import.stash(current_user, data)
        form.filename.data = upload.filename[:200]
    return _import_page(form, plan, checked=True)


def _confirm_import(form: ImportForm):
    """All or nothing: check the stored file again, then create every account or none."""
    data = user_import.unstash(current_user, form.digest.data or "")
    if data is None:
        flash(_("The checked file is no longer available. Check it again."), "error")
        return _import_page(form), 400
    try:
        created, plan = user_import.run(data, actor=current_user,
                                        unit_default=form.unit_default.data or None,
                                        source=form.filename.data or "")
    except user_import.ImportRefused as exc:
        return _import_page(form, user_import.Plan(problems=exc.problems), checked=True), 400
    user_import.drop_stash(current_user)
    flash(ngettext("%(num)d account created. Hand the person their temporary password from the "
                   "downloaded file; they must change it at first sign-in.",
                   "%(num)d accounts created. Hand each person their temporary password from the "
                   "downloaded file; they must change it at first sign-in.", len(created)), "success")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
    return Response(user_import.credentials_csv(created, plan.delimiter), mimetype="text/csv",
                    headers={**NO_STORE,
                             "Content-Disposition": f'attachment; filename="akun-baru-{stamp}.csv"'})
