"""Register, log in, log out, and replace a password someone else chose."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from lms.errors import ValidationFailed
from lms.forms import apply_errors
from lms.forms.admin import NewPasswordForm
from lms.forms.auth import LoginForm, RegisterForm
from lms.services import accounts
from lms.urls import safe_next

bp = Blueprint("auth", __name__)

#: Pages open to a person who must still replace their password (the rest lead to the form).
OPEN_WHILE_PASSWORD_PENDING = frozenset({"auth.new_password", "auth.logout", "main.set_language",
                                          "health.healthz", "static"})


@bp.before_app_request
def require_own_password():
    """Until someone replaces a password an admin or an import gave them, pages lead to the form.

    So a temporary password that was printed, mailed or shared in a spreadsheet stops
    working after its first use. Static files and the API (its own authentication) pass.
    """
    endpoint = request.endpoint or ""
    if endpoint in OPEN_WHILE_PASSWORD_PENDING or endpoint.endswith(".static") \
            or request.path.startswith("/api/"):
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.new_password", next=target))
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = accounts.authenticate(form.login.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            if user.must_change_password:
                return redirect(url_for("auth.new_password", next=request.args.get("next")))
            return redirect(safe_next(request.args.get("next")))
        flash(_("Wrong email/NIP or password."), "error")
        status = 401
    elif form.errors:
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/register", methods=["GET", "POST"])
def register():
    if not current_app.config["ALLOW_REGISTRATION"]:
        abort(404)
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_user(name=form.name.data, email=form.email.data,
                                          nip=form.nip.data, password=form.password.data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            login_user(user)
            flash(_("Your account is ready. Complete your profile below."), "success")
            return redirect(url_for("profile.edit"))
    status = 400 if form.errors else 200
    return render_template("auth/register.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/password/new", methods=["GET", "POST"])
@login_required
def new_password():
    """Choose one's own password after signing in with one an admin or an import gave."""
    if not current_user.must_change_password:
        return redirect(safe_next(request.args.get("next")))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_own_password(current_user, form.new_password.data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(_("Your new password is saved."), "success")
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/new_password.html", form=form), 400 if form.errors else 200
