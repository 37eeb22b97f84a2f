"""Template globals: language, role names and error texts in the visitor's language."""
from __future__ import annotations

import datetime as dt

from flask import Flask
from flask_babel import format_date, get_locale, lazy_gettext as _l
from flask_wtf.csrf import CSRFError

ROLE_LABELS = {
    "learner": _l("Learner"),
    "author": _l("Author"),
    "unit_admin": _l("Unit administrator"),
    "admin": _l("Administrator"),
}

COMPETENCY_LABELS = {
    "teknis": _l("Technical"),
    "manajerial": _l("Managerial"),
    "sosial-kultural": _l("Socio-cultural"),
}

ENROLMENT_LABELS = {
    "active": _l("Enrolled"),
    "completed": _l("Completed"),
    "withdrawn": _l("Left"),
}

GRADING_LABELS = {
    "highest": _l("Highest attempt"),
    "last": _l("Last attempt"),
    "average": _l("Average of attempts"),
}

ATTEMPT_LABELS = {
    "open": _l("In progress"),
    "graded": _l("Graded"),
    "needs_grading": _l("Waiting for grading"),
}

VERSION_LABELS = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "superseded": _l("Superseded"),
}

ERROR_TITLES = {
    400: _l("Bad request"), 401: _l("Sign in required"), 403: _l("Forbidden"),
    404: _l("Not found"), 405: _l("Method not allowed"), 413: _l("Upload too large"),
    429: _l("Too many requests"), 500: _l("Server error"), 503: _l("Service unavailable"),
}

ERROR_TEXTS = {
    403: _l("You do not have access to this page."),
    404: _l("The page you asked for does not exist or was moved."),
    413: _l("The file you sent is larger than this site accepts."),
    500: _l("Something went wrong on our side. Please try again in a moment."),
}


def error_text(error) -> str:
    """Explain an HTTP error to a person; CSRF failures get their own hint."""
    if isinstance(error, CSRFError):
        return _l("Your form expired or came from another site. Reload the page and try again.")
    return ERROR_TEXTS.get(error.code, _l("The request could not be completed."))


def iso_utc(moment) -> str:
    """An instant as ISO 8601 in UTC with a Z, for scripts (naive values are UTC already)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds") + "Z"


def pct(value) -> str:
    """A score for people: "50%", "66.7%" (no trailing .0)."""
    return f"{float(value):.1f}".removesuffix(".0") + "%"


def init_app(app: Flask) -> None:
    app.jinja_env.filters["pct"] = pct
    app.jinja_env.globals.update(
        current_locale=lambda: str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"]),
        role_label=lambda role: ROLE_LABELS.get(getattr(role, "value", role), role),
        error_title=lambda code: ERROR_TITLES.get(code, ""),
        error_text=error_text,
        competency_label=lambda kind: COMPETENCY_LABELS.get(getattr(kind, "value", kind), kind),
        enrolment_label=lambda status: ENROLMENT_LABELS.get(status, status),
        format_date=format_date,
        iso_utc=iso_utc,
        grading_label=lambda method: GRADING_LABELS.get(method, method),
        attempt_label=lambda state: ATTEMPT_LABELS.get(state, state),
        version_label=lambda status: VERSION_LABELS.get(status, status),
    )
