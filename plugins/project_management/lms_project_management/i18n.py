"""The plugin's own message catalog (domain ``lms_project_management``).

The core's catalog only covers ``lms/``; this plugin ships its translations next to its
code (``translations/<lang>/LC_MESSAGES/lms_project_management.po`` and the compiled
``.mo``). Messages are English msgids, like the core's; outside a request (unit tests,
CLI) they stay English. Refresh with::

    pybabel extract -F babel.cfg -k _l -k _ -k _n:1,2 --no-location --sort-output \
        -o lms_project_management/translations/lms_project_management.pot .
    pybabel update -D lms_project_management -i lms_project_management/translations/lms_project_management.pot \
        -d lms_project_management/translations
    pybabel compile -D lms_project_management -d lms_project_management/translations
"""
from __future__ import annotations

from pathlib import Path

from flask_babel import Domain

DOMAIN = "lms_project_management"
TRANSLATIONS = Path(__file__).parent / "translations"

domain = Domain(translation_directories=[str(TRANSLATIONS)], domain=DOMAIN)

#: Translate now (inside a request: into the visitor's language).
_ = domain.gettext
#: Translate with a plural form.
_n = domain.ngettext
#: Translate when shown (labels defined at import time).
_l = domain.lazy_gettext
