"""Issue #12: every main learner page with its CSS/JS stays under 200 KB before images.

Runs bench/page_weight.py's measurement on the demo dataset and prints its table (shown with
``pytest -s``, and kept in the test report as the ``page_weight`` property).
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BUDGET = 200 * 1024


def _tool():
    path = Path(__file__).resolve().parents[1] / "bench" / "page_weight.py"
    spec = importlib.util.spec_from_file_location("bench_page_weight", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_learner_page_is_under_200_kb_before_images(lms_app, record_property):
    tool = _tool()
    results = tool.measure(lms_app)
    report = tool.table(results)
    print("\n" + report)
    record_property("page_weight", report)
    names = {page.name.split()[0] for page in results}
    assert {"catalog", "course", "lesson", "quiz", "dashboard", "JP", "certificates", "verify"} <= names, names
    for page in results:
        assert page.html_raw > 500 and page.assets, f"{page.name}: nothing measured"
        assert any(path.endswith(".css") for path in page.assets), f"{page.name} has no stylesheet"
        assert page.raw < BUDGET, f"{page.name} ({page.path}): {page.raw} bytes with its CSS/JS"
        # Compression is on: what travels is far less than the raw bytes.
        assert page.sent < page.raw * 0.6, f"{page.name}: {page.sent} of {page.raw} bytes sent"
