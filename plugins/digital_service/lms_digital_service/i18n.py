"""The plugin's own message catalog (gettext domain ``lms_digital_service``).

The core's catalog only covers ``lms/``; this plugin ships its translations next to its
code (``translations/<lang>/LC_MESSAGES/lms_digital_service.po``; ``make`` compiles the
``.mo``). Messages are English msgids, like the core's; outside a request (CLI) they follow
the default locale. Templates call ``ds_(...)`` (passed in by the views) so the core's
``_`` keeps translating the shared layout. Refresh from ``plugins/digital_service``::

    pybabel extract -F babel.cfg -k _l -k _ -k _n:1,2 -k ds_ --no-location --sort-output \\
        -o lms_digital_service/translations/lms_digital_service.pot .
    pybabel update -D lms_digital_service -i lms_digital_service/translations/lms_digital_service.pot \\
        -d lms_digital_service/translations
    pybabel compile -D lms_digital_service -d lms_digital_service/translations
"""
from __future__ import annotations

from pathlib import Path

from flask_babel import Domain

DOMAIN = "lms_digital_service"
TRANSLATIONS = Path(__file__).parent / "translations"

domain = Domain(translation_directories=[str(TRANSLATIONS)], domain=DOMAIN)

#: Translate now (inside a request: into the visitor's language).
_ = domain.gettext
#: Translate with a plural form.
_n = domain.ngettext
#: Translate when shown (labels defined at import time).
_l = domain.lazy_gettext
