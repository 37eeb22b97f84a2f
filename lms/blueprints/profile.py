"""The learner's own profile: ASN data, language and password."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.errors import ValidationFailed
from lms.forms import apply_errors
from lms.forms.profile import PasswordForm, ProfileForm
from lms.i18n import SESSION_KEY
from lms.services import accounts, orgs

bp = Blueprint("profile", __name__, url_prefix="/profile")


@bp.route("", methods=["GET", "POST"])
@login_required
def edit():
    form = ProfileForm(obj=current_user)
    form.fill_choices(orgs.tree())
    if form.validate_on_submit():
        try:
            accounts.update_profile(current_user, name=form.name.data, golongan=form.golongan.data,
                                    jabatan=form.jabatan.data,
                                    unit_id=form.unit_id.data if current_user.unit_id is None else current_user.unit_id,
                                    locale=form.locale.data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            session[SESSION_KEY] = current_user.locale
            flash(_("Profile saved."), "success")
            return redirect(url_for("profile.edit"))
    status = 400 if form.errors else 200
    return render_template("profile/edit.html", form=form, password_form=PasswordForm(formdata=None)), status


@bp.post("/password")
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.new_password.data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(_("Password changed."), "success")
            return redirect(url_for("profile.edit"))
    profile_form = ProfileForm(obj=current_user, formdata=None)
    profile_form.fill_choices(orgs.tree())
    return render_template("profile/edit.html", form=profile_form, password_form=form), 400
