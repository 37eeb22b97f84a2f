"""The plugin's own message catalog (domain ``lms_eoffice``).

The core's catalog only covers ``lms/``; this plugin ships its translations next to its
code (``translations/<lang>/LC_MESSAGES/lms_eoffice.po``; the compiled ``.mo`` is build
output, made by ``make`` or ``pybabel compile``). Messages are English msgids, like the
core's, shown in the visitor's language (Indonesian by default, English when the visitor
chose it); outside a request (unit tests, CLI) they stay English. Templates translate with
``eoffice_(...)``, which the plugin passes to them. Refresh from the plugin's folder
(``plugins/eoffice``) with::

    pybabel extract -F babel.cfg -k _l -k _ -k _n:1,2 -k eoffice_ --no-location --sort-output \
        --project lms-eoffice --width 100 -o lms_eoffice/translations/lms_eoffice.pot .
    pybabel update -D lms_eoffice --width 100 -i lms_eoffice/translations/lms_eoffice.pot \
        -d lms_eoffice/translations
    pybabel compile -D lms_eoffice -d lms_eoffice/translations
"""
from __future__ import annotations

from pathlib import Path

from flask_babel import Domain

DOMAIN = "lms_eoffice"
TRANSLATIONS = Path(__file__).parent / "translations"

domain = Domain(translation_directories=[str(TRANSLATIONS)], domain=DOMAIN)

#: Translate now (inside a request: into the visitor's language); templates call it eoffice_.
_ = domain.gettext
#: Translate with a plural form.
_n = domain.ngettext
#: Translate when shown (labels defined at import time).
_l = domain.lazy_gettext
