"""lms-digital-service: SPBE and digital public-service curricula for ASN LMS.

Bundled plugin (entry point ``digital_service`` in group ``lms.plugins``), written only
against the public plugin API. It contributes three course packages in ``curricula/``
(``ds-pengantar-spbe``, ``ds-desain-layanan-digital``, ``ds-pengaduan-dan-layanan-responsif``).
"""
from __future__ import annotations

from pathlib import Path

from lms.plugin import hookimpl

__version__ = "0.1.0"

#: The plugin API version this plugin was written for.
lms_api = "1.1"

#: The bundled course packages (lms-course/1 folders), one folder per course slug.
CURRICULA_DIR = Path(__file__).parent / "curricula"


def curricula() -> list[Path]:
    """The bundled course package folders, sorted by slug."""
    return sorted(p for p in CURRICULA_DIR.iterdir() if (p / "course.yaml").is_file())


@hookimpl
def register_curricula():
    """The three digital-service courses, installed by ``flask lms install-curricula``."""
    return curricula()
