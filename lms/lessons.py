"""The lesson-type contract: what a plugin implements to add a new kind of lesson.

A lesson type turns a manifest entry into stored data once, at import (``prepare``), and
renders it cheaply per request (``render``). Register instances through the
``register_lesson_types`` hook.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from markupsafe import Markup


class Completion:
    """How a lesson of a type becomes complete."""

    #: The learner presses "mark complete".
    MANUAL = "manual"
    #: Opening the lesson completes it.
    VIEW = "view"


@dataclass
class PreparedLesson:
    """What ``LessonType.prepare`` returns: stored on the lesson row."""

    data: dict
    body_html: str = ""
    source: str | None = None


class LessonType:
    """Base class for lesson types; subclass and override what differs."""

    #: Value of ``type:`` in course.yaml; unique across plugins.
    key: str = ""
    #: Name shown to authors (a lazy_gettext string is fine).
    label: str = ""
    #: One of Completion.MANUAL or Completion.VIEW.
    completion: str = Completion.MANUAL
    #: Whether the entry needs a ``file:`` with a body (Markdown lessons do).
    needs_body: bool = False

    def validate(self, entry: dict) -> list[str]:
        """Return problems with a manifest entry (empty when fine); messages name the field."""
        return []

    def prepare(self, entry: dict, body: str | None) -> PreparedLesson:
        """Turn a valid entry (and its file's text, if any) into what is stored."""
        return PreparedLesson(data={})

    def render(self, lesson) -> Markup:
        """Return the lesson's HTML for the lesson page; runs per request, so keep it cheap."""
        return Markup(lesson.body_html)


class UnavailableLesson(LessonType):
    """Stands in for a lesson whose type's plugin is disabled or uninstalled.

    The learner sees a notice instead of an error page and can still mark the lesson done;
    the stored lesson is untouched and shows normally once the plugin is back.
    """

    def __init__(self, key: str):
        self.key = key

    def render(self, lesson) -> Markup:
        from flask_babel import gettext as _

        return Markup('<p class="flash flash-info">{}</p>').format(
            _("This lesson needs a plugin that is not enabled on this site (lesson type %(type)s). "
              "Ask the administrator, or mark it complete to continue.", type=self.key))


def require_url(entry: dict, field: str = "url", schemes=("https", "http")) -> list[str]:
    """Validate an absolute http(s) URL in `field`."""
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        return [f"{field}: required"]
    parts = urlsplit(value.strip())
    if parts.scheme not in schemes or not parts.netloc:
        return [f"{field}: must be an absolute {' or '.join(schemes)} URL"]
    return []
