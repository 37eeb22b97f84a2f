"""Forms for authors grading essays."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from lms.forms import Form


class GradeForm(Form):
    """Marks for one essay, as a percentage of the question's points."""

    percent = DecimalField(_l("Mark (percent of the points)"), places=1,
                           validators=[InputRequired(), NumberRange(0, 100)])
    feedback = TextAreaField(_l("Feedback for the learner"), validators=[Optional(), Length(max=5000)])
