"""lms-eoffice: e-office curricula and the `letter` question type for ASN LMS.

Bundled plugin (entry point ``eoffice`` in group ``lms.plugins``), written only against the
public plugin API. It contributes:

* the ``letter`` question type (:mod:`lms_eoffice.question_types`): drafting a naskah dinas,
  graded against required elements with penalties for informal language;
* three course packages in ``curricula/`` (``eoffice-naskah-dinas``,
  ``eoffice-disposisi-dan-arsip``, ``eoffice-tanda-tangan-elektronik``);
* a blueprint (:mod:`lms_eoffice.views`) that ships the question's template
  (``templates/eoffice/letter.html``) and stylesheet (``static/eoffice.css``).

Learner-facing texts come from the plugin's own catalog (:mod:`lms_eoffice.i18n`).
"""
from __future__ import annotations

from pathlib import Path

from lms.plugin import hookimpl
from lms_eoffice.question_types import LetterQuestion
from lms_eoffice.views import bp

__version__ = "0.1.0"

#: The plugin API version this plugin was written for.
lms_api = "1.1"

#: The bundled course packages (lms-course/1 directories), one folder per course slug.
CURRICULA_DIR = Path(__file__).parent / "curricula"


def curricula() -> list[Path]:
    """The bundled course package directories, sorted by slug."""
    return sorted(p for p in CURRICULA_DIR.iterdir() if (p / "course.yaml").is_file())


@hookimpl
def register_question_types():
    return [LetterQuestion()]


@hookimpl
def register_blueprints(app):
    """The ``eoffice`` blueprint: the letter question's template and stylesheet."""
    return [bp]


@hookimpl
def register_curricula():
    """The three e-office courses, installed by ``flask lms install-curricula``."""
    return curricula()
