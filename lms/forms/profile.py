"""Profile and password forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from lms.forms import Form
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from lms.asn import GOLONGAN, golongan_label


class ProfileForm(Form):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    golongan = SelectField(_l("Golongan / pangkat"), validators=[Optional()])
    jabatan = StringField(_l("Position (jabatan)"), validators=[Optional(), Length(max=200)])
    unit_id = SelectField(_l("Work unit"), coerce=lambda v: int(v) if v else None,
                          validators=[Optional()])
    locale = SelectField(_l("Language"), choices=[SelectChoice("id", "Bahasa Indonesia"),
                                                  SelectChoice("en", "English")])

    def fill_choices(self, units) -> None:
        """Offer golongan and the unit tree (indented by depth) as choices."""
        self.golongan.choices = [SelectChoice("", "—")] + [
            SelectChoice(code, golongan_label(code)) for code in GOLONGAN]
        self.unit_id.choices = [SelectChoice("", "—")] + [
            SelectChoice(unit.id, "\u2003" * unit.depth + unit.name) for unit in units]


class PasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("Repeat new password"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("Passwords do not match."))])


class TokenForm(Form):
    """A new personal access token for the API."""

    #: The profile page holds three forms; the prefix keeps field names and ids apart.
    PREFIX = "token"

    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)],
                       description=_l("What uses it, e.g. \"SIASN export\"."))
    write = BooleanField(_l("Allow changes (write scope)"))
    days = SelectField(_l("Valid for"), coerce=int, default=90, choices=[
        SelectChoice(7, _l("7 days")), SelectChoice(30, _l("30 days")),
        SelectChoice(90, _l("90 days")), SelectChoice(365, _l("1 year"))])
