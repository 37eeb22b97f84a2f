"""The plugin's own message catalog (domain ``lms_project_management``).

The core's catalog only covers ``lms/``; this plugin ships its translations next to its
code (``translations/<lang>/LC_MESSAGES/lms_project_management.po``; the compiled ``.mo``
is build output, made by ``make`` or ``pybabel compile``). Messages are English msgids,
like the core's, shown in the visitor's language (Indonesian by default, English when the
visitor chose it); outside a request (unit tests, CLI) they stay English. Templates
translate with ``pm_(...)``, which the plugin passes to them. Refresh from the plugin's
folder (``plugins/project_management``) with::

    pybabel extract -F babel.cfg -k _l -k _ -k _n:1,2 -k pm_ --no-location --sort-output \
        --project lms-project-management --width 100 -o lms_project_management/translations/lms_project_management.pot .
    pybabel update -D lms_project_management --width 100 -i lms_project_management/translations/lms_project_management.pot \
        -d lms_project_management/translations
    pybabel compile -D lms_project_management -d lms_project_management/translations
"""
from __future__ import annotations

from pathlib import Path

from flask_babel import Domain

DOMAIN = "lms_project_management"
TRANSLATIONS = Path(__file__).parent / "translations"

domain = Domain(translation_directories=[str(TRANSLATIONS)], domain=DOMAIN)

#: Translate now (inside a request: into the visitor's language); templates call it pm_.
_ = domain.gettext
#: Translate with a plural form.
_n = domain.ngettext
#: Translate when shown (labels defined at import time).
_l = domain.lazy_gettext
