"""Forms of the browser course editor.

The forms only turn text into values (numbers, flags, lists); the rules (required fields,
bounds, ids, lesson types, quiz draws) are the import's, applied by
``lms.services.course_editor``, so a value accepted here may still be refused there.
Choice fields therefore do not check their choices themselves.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (BooleanField, FloatField, IntegerField, SelectChoice, SelectField,
                     SelectMultipleField, StringField, SubmitField, TextAreaField)
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from lms.forms import Form
from lms.packages.manifest import COMPETENCIES, GRADING_METHODS, LANGUAGES, REVIEW_OPTIONS
from lms.services.course_editor import TYPE_FIELDS, LessonInput, QuizInput, ScormUpload
from lms.templating import LABELS

LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
KEY_HELP = _l("Lowercase letters, digits, '-' and '_'. It cannot change later: learners' progress is kept by it.")


def _text(value) -> str:
    return (value or "").strip()


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes: usable on a phone, unlike a multiple select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CourseForm(Form):
    title = StringField(_l("Title"))
    summary = TextAreaField(_l("Summary"))
    language = SelectField(_l("Language"), validate_choice=False,
                           choices=[SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES])
    jp = IntegerField(_l("JP (lesson hours credited on completion)"))
    competency = SelectField(_l("Competency"), validate_choice=False,
                             choices=[SelectChoice(kind, LABELS["competency"][kind]) for kind in COMPETENCIES])
    category = StringField(_l("Category"), description=_l("Optional; a short name such as pelayanan-publik."))
    tags = MultiCheckboxField(_l("Competencies trained"), validate_choice=False,
                              description=_l("From the competency catalogue; the gap view recommends the course for them."))
    spbe_domain = SelectField(_l("SPBE domain"), validate_choice=False,
                              description=_l("For digital-service (SPBE) content; optional."))
    certificate_months = IntegerField(_l("Certificate valid for (months)"), validators=[Optional()],
                                      description=_l("Optional; empty: certificates never expire."))

    def entry(self) -> dict:
        """The manifest fields this form stands for."""
        return {"title": _text(self.title.data), "summary": _text(self.summary.data),
                "language": self.language.data, "jp": self.jp.data, "competency": self.competency.data,
                "category": _text(self.category.data),
                "competencies": list(self.tags.data or []), "spbe_domain": self.spbe_domain.data or None,
                "certificate": {"valid_for_months": self.certificate_months.data}}


class SectionForm(Form):
    title = StringField(_l("Section title"))


class MoveForm(Form):
    """The up and down buttons of the outline: two submit buttons named "direction"."""

    direction = SelectField(choices=[SelectChoice("up", "up"), SelectChoice("down", "down")])

    def step(self) -> int:
        return -1 if self.direction.data == "up" else 1


class LessonForm(Form):
    key = StringField(_l("Id"), description=KEY_HELP)
    title = StringField(_l("Title"))
    type = SelectField(_l("Type"), validate_choice=False)
    section = SelectField(_l("Section"), coerce=int, validate_choice=False)
    required = BooleanField(_l("Required for completion"), default=True)
    body = TextAreaField(_l("Text (Markdown)"))
    url = StringField(_l("Address (URL)"), description=_l("For video, file and link lessons."))
    filename = StringField(_l("File name shown"), description=_l("For file lessons; optional."))
    description = TextAreaField(_l("Description"), description=_l("For video, file and link lessons; optional."))
    tags = MultiCheckboxField(_l("Competencies trained"), validate_choice=False,
                              description=_l("Only when the lesson trains more than the course's competencies."))
    spbe_domain = SelectField(_l("SPBE domain"), validate_choice=False)
    save = SubmitField(_l("Save"))
    preview = SubmitField(_l("Preview"))

    def fill(self, lesson_types, sections) -> None:
        self.type.choices = [SelectChoice(t.key, str(t.label or t.key)) for t in lesson_types]
        self.section.choices = [SelectChoice(i, s.title) for i, s in enumerate(sections)]

    def load(self, lesson, section: int) -> None:
        """Show a stored lesson (GET)."""
        self.title.data, self.type.data, self.section.data = lesson.title, lesson.type, section
        self.required.data, self.body.data = lesson.required, lesson.source or ""
        self.spbe_domain.data = lesson.spbe_domain.value if lesson.spbe_domain else ""
        for name in TYPE_FIELDS:
            self[name].data = str(lesson.data.get(name) or "")

    def lesson_input(self) -> LessonInput:
        section = self.section.data if isinstance(self.section.data, int) else -1
        return LessonInput(title=_text(self.title.data), type=self.type.data or "", required=bool(self.required.data),
                           section=section, body=self.body.data or "",
                           fields={name: self[name].data for name in TYPE_FIELDS},
                           competencies=list(self.tags.data or []), spbe_domain=self.spbe_domain.data or None)


class QuizForm(Form):
    key = StringField(_l("Id"), description=KEY_HELP)
    title = StringField(_l("Title"))
    section = SelectField(_l("Section"), coerce=int, validate_choice=False)
    required = BooleanField(_l("Must be passed to complete the course"), default=True)
    pass_mark = FloatField(_l("Pass mark (percent of the points)"), validators=[Optional()], default=70)
    time_limit = IntegerField(_l("Time limit (minutes)"), validators=[Optional()],
                              description=_l("Empty: no time limit."))
    attempts = IntegerField(_l("Attempts allowed"), validators=[Optional()], description=_l("Empty: unlimited."))
    delay = IntegerField(_l("Minutes to wait between attempts"), validators=[Optional()], default=0)
    grading = SelectField(_l("Which attempt counts"), validate_choice=False,
                          choices=[SelectChoice(m, LABELS["grading"][m]) for m in GRADING_METHODS])
    shuffle = BooleanField(_l("Shuffle the questions"))
    shuffle_options = BooleanField(_l("Shuffle the answer options"), default=True)
    questions = MultiCheckboxField(_l("Questions"), validate_choice=False)
    category = StringField(_l("Or use every question of a category"),
                           description=_l("Leave the questions unticked to use a category; empty: the whole bank."))
    draw = IntegerField(_l("Questions drawn per attempt"), validators=[Optional()],
                        description=_l("Empty: every question."))
    review = MultiCheckboxField(_l("After submitting, learners see"), validate_choice=False,
                                choices=[SelectChoice("score", _l("Their score")), SelectChoice("feedback", _l("Feedback")),
                                         SelectChoice("answers", _l("The right answers"))],
                                default=list(REVIEW_OPTIONS))

    def fill(self, questions, sections) -> None:
        self.questions.choices = [SelectChoice(q.key, q.key) for q in questions]
        self.section.choices = [SelectChoice(i, s.title) for i, s in enumerate(sections)]

    def load(self, quiz, section: int) -> None:
        """Show a stored quiz (GET)."""
        self.title.data, self.section.data, self.required.data = quiz.title, section, quiz.required
        self.pass_mark.data, self.time_limit.data = quiz.pass_mark, quiz.time_limit
        self.attempts.data, self.delay.data = quiz.max_attempts, quiz.attempt_delay
        self.grading.data = quiz.grading_method.value
        self.shuffle.data, self.shuffle_options.data = quiz.shuffle_questions, quiz.shuffle_options
        self.questions.data, self.category.data = list(quiz.question_keys), quiz.draw_category
        self.draw.data, self.review.data = quiz.draw_count, list(quiz.review)

    def quiz_input(self) -> QuizInput:
        """The manifest entry (keys as in course.yaml) and the chosen questions."""
        entry = {"title": _text(self.title.data), "required": bool(self.required.data), "pass": self.pass_mark.data,
                 "time_limit": self.time_limit.data, "attempts": self.attempts.data, "delay": self.delay.data,
                 "grading": self.grading.data, "shuffle": bool(self.shuffle.data),
                 "shuffle_options": bool(self.shuffle_options.data), "draw": self.draw.data,
                 "category": _text(self.category.data), "review": list(self.review.data or [])}
        section = self.section.data if isinstance(self.section.data, int) else -1
        return QuizInput({k: v for k, v in entry.items() if v is not None}, list(self.questions.data or []), section)


class ScormForm(Form):
    """A SCORM 1.2 lesson from its zip: added to a section, or a lesson's package replaced."""

    key = StringField(_l("Id"), description=KEY_HELP)
    title = StringField(_l("Title"))
    section = SelectField(_l("Section"), coerce=int, validate_choice=False)
    required = BooleanField(_l("Required for completion"), default=True)
    package = FileField(_l("SCORM 1.2 package (.zip with imsmanifest.xml)"),
                        validators=[FileRequired(), FileAllowed(["zip"], _l("Choose a .zip file."))])
    item = StringField(_l("Item to run (optional)"),
                       description=_l("For a package with several SCOs: the identifier of the item. Empty: the first one."))
    description = TextAreaField(_l("Description"), description=_l("Optional; shown under the lesson."))
    save = SubmitField(_l("Upload and save"))

    def fill(self, sections) -> None:
        self.section.choices = [SelectChoice(i, s.title) for i, s in enumerate(sections)]

    def load(self, lesson, section: int) -> None:
        self.title.data, self.section.data, self.required.data = lesson.title, section, lesson.required
        self.item.data = lesson.data.get("item", "")
        self.description.data = lesson.data.get("description", "")

    def upload(self, max_bytes: int) -> ScormUpload:
        """The form as the service reads it; at most `max_bytes` + 1 of the file are read."""
        stream = self.package.data
        archive = stream.read(max_bytes + 1) if hasattr(stream, "read") else b""
        section = self.section.data if isinstance(self.section.data, int) else -1
        return ScormUpload(title=_text(self.title.data), required=bool(self.required.data), section=section,
                           archive=archive, filename=getattr(stream, "filename", "") or "package.zip",
                           item=_text(self.item.data), description=_text(self.description.data))
