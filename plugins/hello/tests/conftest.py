"""Compile the plugin's catalog before its tests, as `make` or `pybabel compile` would."""
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[1] / "lms_hello" / "translations"


@pytest.fixture(scope="session", autouse=True)
def compiled_catalog():
    """The .mo files are build output (not in git): compile each .po that is newer."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source))
