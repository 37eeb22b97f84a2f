"""Forms for checking credentials, revoking certificates and recording external training."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lms.forms import Form


class CredentialForm(Form):
    document = TextAreaField(_l("Credential (JSON)"), validators=[Optional(), Length(max=1_000_000)])
    file = FileField(_l("Or upload the credential file"), validators=[FileAllowed(["json"])])


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class ExternalTrainingForm(Form):
    """External training (diklat, workshop, seminar) recorded with its evidence."""

    title = StringField(_l("Training"), validators=[DataRequired(), Length(max=200)])
    organiser = StringField(_l("Organiser"), validators=[DataRequired(), Length(max=200)])
    start_on = DateField(_l("From"), validators=[DataRequired()])
    end_on = DateField(_l("To"), validators=[DataRequired()])
    jp = IntegerField(_l("JP"), validators=[DataRequired(), NumberRange(1, 200)])
    competency = SelectField(_l("Competency"), choices=[
        SelectChoice("teknis", _l("Technical")), SelectChoice("manajerial", _l("Managerial")),
        SelectChoice("sosial-kultural", _l("Socio-cultural"))])
    evidence = FileField(_l("Evidence (certificate or letter: PDF, PNG or JPEG)"),
                         validators=[FileRequired()])


class DecisionForm(Form):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
