"""Register, sign in (password, then a second factor if enrolled), sign out, reset and
replace passwords. See docs/authentication.md for lockout, sessions, reset links and 2FA."""
from __future__ import annotations

import time

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from lms.database import db
from lms.errors import ValidationFailed
from lms.forms import apply_errors
from lms.forms.admin import NewPasswordForm
from lms.forms.auth import ForgotPasswordForm, LoginForm, RegisterForm, ResetPasswordForm, TwoFactorCodeForm
from lms.i18n import SESSION_KEY
from lms.models import User
from lms.services import accounts, two_factor
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


#: Pages open to someone whose role needs two-factor sign-in before they have enrolled.
OPEN_WHILE_TWO_FACTOR_PENDING = OPEN_WHILE_PASSWORD_PENDING | {
    "profile.two_factor", "profile.two_factor_qr", "profile.two_factor_disable",
    "profile.two_factor_recovery_codes"}


@bp.before_app_request
def require_two_factor():
    """A signed-in user whose role is in TWO_FACTOR_REQUIRED_ROLES enrols before anything else.

    Reads only the already loaded user: no query. The API keeps its own checks.
    """
    endpoint = request.endpoint or ""
    if endpoint in OPEN_WHILE_TWO_FACTOR_PENDING or endpoint.endswith(".static") \
            or request.path.startswith("/api/"):
        return None
    if current_user.is_authenticated and not current_user.two_factor_enabled \
            and two_factor.required_for(current_user):
        flash(_("Your role requires two-factor sign-in. Set it up to continue."), "info")
        return redirect(url_for("profile.two_factor"))
    return None


#: Session key of a sign-in waiting for its second factor, and how long it may wait.
PENDING_KEY = "two_factor_pending"
PENDING_SECONDS = 300


def _fresh_session() -> None:
    """Drop everything the session held before sign-in (session fixation), except the language.

    The CSRF secret goes too (whoever planted a session knows it) and a new one is made at
    once, so pages opened together right after sign-in share it rather than race for it.
    """
    keep = {key: session[key] for key in (SESSION_KEY,) if key in session}
    session.clear()
    session.update(keep)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    generate_csrf()


def _failed_sign_in() -> str:
    """One answer for every refusal: unknown account, wrong password, locked or deactivated."""
    return _("Wrong email/NIP or password. After several failed attempts the account is locked "
             "for a while: try again later.")


def _finish_sign_in(user: User, remember: bool, target: str | None):
    _fresh_session()
    login_user(user, remember=remember)
    flash(_("Welcome, %(name)s.", name=user.name), "success")
    if user.must_change_password:
        return redirect(url_for("auth.new_password", next=target))
    return redirect(safe_next(target))


def _keep_signed_in(user: User) -> None:
    """After the epoch changed (own password change): other devices are out, this one stays."""
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = accounts.authenticate(form.login.data, form.password.data)
        target = request.args.get("next")
        if user is not None and user.two_factor_enabled:
            _fresh_session()
            session[PENDING_KEY] = {"user": user.id, "epoch": user.session_epoch, "next": target,
                                    "remember": bool(form.remember.data),
                                    "until": int(time.time()) + PENDING_SECONDS}
            return redirect(url_for("auth.two_factor"))
        if user is not None:
            return _finish_sign_in(user, bool(form.remember.data), target)
        flash(_failed_sign_in(), "error")
        status = 401
    elif form.errors:
        status = 400
    return render_template("auth/login.html", form=form), status


def _pending_user() -> tuple[User, dict] | None:
    """The account waiting for its second factor, if the wait is recent and still valid."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or int(pending.get("until", 0)) < time.time():
        return None
    user = db.session.get(User, int(pending.get("user", 0)))
    if user is None or not user.active or not user.two_factor_enabled \
            or user.session_epoch != pending.get("epoch"):
        return None
    return user, pending


@bp.route("/login/two-factor", methods=["GET", "POST"], endpoint="two_factor")
def two_factor_step():
    """Second sign-in step: a TOTP code or a recovery code; failures count toward the lockout."""
    found = _pending_user()
    if found is None:
        session.pop(PENDING_KEY, None)
        flash(_("Your sign-in expired. Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    user, pending = found
    form = TwoFactorCodeForm()
    status = 200
    if form.validate_on_submit():
        if not accounts.is_locked(user) and two_factor.verify(user, form.code.data):
            accounts.login_succeeded(user)
            return _finish_sign_in(user, bool(pending.get("remember")), pending.get("next"))
        if not accounts.is_locked(user):
            accounts.record_failure(user)
        flash(_("Wrong code. After several failed attempts the account is locked for a while: "
                "try again later."), "error")
        status = 401
    elif form.errors:
        status = 400
    return render_template("auth/two_factor.html", form=form), status


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
            _fresh_session()  # as at sign-in: nothing planted before survives (session fixation)
            login_user(user)
            flash(_("Your account is ready. Complete your profile below."), "success")
            return redirect(url_for("profile.edit"))
    status = 400 if form.errors else 200
    return render_template("auth/register.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """Sign out on every device: the account's session epoch changes, so any copy of a
    session or remember-me cookie (another browser, a stolen one) stops working too."""
    accounts.end_sessions(current_user)
    _fresh_session()
    logout_user()  # after clearing: it also asks for the remember-me cookie to be deleted
    flash(_("You are signed out on all your devices."), "info")
    return redirect(url_for("main.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link; the answer never tells whether the account exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.login.data)
        flash(_("If an account with this email or NIP exists, we have sent a link to choose a "
                "new password to its email address. The link is valid for %(minutes)s minutes.",
                minutes=int(current_app.config["PASSWORD_RESET_MAX_AGE"]) // 60), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form), 400 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password through a signed link; it works once and only for a while."""
    user = accounts.user_for_reset_token(token)
    if user is None:
        response = current_app.make_response(
            (render_template("auth/reset_password.html", form=None), 400))
        return _private(response)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(user, form.new_password.data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            _fresh_session()
            if current_user.is_authenticated:
                logout_user()
            flash(_("Your new password is saved. Sign in with it."), "success")
            return redirect(url_for("auth.login"))
    response = current_app.make_response(
        (render_template("auth/reset_password.html", form=form), 400 if form.errors else 200))
    return _private(response)


def _private(response):
    """The reset page's address is a secret: never cached, never sent on as a referrer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


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
            _keep_signed_in(current_user._get_current_object())
            flash(_("Your new password is saved."), "success")
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/new_password.html", form=form), 400 if form.errors else 200
