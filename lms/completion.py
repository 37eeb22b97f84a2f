"""The completion-rule contract: a course is complete when every registered rule is met.

The core rule asks for every required lesson; the quiz engine adds "required quizzes
passed"; plugins add their own through the ``register_completion_rules`` hook.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CompletionState:
    """What a rule may look at, loaded once per evaluation."""

    enrollment: object  # lms.models.Enrollment
    version: object  # lms.models.CourseVersion (published, lessons loaded)
    done_keys: frozenset[str]
    #: Keys of the course's quizzes this learner has passed (by the quiz's grading method).
    passed_quizzes: frozenset[str] = frozenset()


class CompletionRule:
    """Base class; subclass and implement ``is_met``."""

    #: Unique name (prefix plugin rules with the plugin's name).
    key: str = ""
    #: Shown to learners as what is still missing.
    label: str = ""

    def is_met(self, state: CompletionState) -> bool:
        raise NotImplementedError


class RequiredLessons(CompletionRule):
    """Every lesson marked required in the published version is done."""

    key = "required_lessons"
    label = "All required lessons done"

    def is_met(self, state: CompletionState) -> bool:
        required = {lesson.key for lesson in state.version.lessons if lesson.required}
        return required <= state.done_keys


class RequiredQuizzes(CompletionRule):
    """Every quiz marked required in the published version is passed."""

    key = "required_quizzes"
    label = "All required quizzes passed"

    def is_met(self, state: CompletionState) -> bool:
        from lms.services.quizzes import required_quiz_keys

        return required_quiz_keys(state.version) <= state.passed_quizzes
