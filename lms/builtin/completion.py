"""Core completion rule and enrolment check, registered through the public hooks."""
from __future__ import annotations

from lms.completion import RequiredLessons, RequiredQuizzes
from flask_babel import lazy_gettext as _l

from lms.hookspecs import LMS_PLUGIN_API, hookimpl
from lms.plugin import Denial

lms_api = LMS_PLUGIN_API


@hookimpl
def register_completion_rules():
    return [RequiredLessons(), RequiredQuizzes()]


@hookimpl
def check_enrollment(user, course):
    """Deny self-enrolment until every prerequisite course is completed."""
    from lms.services.enrollment import missing_prerequisites

    missing = missing_prerequisites(user, course)
    if missing:
        return Denial(_l("Complete these courses first: %(courses)s",
                         courses=", ".join(title for _slug, title in missing)))
    return None
