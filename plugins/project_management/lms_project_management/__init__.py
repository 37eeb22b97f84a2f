"""lms-project-management: project management for government work, as a bundled plugin.

Contributes:

* three courses (``curricula/pm-*``, lms-course/1 packages in Indonesian) on planning
  government projects (KAK, scope, WBS, stakeholders), scheduling with the critical path
  method, and controlling projects (S-curve, risks, procurement, change control);
* the ``schedule`` question type (``question_types.py``): the learner computes earliest
  starts, critical tasks and the project duration of a task network, graded with the
  critical path method (``critical_path.py``);
* a blueprint (``views.py``) that ships the question's template
  (``templates/project_management/schedule.html``) and stylesheet
  (``static/project_management.css``).

Texts come from the plugin's own catalog (``i18n.py``, domain ``lms_project_management``).
Written against the public plugin API only (``lms.plugin``, ``lms.hookspecs``).
"""
from __future__ import annotations

from pathlib import Path

from lms.plugin import LMS_PLUGIN_API, hookimpl

from .question_types import ScheduleQuestion
from .views import bp

__version__ = "0.1.0"

#: The plugin API version this plugin was written for.
lms_api = "1.1"

#: The course packages this plugin ships, one folder per course slug.
CURRICULA_DIR = Path(__file__).parent / "curricula"

__all__ = ["CURRICULA_DIR", "LMS_PLUGIN_API", "ScheduleQuestion", "curriculum_dirs", "lms_api",
           "register_blueprints", "register_curricula", "register_question_types"]


def curriculum_dirs() -> list[Path]:
    """The folders of the bundled course packages, sorted by slug."""
    return sorted(p for p in CURRICULA_DIR.iterdir() if (p / "course.yaml").is_file())


@hookimpl
def register_question_types():
    """The ``schedule`` question type."""
    return [ScheduleQuestion()]


@hookimpl
def register_blueprints(app):
    """The ``project_management`` blueprint: the schedule question's template and stylesheet."""
    return [bp]


@hookimpl
def register_curricula():
    """The three project-management courses, installed by ``flask lms install-curricula``."""
    return curriculum_dirs()
