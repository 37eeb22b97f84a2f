"""Admin forms for assignments: creating one, filtering the overdue list."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from lms.forms import Form
from lms.models.assignments import NOTE_LENGTH


def _optional_int(value):
    """'' means "none chosen"; anything else must be a number (else: not a valid choice)."""
    return int(value) if value not in (None, "") else None


def _unit_choices(units) -> list[SelectChoice]:
    return [SelectChoice("", "—")] + [SelectChoice(u.id, "\u2003" * u.depth + u.name) for u in units]


class AssignmentForm(Form):
    course_id = SelectField(_l("Course"), coerce=int, validators=[DataRequired()])
    unit_id = SelectField(_l("Assign to a unit"), coerce=_optional_int, validators=[Optional()])
    include_subunits = BooleanField(_l("Include its sub-units"), default=True)
    learners = TextAreaField(_l("Or to these learners (email or NIP, one per line)"),
                             validators=[Optional(), Length(max=20000)])
    due_on = DateField(_l("Due date"), validators=[DataRequired()],
                       description=_l("The last day to complete the course."))
    note = TextAreaField(_l("Note to the learners (optional)"),
                         validators=[Optional(), Length(max=NOTE_LENGTH)])

    def fill_choices(self, courses: list[tuple[int, str]], units) -> None:
        self.course_id.choices = [SelectChoice(cid, title) for cid, title in courses]
        self.unit_id.choices = _unit_choices(units)


class OverdueFilterForm(Form):
    """GET form: no CSRF (it changes nothing)."""

    class Meta:
        csrf = False

    unit = SelectField(_l("Unit (with its sub-units)"), coerce=_optional_int, validators=[Optional()])

    def fill_choices(self, units) -> None:
        self.unit.choices = _unit_choices(units)
