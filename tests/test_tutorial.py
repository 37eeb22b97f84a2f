"""The tutorial in docs/plugins.md is a working plugin.

Every code block marked ``<!-- tutorial-file: lms-hello/PATH -->`` is a file of the plugin the
tutorial builds. The blocks must be exactly the files of ``plugins/hello``, and a plugin built
from the blocks alone, in a temporary folder, must load in an LMS, serve its page and menu
item, react to a course completion, migrate its table, and pass its own tests.

The built plugin runs in a fresh interpreter: ``lms_hello`` may already be imported here (from
``plugins/hello``, by any test that enabled every installed plugin), and its table is then
defined on the shared ``db.metadata``, so a second copy cannot be imported into this process.
"""
from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "plugins.md"
HELLO = ROOT / "plugins" / "hello"
PREFIX = "lms-hello/"
MARKER = "<!-- tutorial-file: "
BLOCK = re.compile(r"^<!-- tutorial-file: (\S+) -->\n```[^\n]*\n(.*?)^```$", re.M | re.S)
#: Files of plugins/hello that are not part of the tutorial: its README and build output.
NOT_IN_TUTORIAL = {"README.md"}
BUILD_OUTPUT = ("__pycache__", ".pytest_cache")


def tutorial_files() -> dict[str, str]:
    """{path inside the plugin: content} of every tutorial-file block, in order."""
    text = DOCS.read_text(encoding="utf-8")
    blocks = BLOCK.findall(text)
    assert len(blocks) == text.count(MARKER), "a tutorial-file marker is not followed by a code block"
    files: dict[str, str] = {}
    for path, body in blocks:
        assert path.startswith(PREFIX), path
        assert path not in files, f"{path} appears twice"
        files[path.removeprefix(PREFIX)] = body
    return files


def template_files() -> set[str]:
    """The source files of plugins/hello (build output and generated catalogs left out)."""
    found = set()
    for path in HELLO.rglob("*"):
        relative = path.relative_to(HELLO)
        if (path.is_file() and relative.suffix not in (".mo", ".pot", ".pyc")
                and not any(part in BUILD_OUTPUT or part.endswith(".egg-info") for part in relative.parts)):
            found.add(relative.as_posix())
    return found - NOT_IN_TUTORIAL


def test_the_tutorial_prints_every_file_of_the_hello_template():
    files = tutorial_files()
    assert set(files) == template_files()
    for path, body in files.items():
        assert body == (HELLO / path).read_text(encoding="utf-8"), f"docs/plugins.md differs from plugins/hello/{path}"


def test_the_block_parser_finds_marked_blocks_only():
    text = (f"{MARKER}lms-hello/a.py -->\n```python\nx = 1\n```\n\n```python\nnot = 'marked'\n```\n"
            f"{MARKER}lms-hello/b.cfg -->\n```\n[b]\n```\n")
    assert BLOCK.findall(text) == [("lms-hello/a.py", "x = 1\n"), ("lms-hello/b.cfg", "[b]\n")]


#: Checks written next to the tutorial's own tests and run in the same session: they hold
#: whatever the tutorial's tests say, and prove the plugin under test is the docs' copy.
CHECKS = '''\
"""Written by the core's tests/test_tutorial.py: the plugin built from docs/plugins.md."""
import os
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import func, inspect, select, table

from lms.plugin import db
from lms.testing import empty_database

pytestmark = pytest.mark.lms_plugins("hello")
SOURCE = Path(os.environ["TUTORIAL_SOURCE"])


def test_tutorial_plugin_is_the_docs_copy_found_through_its_entry_point(lms_app, lms_runner):
    import lms_hello.plugin

    assert Path(lms_hello.plugin.__file__).resolve().is_relative_to(SOURCE)
    assert lms_app.extensions["lms"].pm.get_plugin("hello") is lms_hello.plugin
    rows = lms_runner.invoke(args=["lms", "plugins"]).output.splitlines()
    row = next(line for line in rows if line.startswith("hello "))
    assert row.split()[:4] == ["hello", "0.1.0", "1.1", "enabled"]
    assert row.split(maxsplit=4)[4] == ("config_defaults, course_completed, migrations_dirs, "
                                        "nav_items, register_blueprints")


def test_tutorial_page_menu_item_and_reaction(lms_app, lms_client, lms_auth, lms_user, lms_course):
    lms_course("tutorial", lessons=2)
    lms_auth.login(lms_user(name="Budi"))
    assert '<a href="/p/hello/">Halo</a>' in lms_client.get("/").get_data(as_text=True)
    lms_client.submit("/courses/tutorial/enrol", form_page="/courses/tutorial")
    for key in ("pelajaran-1", "pelajaran-2"):
        lms_client.submit(f"/learn/tutorial/{key}/complete", form_page=f"/learn/tutorial/{key}")
    response = lms_client.get("/p/hello/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'class="site-header"' in page
    assert "<h1>Halo dari plugin</h1>" in page and "<p>Selamat datang, Budi.</p>" in page
    assert "Kursus yang diselesaikan sejak plugin ini aktif: 1" in page
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(table("hello_completions"))) == 1


def test_tutorial_migration_branch(lms_app):
    from lms_hello.models import CourseCompletion

    with lms_app.app_context():
        empty_database(db)
        flask_migrate.upgrade(revision="heads")
        assert {"users", "hello_completions"} <= set(inspect(db.engine).get_table_names())
        columns = {column["name"] for column in inspect(db.engine).get_columns("hello_completions")}
        assert columns == set(CourseCompletion.__table__.columns.keys())
        flask_migrate.downgrade(revision="hello@base")
        assert "hello_completions" not in inspect(db.engine).get_table_names()
'''


def install_like_pip(source: Path, site: Path) -> None:
    """Record the distribution that setup.cfg describes in site/ (a .dist-info with its
    entry points), as `pip install` would; the code stays importable from source/."""
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(source / "setup.cfg", encoding="utf-8")
    name, version = cfg["metadata"]["name"], cfg["metadata"]["version"]
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    groups = cfg["options.entry_points"]
    (info / "entry_points.txt").write_text(
        "".join(f"[{group}]\n{groups[group].strip()}\n\n" for group in groups))


def test_a_plugin_built_from_the_tutorial_loads_and_passes_its_tests(tmp_path):
    source, site = tmp_path / "lms-hello", tmp_path / "site-packages"
    files = tutorial_files()
    for path, body in files.items():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_text(body, encoding="utf-8")
    (source / "tests" / "test_tutorial_checks.py").write_text(CHECKS, encoding="utf-8")
    install_like_pip(source, site)
    expected = sum(body.count("\ndef test_") for path, body in files.items() if path.startswith("tests/"))
    expected += CHECKS.count("\ndef test_")

    # The LMS's settings come from the test fixtures, never from this environment; the
    # tutorial's copy runs on SQLite (not a shared PostgreSQL that this session is using).
    env = {key: value for key, value in os.environ.items() if not key.startswith("LMS_")}
    # First on the path: found before an installed plugins/hello, entry point and package alike.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), str(source), env.get("PYTHONPATH")]))
    env["TUTORIAL_SOURCE"] = str(source)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(source / "tests"), "-q", "-p", "no:cacheprovider",
         "-W", "error", "--strict-markers"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert re.search(rf"^{expected} passed in ", report, re.M), report  # none skipped, none missing
    assert list(source.glob("lms_hello/translations/*/LC_MESSAGES/lms_hello.mo"))  # its conftest compiled
