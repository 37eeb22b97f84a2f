"""Make ``import lms_digital_service`` work from a source checkout, without installing the plugin.

The generic fixtures (``lms_app``, ``lms_runner``, ...) come from ``lms.testing``, the core's
pytest plugin (entry point ``pytest11: lms``).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

PLUGIN_ROOT = Path(__file__).resolve().parents[1]
if str(PLUGIN_ROOT) not in sys.path:
    sys.path.insert(0, str(PLUGIN_ROOT))

#: The course packages (lms-course/1 folders) this plugin ships.
CURRICULA_DIR = PLUGIN_ROOT / "lms_digital_service" / "curricula"


@pytest.fixture
def curricula_dir() -> Path:
    return CURRICULA_DIR
