"""Evaluation forms: the author's settings and questions; answers are read by the service
(their fields depend on the course's questions), the form object only carries CSRF."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lms.forms import Form


class AnswerForm(Form):
    """CSRF only: the questions are the course's (``q-<key>`` fields)."""


class SettingsForm(Form):
    enabled = BooleanField(_l("Ask for an evaluation of this course"))
    anonymous = BooleanField(_l("Anonymous: store answers without names; results only in aggregate"))
    followup_weeks = IntegerField(
        _l("Follow-up survey after (weeks)"), validators=[Optional(), NumberRange(0, 104)],
        description=_l("Empty: the site default. 0: no follow-up survey."))


class NewQuestionForm(Form):
    kind = SelectField(_l("Answer type"), choices=[SelectChoice("likert", _l("Likert scale 1–5")),
                                                   SelectChoice("text", _l("Free text"))])
    text = TextAreaField(_l("Question"), validators=[DataRequired(), Length(max=500)])
    required = BooleanField(_l("Required"))


class QuestionForm(Form):
    text = TextAreaField(_l("Question"), validators=[Optional(), Length(max=500)])
    required = BooleanField(_l("Required"))
    action = SelectField(choices=[SelectChoice(v, v) for v in ("save", "up", "down", "delete")],
                         validators=[DataRequired()])
