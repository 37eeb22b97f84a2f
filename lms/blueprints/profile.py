"""The learner's own profile: ASN data, language and password."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from werkzeug.security import check_password_hash

from lms.errors import ValidationFailed
from lms.forms import apply_errors
from lms.forms import Form
from lms.forms.auth import TwoFactorCodeForm, TwoFactorConfirmForm, TwoFactorDisableForm
from lms.forms.profile import PasswordForm, ProfileForm, TokenForm
from lms.i18n import SESSION_KEY
from lms.services import accounts, orgs, tokens, two_factor

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
            # The new password ended every session (other devices are out); keep this one.
            remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            login_user(current_user._get_current_object(), remember=remember)
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


# ------------------------------------------------------------------ two-factor sign-in


def _private(response) -> Response:
    """Secrets and recovery codes: never kept in a cache."""
    response = current_app.make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/two-factor", methods=["GET", "POST"], endpoint="two_factor")
@login_required
def two_factor_page():
    """Enrol (scan the QR code, confirm a code: recovery codes shown once), or see the status."""
    if current_user.two_factor_enabled:
        return _private(render_template(
            "profile/two_factor.html", disable_form=TwoFactorDisableForm(prefix="disable"),
            codes_form=TwoFactorCodeForm(prefix="codes"),
            remaining=two_factor.remaining_recovery_codes(current_user)))
    form = TwoFactorConfirmForm()
    status = 200
    if form.validate_on_submit():
        codes = two_factor.confirm(current_user, form.code.data)
        if codes is not None:
            flash(_("Two-factor sign-in is on."), "success")
            return _private(render_template("profile/two_factor_codes.html", codes=codes))
        form.code.errors.append(_("That code is not right. Check that your phone's time is correct and try the newest code."))
    if form.errors:
        status = 400
    secret = two_factor.pending_secret(current_user)
    return _private((render_template("profile/two_factor.html", form=form, secret=secret,
                                     uri=two_factor.provisioning_uri(current_user, secret)), status))


@bp.get("/two-factor/qr.png")
@login_required
def two_factor_qr():
    """The enrolment QR code (the otpauth:// address), while enrolment is pending only."""
    from lms.certificates.pdf import qr_png

    if current_user.two_factor_enabled or not current_user.totp_secret:
        abort(404)
    secret = two_factor.pending_secret(current_user)
    png = qr_png(two_factor.provisioning_uri(current_user, secret), scale=6)
    return _private(Response(png, mimetype="image/png"))


def _proved(form: TwoFactorDisableForm | TwoFactorCodeForm) -> bool:
    """A current code (or recovery code), or for the disable form the password; failures count
    toward the lockout, so a borrowed session cannot guess its way through."""
    code = (form.code.data or "").strip()
    password = getattr(form, "password", None)
    if code and two_factor.verify(current_user, code):
        return True
    if password is not None and password.data and check_password_hash(current_user.password_hash, password.data):
        return True
    accounts.record_failure(current_user)
    return False


@bp.post("/two-factor/disable")
@login_required
def two_factor_disable():
    form = TwoFactorDisableForm(prefix="disable")
    if not current_user.two_factor_enabled:
        return redirect(url_for("profile.two_factor"))
    if form.validate_on_submit() and _proved(form):
        two_factor.disable(current_user)
        flash(_("Two-factor sign-in is off."), "success")
        return redirect(url_for("profile.two_factor"))
    flash(_("Enter a current code or your password to turn two-factor sign-in off."), "error")
    return redirect(url_for("profile.two_factor"))


@bp.post("/two-factor/recovery-codes")
@login_required
def two_factor_recovery_codes():
    """New recovery codes (the old ones stop working), after a current code."""
    form = TwoFactorCodeForm(prefix="codes")
    if not current_user.two_factor_enabled:
        return redirect(url_for("profile.two_factor"))
    if form.validate_on_submit() and _proved(form):
        codes = two_factor.regenerate_recovery_codes(current_user)
        return _private(render_template("profile/two_factor_codes.html", codes=codes))
    flash(_("That code is not right."), "error")
    return redirect(url_for("profile.two_factor"))
