"""The lesson-type contract: what a plugin implements to add a new kind of lesson.

A lesson type turns a manifest entry into stored data once, at import (``prepare``), and
renders it cheaply per request (``render``). Register instances through the
``register_lesson_types`` hook.

A type whose lessons are made of package files (``needs_files = True``, e.g. SCORM) also
has them checked: ``check_files(entry, files)`` runs at every import and editor save, after
``validate``. Types without it are called exactly as before.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from markupsafe import Markup

from lms.packages.manifest import Problem


class Completion:
    """How a lesson of a type becomes complete."""

    #: The learner presses "mark complete".
    MANUAL = "manual"
    #: Opening the lesson completes it.
    VIEW = "view"
    #: The content itself reports completion (SCORM's lesson_status); no button is shown.
    CONTENT = "content"


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
    #: One of Completion.MANUAL, Completion.VIEW or Completion.CONTENT.
    completion: str = Completion.MANUAL
    #: Whether the entry needs a ``file:`` with a body (Markdown lessons do).
    needs_body: bool = False
    #: Whether the lesson is made of the package's files: then ``check_files`` runs.
    needs_files: bool = False

    def validate(self, entry: dict) -> list[str]:
        """Return problems with a manifest entry (empty when fine); messages name the field."""
        return []

    def check_files(self, entry: dict, files: Mapping[str, bytes]) -> list[str | Problem]:
        """Problems with the package files a valid entry names (only if ``needs_files``).

        `files` maps every asset path of the package ("assets/...") to its bytes; reading a
        value may load it, so look up only what you need. A string names a manifest field
        ("path: ..."), reported like ``validate``'s; a ``Problem(file, where, message)``
        names a package file and line, reported as it is. What a lesson needs from its
        files at run time is read from the stored files then (they are immutable).
        """
        return []

    def prepare(self, entry: dict, body: str | None) -> PreparedLesson:
        """Turn a valid entry (and its file's text, if any) into what is stored."""
        return PreparedLesson(data={})

    def render(self, lesson) -> Markup:
        """Return the lesson's HTML for the lesson page; runs per request, so keep it cheap."""
        # bandit B704: sanitized at import (lms.content)
        return Markup(lesson.body_html)  # nosec B704


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


def file_problems(lesson_type: LessonType, entry: dict, files: Mapping[str, bytes] | None,
                  where: str, manifest: str = "course.yaml") -> list[Problem]:
    """``check_files`` as Problems: strings at the manifest's `where`, Problems as given."""
    if not lesson_type.needs_files:
        return []
    found = []
    for item in lesson_type.check_files(entry, files if files is not None else {}):
        found.append(item if isinstance(item, Problem) else Problem(manifest, where, str(item)))
    return found


def require_url(entry: dict, field: str = "url", schemes=("https", "http")) -> list[str]:
    """Validate an absolute http(s) URL in `field`."""
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        return [f"{field}: required"]
    parts = urlsplit(value.strip())
    if parts.scheme not in schemes or not parts.netloc:
        return [f"{field}: must be an absolute {' or '.join(schemes)} URL"]
    return []
