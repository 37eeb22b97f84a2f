"""Agency administration forms: users, units, CSV import, audit filters.

Choices (units, roles) are filled per request from what the acting admin may use, so a
forged value fails validation before any service runs; services check again anyway.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (EmailField, Field, HiddenField, PasswordField, SelectChoice, SelectField,
                     StringField, SubmitField)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from lms.asn import GOLONGAN, golongan_label
from lms.forms import Form
from lms.forms.auth import valid_nip
from lms.models import UnitKind
from lms.templating import label

#: Words for the kinds of unit (the shared label table has none yet).
UNIT_KINDS = {"instansi": _l("Agency (instansi)"), "opd": _l("Work unit (OPD)"),
              "sub_unit": _l("Sub-unit")}


def _int_or_none(value):
    return int(value) if value not in (None, "") else None


def unit_choices(units, empty: str | None = "—") -> list[SelectChoice]:
    """The unit tree as indented options (parents before children)."""
    first = [SelectChoice("", empty)] if empty is not None else []
    return first + [SelectChoice(u.id, "\u2003" * u.depth + f"{u.name} ({u.code})") for u in units]


def role_choices(roles) -> list[SelectChoice]:
    return [SelectChoice(r.value, label("role", r.value)) for r in roles]


class UserFilterForm(Form):
    """GET filters of the user list: no CSRF (changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    unit_id = SelectField(_l("Unit (with its sub-units)"), coerce=_int_or_none, validators=[Optional()])
    role = SelectField(_l("Role"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()], choices=[
        SelectChoice("", _l("All")), SelectChoice("active", _l("Active")),
        SelectChoice("inactive", _l("Deactivated"))])

    def fill_choices(self, units, roles) -> None:
        self.unit_id.choices = unit_choices(units, _l("All"))
        self.role.choices = [SelectChoice("", _l("All"))] + role_choices(roles)


class UserForm(Form):
    """Create (with role and password) or edit (profile fields only) an account."""

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False),
                                                Length(max=254)])
    nip = StringField(_l("NIP"), validators=[Optional(), Length(max=30), valid_nip],
                      description=_l("Optional for accounts that are not ASN; 18 digits, "
                                     "e.g. 19850312 201001 1 003"))
    unit_id = SelectField(_l("Work unit"), coerce=_int_or_none, validators=[Optional()])
    jabatan = StringField(_l("Position (jabatan)"), validators=[Optional(), Length(max=200)])
    golongan = SelectField(_l("Golongan / pangkat"), validators=[Optional()])
    supervisor = StringField(_l("Direct supervisor (atasan)"), validators=[Optional(), Length(max=254)],
                                 description=_l("NIP or email of the person's direct supervisor; "
                                                "leave empty for none."))
    role = SelectField(_l("Role"))
    password = PasswordField(_l("Initial password"), validators=[Optional(), Length(max=200)],
                             description=_l("Leave empty to generate one; it is shown once. "
                                            "The person must change it at first sign-in."))

    def fill_choices(self, units, roles, *, creating: bool, unit_optional: bool) -> None:
        self.unit_id.choices = unit_choices(units, "—" if unit_optional else None)
        self.golongan.choices = [SelectChoice("", "—")] + [
            SelectChoice(code, golongan_label(code)) for code in GOLONGAN]
        self.role.choices = role_choices(roles)
        if not creating:
            del self.role
            del self.password


class RoleForm(Form):
    role = SelectField(_l("Role"))

    def fill_choices(self, roles) -> None:
        self.role.choices = role_choices(roles)


class ConfirmForm(Form):
    """A button that changes something: only the CSRF token travels."""


class UnitForm(Form):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("Short and unique, e.g. SMG-DISDIK; CSV imports use it."))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    parent_id = SelectField(_l("Parent unit"), coerce=_int_or_none, validators=[Optional()])
    kind = SelectField(_l("Kind"))

    def fill_choices(self, units, may_create_agency: bool) -> None:
        self.parent_id.choices = unit_choices(units, _l("None: a new agency") if may_create_agency else None)
        self.kind.choices = [SelectChoice(k.value, UNIT_KINDS[k.value]) for k in UnitKind
                             if may_create_agency or k != UnitKind.INSTANSI]


class RenameUnitForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class MoveUnitForm(Form):
    parent_id = SelectField(_l("New parent unit"), coerce=_int_or_none, validators=[DataRequired()])

    def fill_choices(self, units) -> None:
        self.parent_id.choices = unit_choices(units)


class IdListField(Field):
    """Checked boxes named alike (``user_ids``) as a list of ints; rendered by the template."""

    def _value(self):
        return ""

    def process_formdata(self, valuelist):
        self.data = []
        try:
            self.data = sorted({int(v) for v in valuelist})
        except ValueError:
            raise ValueError(_l("Invalid selection.")) from None


class MoveUsersForm(Form):
    user_ids = IdListField(_l("People"))
    target_unit_id = SelectField(_l("Move the selected people to"), coerce=_int_or_none,
                                 validators=[DataRequired()])

    def fill_choices(self, units) -> None:
        self.target_unit_id.choices = unit_choices(units)


class ImportForm(Form):
    """Upload a file to check it, then confirm the import of the file just checked.

    The checked file waits in storage; ``digest`` names which one the admin saw, so an
    import never writes a file other than the one previewed.
    """

    file = FileField(_l("CSV file"), description=_l("UTF-8, with a header row; commas or semicolons."))
    digest = HiddenField(validators=[Optional(), Length(max=64)])
    filename = HiddenField(validators=[Optional(), Length(max=200)])
    unit_default = SelectField(_l("Default unit"), validators=[Optional()],
                               description=_l("For rows whose unit code is empty."))
    check = SubmitField(_l("Check the file"))
    confirm = SubmitField(_l("Import"))

    def fill_choices(self, units) -> None:
        self.unit_default.choices = [SelectChoice("", "—")] + [
            SelectChoice(u.code, "\u2003" * u.depth + f"{u.name} ({u.code})") for u in units]


class NewPasswordForm(Form):
    """The password a person chooses after signing in with one an admin gave them."""

    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("Repeat new password"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("Passwords do not match."))])


class AuditFilterForm(Form):
    class Meta:
        csrf = False

    action = StringField(_l("Action starts with"), validators=[Optional(), Length(max=60)])
