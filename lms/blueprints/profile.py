"""The learner's own profile: ASN data, language and password."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.errors import ValidationFailed
from lms.forms import apply_errors
from lms.forms import Form
from lms.forms.profile import PasswordForm, ProfileForm, TokenForm
from lms.i18n import SESSION_KEY
from lms.services import accounts, orgs, tokens

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
    return _page(form=form), status


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
    return _page(password_form=form), 400


@bp.post("/tokens")
@login_required
def new_token():
    """Make an API token; its secret is shown on this one answer and never again."""
    form = TokenForm(prefix=TokenForm.PREFIX)
    if form.validate_on_submit():
        try:
            token, secret = tokens.create(current_user, name=form.name.data, write=form.write.data,
                                          days=form.days.data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            return _page(new_secret=secret, new_token=token)
    return _page(token_form=form), 400


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if not Form().validate_on_submit():
        abort(400)
    if not tokens.revoke(current_user, token_id):
        abort(404)
    flash(_("Token revoked: scripts using it are refused from now on."), "success")
    return redirect(url_for("profile.edit", _anchor="tokens"))


def _page(*, form=None, password_form=None, token_form=None, **extra):
    """The profile page with its three forms; the one that was posted keeps its input."""
    if form is None:
        form = ProfileForm(obj=current_user, formdata=None)
        form.fill_choices(orgs.tree())
    return render_template(
        "profile/edit.html", form=form, password_form=password_form or PasswordForm(formdata=None),
        token_form=token_form or TokenForm(formdata=None, prefix=TokenForm.PREFIX), tokens=tokens.of_user(current_user),
        token_active=tokens.is_active, revoke_form=Form(), **extra)
