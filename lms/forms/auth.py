"""Login and registration forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from lms.forms import Form
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from lms.asn import InvalidNIP, parse_nip
from lms.i18n import translate


def valid_nip(_form, field) -> None:
    """WTForms validator wrapping the pure NIP rules with a translated message."""
    if field.data:
        try:
            parse_nip(field.data)
        except InvalidNIP as exc:
            raise ValidationError(translate(exc.message)) from None


class LoginForm(Form):
    login = StringField(_l("Email or NIP"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in"))


class RegisterForm(Form):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False),
                                                Length(max=254)])
    nip = StringField(_l("NIP"), validators=[DataRequired(), Length(max=30), valid_nip],
                      description=_l("18 digits, e.g. 19850312 201001 1 003"))
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("Repeat password"), validators=[
        DataRequired(), EqualTo("password", message=_l("Passwords do not match."))])


class ForgotPasswordForm(Form):
    login = StringField(_l("Email or NIP"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(Form):
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("Repeat new password"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("Passwords do not match."))])


class TwoFactorCodeForm(Form):
    """A code from the authenticator app (or, at sign-in, a recovery code)."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("6 digits from your authenticator app, or a recovery code."))


class TwoFactorDisableForm(Form):
    """Turning two-factor off needs a current code or the password, so a borrowed session cannot."""

    code = StringField(_l("Code from the app or a recovery code"), validators=[Length(max=40)])
    password = PasswordField(_l("Or your password"), validators=[Length(max=200)])


class TwoFactorConfirmForm(Form):
    """Enrolment: the first code from the app proves it holds the right secret."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("The 6 digits your authenticator app shows now."))
