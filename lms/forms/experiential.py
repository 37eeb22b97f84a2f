"""Forms for experiential learning (coaching, magang, ...) and the training-history export."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, DecimalField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lms.forms import Form
from lms.forms.reports import unit_choices
from lms.services import jp_rules
from lms.services.jp_reports import FIRST_YEAR, LAST_YEAR

COMPETENCIES = [SelectChoice("teknis", _l("Technical")), SelectChoice("manajerial", _l("Managerial")),
                SelectChoice("sosial-kultural", _l("Socio-cultural"))]


class ExperientialForm(Form):
    """One piece of experiential learning with its evidence; the JP follow from the rule.

    ``jp`` is accepted in place of ``measure`` (forms from before kinds existed posted the
    JP of external training, the default kind)."""

    kind = SelectField(_l("Kind"), default=jp_rules.EXTERNAL_TRAINING, validators=[DataRequired()])
    title = StringField(_l("Training"), validators=[DataRequired(), Length(max=200)])
    organiser = StringField(_l("Organiser, coach or mentor"), validators=[DataRequired(), Length(max=200)])
    start_on = DateField(_l("From"), validators=[DataRequired()])
    end_on = DateField(_l("To"), validators=[DataRequired()])
    measure = DecimalField(_l("Amount (in the unit of the kind)"), places=2, validators=[Optional()])
    jp = DecimalField(_l("JP"), validators=[Optional()])
    reference_number = StringField(_l("Certificate or letter number"), validators=[Optional(), Length(max=100)])
    competency = SelectField(_l("Competency"), choices=COMPETENCIES)
    evidence = FileField(_l("Evidence (certificate or letter: PDF, PNG or JPEG)"), validators=[FileRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(rule.kind, f"{rule.label} ({rule.unit_label})")
                             for rule in jp_rules.enabled_rules()]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.measure.data is None and self.jp.data is None and not self.measure.errors:
            self.measure.errors = [*self.measure.errors,
                                   _l("Say how much: hours, days, meetings or JP, as the kind says.")]
            valid = False
        return valid

    @property
    def amount(self):
        return self.measure.data if self.measure.data is not None else self.jp.data


class TrainingHistoryForm(Form):
    """GET filters of the training-history export (no CSRF: it changes nothing). A period
    (from/to) wins over the year; access to the unit is the service's decision."""

    class Meta:
        csrf = False

    exporter = SelectField(_l("Exporter"), validators=[Optional()], validate_choice=False)
    format = SelectField(_l("Format"), validators=[Optional()], validate_choice=False)
    unit = SelectField(_l("Unit"), validators=[Optional()], validate_choice=False)
    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(FIRST_YEAR, LAST_YEAR)])
    start_on = DateField(_l("From"), validators=[Optional()])
    end_on = DateField(_l("To"), validators=[Optional()])

    def fill_choices(self, exporters, units, whole_agency: bool) -> None:
        self.exporter.choices = [SelectChoice(e.key, e.label) for e in exporters]
        self.format.choices = sorted({fmt for e in exporters for fmt in e.formats})
        self.unit.choices = unit_choices(units, whole_agency)
