"""Forms for authors: grading essays, managing question banks."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DecimalField, HiddenField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from lms.forms import Form


class GradeForm(Form):
    """Marks for one essay, as a percentage of the question's points."""

    percent = DecimalField(_l("Mark (percent of the points)"), places=1,
                           validators=[InputRequired(), NumberRange(0, 100)])
    feedback = TextAreaField(_l("Feedback for the learner"), validators=[Optional(), Length(max=5000)])


class QuestionImportForm(Form):
    """Upload a question file: "check" is the dry run, a plain submit imports at once."""

    file = FileField(_l("Question file (GIFT, YAML, Aiken, CSV or XLSX)"), validators=[FileRequired()])
    format = SelectField(_l("Format"), validators=[Optional()], choices=[
        SelectChoice("", _l("By file name")), SelectChoice("gift", "GIFT"), SelectChoice("yaml", "YAML"),
        SelectChoice("aiken", "Aiken"), SelectChoice("csv", "CSV"), SelectChoice("xlsx", "XLSX")])
    quiz = SelectField(_l("Also add to quiz"), validators=[Optional()])
    check = SubmitField(_l("Check the file"))

    def fill_quizzes(self, quizzes) -> None:
        self.quiz.choices = [SelectChoice("", "—")] + [SelectChoice(q.key, q.title) for q in quizzes]


class QuestionImportConfirmForm(Form):
    """Import the file just checked: ``digest`` pins the exact file the author previewed."""

    digest = HiddenField(validators=[Optional(), Length(max=64)])
    filename = HiddenField(validators=[Optional(), Length(max=200)])
    format = HiddenField(validators=[Optional(), Length(max=10)])
    quiz = HiddenField(validators=[Optional(), Length(max=80)])


class QuestionEditForm(Form):
    definition = TextAreaField(_l("Question (YAML)"), validators=[InputRequired(), Length(max=200_000)])


class ConfirmForm(Form):
    """A button that changes something: only its CSRF token matters."""


class PackageUploadForm(Form):
    package = FileField(_l("Course package (.zip, lms-course/1)"),
                        validators=[FileRequired(), FileAllowed(["zip"], _l("Choose a .zip file."))])
