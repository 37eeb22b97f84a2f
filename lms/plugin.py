"""Public helpers for plugin authors: the markers, the API version and contribution types.

Plugins import from here, ``lms.hookspecs`` and ``lms.testing`` only. ``db`` is the
Flask-SQLAlchemy instance: subclass ``db.Model`` for tables (prefix names with the plugin's).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lms.certificates.data import CertificateData
from lms.certificates.pdf import CertificateTemplate
from lms.completion import CompletionRule, CompletionState
from lms.database import db
from lms.exporters import ExportInfo, TrainingExporter, TrainingRecord, safe_cell
from lms.hookspecs import LMS_PLUGIN_API, hookimpl
from lms.jobs import enqueue
from lms.lessons import Completion, LessonType, PreparedLesson
from lms.questions import Grade, QuestionType, clamp

__all__ = ["LMS_PLUGIN_API", "CertificateData", "CertificateTemplate", "Completion", "CompletionRule", "CompletionState", "Denial", "Grade",
           "LessonType", "NavItem", "PeriodicJob", "PreparedLesson", "QuestionType", "clamp", "db", "enqueue",
           "has_job_queue", "hookimpl", "ExportInfo", "TrainingExporter", "TrainingRecord", "safe_cell"]


@dataclass(frozen=True)
class NavItem:
    """A link in the main navigation, returned by the ``nav_items`` hook."""

    #: Text shown; pass a lazy_gettext string so it follows the visitor's language.
    label: str
    #: Flask endpoint, e.g. ``"eoffice.index"``.
    endpoint: str
    #: Lower weights come first; core items use 10-90.
    weight: int = 100
    #: Keyword arguments for url_for.
    url_values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Denial:
    """Returned by ``check_enrollment`` to refuse; `message` is shown to the learner."""

    message: str


@dataclass(frozen=True)
class PeriodicJob:
    """Returned by the ``periodic_jobs`` hook: ``func`` is queued every ``seconds``."""

    #: A module-level function without arguments (it travels to the worker by name).
    func: Callable[[], object]
    seconds: int = 60


def has_job_queue() -> bool:
    """True when jobs wait in a queue for ``flask lms worker`` (LMS_REDIS_URL is set).

    A plugin that also has an in-process path (a thread of its own, a cron command) can use
    the queue when there is one, so no web process does the work.
    """
    from flask import current_app

    from lms import jobs

    return jobs.backend(current_app) == "rq"
