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
