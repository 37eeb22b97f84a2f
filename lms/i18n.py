"""Languages: Indonesian by default, English on request, remembered per user or session."""
from __future__ import annotations

from flask import Flask, current_app, has_request_context, session
from flask_babel import Babel
from flask_login import current_user

babel = Babel()

#: Session key holding an anonymous visitor's language choice.
SESSION_KEY = "lang"


def N_(message: str) -> str:
    """Mark a message for extraction without translating it (pure modules use this)."""
    return message


def select_locale() -> str:
    """Pick the user's saved language, then the session's, then the default (id)."""
    if not has_request_context():  # CLI commands and background jobs speak the default
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    user_locale = getattr(current_user, "locale", None)
    for choice in (user_locale, session.get(SESSION_KEY)):
        if choice in languages:
            return choice
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with the locale selector."""
    babel.init_app(app, locale_selector=select_locale)


class Message(str):
    """An untranslated msgid with its %-parameters, translated where it is shown."""

    def __new__(cls, msgid: str, **params):
        obj = super().__new__(cls, msgid)
        obj.params = params
        return obj


def translate(message: str) -> str:
    """Translate a msgid (or Message) produced by a pure module into the visitor's language."""
    from flask_babel import gettext

    return gettext(str(message), **getattr(message, "params", {}))
