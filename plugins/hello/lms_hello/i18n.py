"""The plugin's own message catalog (gettext domain ``lms_hello``).

The core's catalog covers only ``lms/``, so a plugin ships its translations next to its
code: ``translations/<lang>/LC_MESSAGES/lms_hello.po``, compiled to ``.mo`` by ``make`` (or
``pybabel compile``). Messages are English, like the core's, and shown in the visitor's
language (Indonesian by default). Refresh the catalog from the plugin's folder::

    pybabel extract -F babel.cfg -k _l -k hello_ --no-location --sort-output -o messages.pot .
    pybabel update -D lms_hello -i messages.pot -d lms_hello/translations
    pybabel compile -D lms_hello -d lms_hello/translations
"""
from pathlib import Path

from flask_babel import Domain

domain = Domain(translation_directories=[str(Path(__file__).parent / "translations")],
                domain="lms_hello")

#: Translate now, into the visitor's language (views, and templates as ``hello_``).
_ = domain.gettext
#: Translate when shown (labels made at import time, such as the menu item).
_l = domain.lazy_gettext
