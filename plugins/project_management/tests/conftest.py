"""Make ``import lms_project_management`` work without installing the plugin, and compile its
message catalog first, as ``make`` or ``pybabel compile`` would."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

PLUGIN_ROOT = Path(__file__).resolve().parent.parent
if str(PLUGIN_ROOT) not in sys.path:
    sys.path.insert(0, str(PLUGIN_ROOT))

TRANSLATIONS = PLUGIN_ROOT / "lms_project_management" / "translations"


@pytest.fixture(scope="session", autouse=True)
def project_management_compiled_catalog():
    """The .mo files are build output (not in git): compile each .po that is newer."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source))
