"""Core suite fixtures; the generic ones (lms_app, lms_client, ...) come from lms.testing."""
from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLE_DIR = Path(__file__).parent / "example_plugin"


@pytest.fixture
def example_dist(lms_plugin_dist):
    """Install the example plugin as a distribution with an lms.plugins entry point."""
    return lms_plugin_dist("example", "lms_example.plugin", version="0.3", source_dir=EXAMPLE_DIR)


@pytest.fixture
def example_app(example_dist, request):
    """lms_app with the example plugin installed and, unless a marker says otherwise, enabled."""
    config = request.getfixturevalue("lms_config")
    if request.node.get_closest_marker("lms_plugins") is None and isinstance(config["PLUGINS"], list):
        config["PLUGINS"] = [*config["PLUGINS"], "example"]
    return request.getfixturevalue("lms_app")

