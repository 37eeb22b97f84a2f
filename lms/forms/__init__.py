"""WTForms per blueprint area; every form carries a CSRF token (Flask-WTF)."""
from __future__ import annotations

from flask_babel import get_translations
from flask_wtf import FlaskForm

from lms.errors import ValidationFailed
from lms.i18n import translate


class _AppTranslations:
    """WTForms' built-in messages through our catalog (WTForms ships no Indonesian)."""

    # Babel's raw catalog, not flask_babel.gettext: WTForms fills in %(max)d itself.
    def gettext(self, string: str) -> str:
        return get_translations().gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ngettext(singular, plural, n)


class Form(FlaskForm):
    """Base form: CSRF from Flask-WTF, validation messages in the visitor's language."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return _AppTranslations()


def apply_errors(form, exc: ValidationFailed) -> None:
    """Show a service's rule violations on the matching fields (or above the form)."""
    for field_name, message in exc.errors.items():
        field = getattr(form, field_name, None)
        if field is None:
            form.form_errors.append(translate(message))
        else:
            field.errors = [*field.errors, translate(message)]
