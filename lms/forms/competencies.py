"""Forms of the competency catalogue, positions (jabatan), a person's position and the gap view.

The forms read text into values; the rules (codes, unknown competencies, levels) are
lms.services.competencies', which reports every problem at once.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from lms.forms import Form

KIND_CHOICES = [("teknis", _l("Technical")), ("manajerial", _l("Managerial")),
                ("sosial-kultural", _l("Socio-cultural"))]
LEVELS = [SelectChoice("", "—")] + [SelectChoice(str(n), str(n)) for n in range(1, 6)]


def _int_or_none(value):
    return int(value) if value not in (None, "") else None


class CompetencyForm(Form):
    code = StringField(_l("Code"), validators=[Length(max=40)],
                       description=_l("Lowercase letters, digits, '.', '-' and '_'; course packages name it."))
    name = StringField(_l("Name"), validators=[Length(max=200)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(v, t) for v, t in KIND_CHOICES])
    spbe_domain = SelectField(_l("SPBE domain"), validate_choice=False)
    spbe_aspect = SelectField(_l("SPBE aspect"), validate_choice=False)
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])

    def fill(self, domains, aspects) -> None:
        """`domains`: {code: name}; `aspects`: {code: (domain, name)}."""
        self.spbe_domain.choices = [SelectChoice("", "—")] + [SelectChoice(c, n) for c, n in domains.items()]
        self.spbe_aspect.choices = [SelectChoice("", "—")] + [
            SelectChoice(c, f"{domains[d]}: {n}") for c, (d, n) in aspects.items()]

    def values(self) -> dict:
        return {"code": self.code.data or "", "name": self.name.data or "", "kind": self.kind.data or "",
                "description": self.description.data or "", "spbe_domain": self.spbe_domain.data or "",
                "spbe_aspect": self.spbe_aspect.data or ""}


class PositionForm(Form):
    """A position and, per competency of the catalogue, an optional target level (level_<id>)."""

    code = StringField(_l("Code"), validators=[Length(max=40)],
                       description=_l("Short and unique, e.g. PRANATA-KOMPUTER-AHLI-PERTAMA; the user CSV names it."))
    name = StringField(_l("Name"), validators=[Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])


class PositionAssignForm(Form):
    position_id = SelectField(_l("Position in the competency catalogue"), coerce=_int_or_none,
                              validators=[Optional()])

    def fill(self, positions) -> None:
        self.position_id.choices = [SelectChoice("", "—")] + [
            SelectChoice(p.id, f"{p.name} ({p.code})") for p in positions]


class GapFilterForm(Form):
    """GET filter of the unit gap view: no CSRF (it changes nothing)."""

    class Meta:
        csrf = False

    unit = SelectField(_l("Unit (with its sub-units)"), coerce=_int_or_none, validators=[Optional()])

    def fill(self, units, allow_all: bool) -> None:
        first = [SelectChoice("", _l("All units"))] if allow_all else []
        self.unit.choices = first + [SelectChoice(u.id, "\u2003" * u.depth + f"{u.name} ({u.code})")
                                     for u in units]
