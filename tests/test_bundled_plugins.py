"""The bundled plugins as a site meets them: listed, curricula installed, learners' work kept
when a plugin is disabled or uninstalled, and nothing but the public API imported."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms import create_app
from lms.database import db
from lms.models import Attempt, Course, Enrollment, LessonProgress
from lms.testing import LmsClient

PLUGINS_DIR = Path(__file__).resolve().parents[1] / "plugins"
BUNDLED = ("digital_service", "eoffice", "project_management")
#: The only core modules a plugin may import: the public plugin API.
PUBLIC = {"lms.plugin", "lms.hookspecs", "lms.testing"}

pytestmark = pytest.mark.lms_plugins(*BUNDLED)


def plugin_sources() -> list[Path]:
    return sorted(p for p in PLUGINS_DIR.glob("*/**/*.py") if "curricula" not in p.parts)


def core_imports(path: Path) -> list[str]:
    """Every `lms` / `lms.*` module a source file imports, however it is spelt."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [node.module] + [f"{node.module}.{a.name}" for a in node.names if node.module == "lms"]
    return [name for name in found if name == "lms" or name.startswith("lms.")]


def test_plugins_import_only_the_public_api():
    assert len(plugin_sources()) > 10
    offenders = {f"{path.relative_to(PLUGINS_DIR)}: {name}"
                 for path in plugin_sources() for name in core_imports(path)
                 if name not in PUBLIC and name != "lms"}  # `from lms import x` yields lms.x too
    assert offenders == set()


def test_the_boundary_check_catches_an_internal_import(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("from lms.services import courses\nimport lms.models\nfrom lms import database\n")
    assert core_imports(sneaky) == ["lms.services", "lms.models", "lms", "lms.database"]


def test_all_three_are_listed_with_their_hooks(lms_runner):
    rows = {line.split()[0]: line for line in lms_runner.invoke(args=["lms", "plugins"]).output.splitlines()}
    for name in BUNDLED:
        assert "enabled" in rows[name] and "register_curricula" in rows[name], rows.get(name)
    assert "register_question_types" in rows["eoffice"] and "register_question_types" in rows["project_management"]


def test_install_curricula_installs_nine_courses_once(lms_app, lms_runner, lms_client):
    result = lms_runner.invoke(args=["lms", "install-curricula"])
    assert result.exit_code == 0, result.output
    assert result.output.count("installed, published") == 9
    again = lms_runner.invoke(args=["lms", "install-curricula"])
    assert again.exit_code == 0 and again.output.count("unchanged") == 9
    page = lms_client.get("/courses?q=e-office").get_data(as_text=True)
    assert "Naskah Dinas" in page or "naskah dinas" in page.lower()


def test_disabling_or_uninstalling_keeps_learners_work_and_pages(lms_app, lms_config, lms_runner, lms_client,
                                                                 lms_auth, lms_user):
    assert lms_runner.invoke(args=["lms", "install-curricula"]).exit_code == 0
    learner = lms_user()
    lms_auth.login(learner)
    slug = "eoffice-naskah-dinas"
    lms_client.submit(f"/courses/{slug}/enrol", form_page=f"/courses/{slug}")
    with lms_app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        first = course.versions[0].lessons[0].key
        quiz_key = _last_quiz_key(course)
    lms_client.submit(f"/learn/{slug}/{first}/complete", form_page=f"/learn/{slug}/{first}")
    attempt_page = lms_client.submit(f"/learn/{slug}/quiz/{quiz_key}/start",
                                     form_page=f"/learn/{slug}/quiz/{quiz_key}").location
    assert "textarea" in lms_client.get(attempt_page).get_data(as_text=True)  # the letter question
    lms_client.submit(attempt_page + "/submit", {}, form_page=attempt_page)

    for settings in ({"DISABLED_PLUGINS": ["eoffice"]}, {"PLUGINS": ["digital_service"]}):
        # A restart without the plugin: disabled by config, or gone from the environment.
        app = create_app("testing", {**lms_config, **settings})
        app.test_client_class = LmsClient
        client = app.test_client()
        with app.app_context():
            assert "eoffice" not in app.extensions["lms"].plugin_names()
            assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 1
            first_attempt = db.session.scalar(select(Attempt).where(Attempt.uid == attempt_page.rsplit("/", 1)[-1]))
            assert first_attempt.state.value == "graded"
            assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 1
        client.post("/login", data={"login": learner.email, "password": learner.password,
                                    "csrf_token": client.csrf_token("/login")})
        for path in ("/courses", f"/courses/{slug}", f"/learn/{slug}/{first}", "/me",
                     f"{attempt_page}/review", f"/learn/{slug}/quiz/{quiz_key}"):
            assert client.get(path).status_code == 200, path
        page = client.get(client.submit(f"/learn/{slug}/quiz/{quiz_key}/start",
                                        form_page=f"/learn/{slug}/quiz/{quiz_key}").location)
        assert page.status_code == 200
        assert "cannot be shown" in page.get_data(as_text=True) or "tidak dapat ditampilkan" in page.get_data(as_text=True)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _last_quiz_key(course) -> str:
    from lms.models import Quiz

    return db.session.scalar(select(Quiz.key).where(Quiz.version_id == course.versions[0].id)
                             .order_by(Quiz.id.desc()).limit(1))
