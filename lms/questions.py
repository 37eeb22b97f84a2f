"""The question-type contract: what a plugin implements to add a new kind of question.

A question is stored as a *definition*: a JSON-able dict whose ``"type"`` names its
question type (see docs/questions.md for every core type's fields). A question type
validates definitions, renders the answer form (never revealing the answer), turns a
submitted form into a *response*, and grades a response as a fraction from 0 to 1.
Register instances through the ``register_question_types`` hook.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from markupsafe import Markup


@dataclass(frozen=True)
class Grade:
    """The result of grading one response."""

    #: 0.0 .. 1.0 of the question's points; None when a person must grade it (essays).
    fraction: float | None
    #: Feedback for the learner on this response (plain text; may be empty).
    feedback: str = ""

    @property
    def needs_grading(self) -> bool:
        return self.fraction is None


def clamp(value: float) -> float:
    """Keep a fraction within 0..1 (negative marks never take a question below zero)."""
    return 0.0 if value < 0 else 1.0 if value > 1 else float(value)


class QuestionType:
    """Base class for question types; subclass and implement every method."""

    #: Value of ``"type"`` in definitions; unique across plugins.
    key: str = ""
    #: Name shown to authors.
    label: str = ""
    #: True when responses are graded by a person (the attempt waits as "needs grading").
    manual: bool = False

    def validate(self, definition: dict) -> list[str]:
        """Problems with a definition (empty when fine); each message names the field."""
        return []

    def render(self, definition: dict, name: str, response, rng: random.Random) -> Markup:
        """The answer inputs for the attempt page.

        :param name: the form-field prefix to use for every input (unique per question).
        :param response: the learner's saved response (to pre-fill), or None.
        :param rng: seeded per attempt and question: use it to shuffle options so a
            reload shows the same order.
        Must not reveal correct answers, fractions or per-answer feedback.
        """
        raise NotImplementedError

    def parse_response(self, definition: dict, form, name: str):
        """Read this question's response from the submitted form (a MultiDict); None if blank.

        Must accept anything a client can send without raising: unknown option ids and
        malformed values are dropped, never trusted.
        """
        raise NotImplementedError

    def grade(self, definition: dict, response) -> Grade:
        """Grade a response (possibly None = unanswered); fraction always within 0..1."""
        raise NotImplementedError

    def correct_response(self, definition: dict):
        """A response that scores 1 (used by review pages and tests); None for essays."""
        raise NotImplementedError

    def describe_answer(self, definition: dict) -> str:
        """The right answer in words, for the review page after submission."""
        return ""

    def from_row(self, cells: dict[str, str]):
        """This type's fields from one spreadsheet row (docs/question-import.md), optional.

        :param cells: the row's cells by column: the standard columns (``text``, ``answer``,
            ``choice_a`` ...) and any other header, lower-cased with ``_`` for spaces.
        :return: ``(fields, problems)``: the type's own definition fields (``id``, ``type``,
            ``text``, ``points`` ... are read by the importer), and ``(column, message)``
            pairs for what is wrong; or None (the default) when the type has no spreadsheet
            form, so its rows are refused with a pointer to YAML.
        """
        return None
