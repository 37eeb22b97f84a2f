"""Catalog filters, enrolment and admin enrolment forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from lms.forms import Form


class CatalogFilterForm(Form):
    """GET form: no CSRF (it changes nothing), values validated like any other input."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    competency = SelectField(_l("Competency"), validators=[Optional()], choices=[
        SelectChoice("", _l("All")), SelectChoice("teknis", _l("Technical")),
        SelectChoice("manajerial", _l("Managerial")),
        SelectChoice("sosial-kultural", _l("Socio-cultural"))])
    category = SelectField(_l("Category"), validators=[Optional()])
    language = SelectField(_l("Language"), validators=[Optional()], choices=[
        SelectChoice("", _l("All")), SelectChoice("id", "Bahasa Indonesia"),
        SelectChoice("en", "English")])
    jp_min = IntegerField(_l("JP from"), validators=[Optional(), NumberRange(0, 200)])
    jp_max = IntegerField(_l("JP to"), validators=[Optional(), NumberRange(0, 200)])
    tag = SelectField(_l("Trains the competency"), validators=[Optional()])
    spbe = SelectField(_l("SPBE domain"), validators=[Optional()])

    def fill_choices(self, categories: list[tuple[str, str]], tags: list[tuple[str, str]] = (),
                     domains: list[tuple[str, str]] = ()) -> None:
        """`categories`, `tags` (competency codes), `domains` (SPBE): (value, name) pairs."""
        self.category.choices = [SelectChoice("", _l("All"))] + [
            SelectChoice(slug, name) for slug, name in categories]
        self.tag.choices = [SelectChoice("", _l("All"))] + [SelectChoice(c, n) for c, n in tags]
        self.spbe.choices = [SelectChoice("", _l("All"))] + [SelectChoice(c, n) for c, n in domains]


class EnrolForm(Form):
    key = StringField(_l("Enrolment key"), validators=[Optional(), Length(max=100)])


class AdminEnrolForm(Form):
    learners = TextAreaField(_l("Learners (email or NIP, one per line)"),
                             validators=[Optional(), Length(max=20000)])
    unit_id = SelectField(_l("Or a whole unit (with its sub-units)"),
                          coerce=lambda v: int(v) if v else None, validators=[Optional()])

    def fill_choices(self, units) -> None:
        self.unit_id.choices = [SelectChoice("", "—")] + [
            SelectChoice(u.id, "\u2003" * u.depth + u.name) for u in units]
