"""Forms for authors: grading essays, managing question banks."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DecimalField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from lms.forms import Form


class GradeForm(Form):
    """Marks for one essay, as a percentage of the question's points."""

    percent = DecimalField(_l("Mark (percent of the points)"), places=1,
                           validators=[InputRequired(), NumberRange(0, 100)])
    feedback = TextAreaField(_l("Feedback for the learner"), validators=[Optional(), Length(max=5000)])


class QuestionImportForm(Form):
    file = FileField(_l("Question file (.gift or .yaml)"), validators=[FileRequired()])
    quiz = SelectField(_l("Also add to quiz"), validators=[Optional()])

    def fill_quizzes(self, quizzes) -> None:
        self.quiz.choices = [SelectChoice("", "—")] + [SelectChoice(q.key, q.title) for q in quizzes]


class QuestionEditForm(Form):
    definition = TextAreaField(_l("Question (YAML)"), validators=[InputRequired(), Length(max=200_000)])


class ConfirmForm(Form):
    """A button that changes something: only its CSRF token matters."""


class PackageUploadForm(Form):
    package = FileField(_l("Course package (.zip, lms-course/1)"),
                        validators=[FileRequired(), FileAllowed(["zip"], _l("Choose a .zip file."))])
