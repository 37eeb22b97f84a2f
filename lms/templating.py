"""Template globals: language, role names and error texts in the visitor's language."""
from __future__ import annotations

import datetime as dt

from flask import Flask
from flask_babel import format_date, format_datetime, get_locale, lazy_gettext as _l
from flask_wtf.csrf import CSRFError

#: Words for stored values, per kind, in the visitor's language: ``label("role", "admin")``.
LABELS = {
    "role": {"learner": _l("Learner"), "author": _l("Author"), "unit_admin": _l("Unit administrator"),
             "admin": _l("Administrator")},
    "competency": {"teknis": _l("Technical"), "manajerial": _l("Managerial"),
                   "sosial-kultural": _l("Socio-cultural")},
    "enrolment": {"active": _l("Enrolled"), "completed": _l("Completed"), "withdrawn": _l("Left")},
    "grading": {"highest": _l("Highest attempt"), "last": _l("Last attempt"),
                "average": _l("Average of attempts")},
    "attempt": {"open": _l("In progress"), "graded": _l("Graded"),
                "needs_grading": _l("Waiting for grading")},
    "version": {"draft": _l("Draft"), "published": _l("Published"), "superseded": _l("Superseded")},
    "jp_source": {"course": _l("Course"), "external": _l("External training")},
    "jp_status": {"pending": _l("Waiting for approval"), "approved": _l("Approved"),
                  "rejected": _l("Rejected")},
    # What a new version changes in a course, a lesson, a quiz or a question.
    "change": {"title": _l("title"), "summary": _l("summary"), "language": _l("language"),
               "jp": _l("JP"), "competency": _l("competency"), "category_id": _l("category"),
               "cover_image": _l("cover"), "certificate_validity_months": _l("certificate validity"),
               "type": _l("type"), "required": _l("required"),
               "content": _l("content"), "section": _l("section"), "pass_mark": _l("pass mark"),
               "time_limit": _l("time limit"), "max_attempts": _l("attempts allowed"),
               "attempt_delay": _l("delay between attempts"), "grading_method": _l("grading"),
               "shuffle_questions": _l("question order"), "shuffle_options": _l("option order"),
               "draw_count": _l("questions drawn"), "draw_category": _l("category drawn from"),
               "question_keys": _l("questions"), "review": _l("review options"),
               "category": _l("category"), "points": _l("points"), "definition": _l("question text or answers")},
}


def label(kind: str, value) -> str:
    """The word for a stored value (an enum member or its string); the value itself if unknown."""
    key = getattr(value, "value", value)
    return LABELS[kind].get(key, key)


ERROR_TITLES = {
    400: _l("Bad request"), 401: _l("Sign in required"), 403: _l("Forbidden"),
    404: _l("Not found"), 405: _l("Method not allowed"), 413: _l("Upload too large"),
    429: _l("Too many requests"), 500: _l("Server error"), 503: _l("Service unavailable"),
    507: _l("Storage full"),
}

ERROR_TEXTS = {
    403: _l("You do not have access to this page."),
    404: _l("The page you asked for does not exist or was moved."),
    413: _l("The file you sent is larger than this site accepts."),
    500: _l("Something went wrong on our side. Please try again in a moment."),
    503: _l("The database cannot be reached at the moment, so your request could not be "
            "completed. Please try again in a minute."),
    507: _l("The server's file storage is full, so your file was not saved. Please tell the "
            "administrator."),
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
    app.jinja_env.filters["label_change"] = lambda value: label("change", value)
    app.jinja_env.globals.update(
        current_locale=lambda: str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"]),
        error_title=lambda code: ERROR_TITLES.get(code, ""),
        error_text=error_text,
        label=label,
        format_date=format_date,
        format_datetime=format_datetime,
        iso_utc=iso_utc,
        today_year=lambda: dt.date.today().year,
    )


def precompile_templates(app: Flask) -> int:
    """Compile every template the app can find (core and plugins) into Jinja's cache, once,
    in the process that forks the workers: no worker compiles one on a learner's request.
    Returns how many were compiled; a template that does not compile is left for the page
    that uses it to report."""
    compiled = 0
    env = app.jinja_env
    if env.cache is None:  # auto_reload off and no cache: nothing would be kept
        return 0
    with app.app_context():
        for name in env.list_templates(filter_func=lambda n: n.endswith((".html", ".txt", ".svg", ".xml"))):
            try:
                env.get_template(name)
                compiled += 1
            except Exception:  # noqa: BLE001 - reported by the page that renders it
                continue
    return compiled
