"""Report filters: GET forms (no CSRF: they change nothing), validated like any input."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField
from wtforms.validators import NumberRange, Optional

from lms.forms import Form
from lms.services.jp_reports import FIRST_YEAR, LAST_YEAR


def unit_choices(units, whole_agency: bool) -> list[SelectChoice]:
    """Units by code, indented by depth; admins also get "whole agency" (an empty code)."""
    choices = [SelectChoice("", _l("Whole agency"))] if whole_agency else []
    return choices + [SelectChoice(u.code, "\u2003" * u.depth + u.name) for u in units]


class UnitFilterForm(Form):
    """The unit a report covers. Access is the service's decision (403 outside the subtree),
    not the select's, so a unit admin typing another code is refused, not "invalid"."""

    class Meta:
        csrf = False

    unit = SelectField(_l("Unit"), validators=[Optional()], validate_choice=False)

    def fill_choices(self, units, whole_agency: bool) -> None:
        self.unit.choices = unit_choices(units, whole_agency)


class JpReportForm(UnitFilterForm):
    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(FIRST_YEAR, LAST_YEAR)])
    below = BooleanField(_l("Only people below the target"))
