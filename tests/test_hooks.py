"""The plugin API: one test_hook_<name> per hookspec, isolation, refusals, meta-tests."""
from __future__ import annotations

import re

import inspect
import logging
from pathlib import Path

import flask_migrate
import pytest
from flask import Blueprint
from sqlalchemy import func, inspect as sa_inspect, select

from lms import create_app, hookspecs
from lms.database import db
from lms.errors import StartupError
from lms.models import User
from lms.plugin import NavItem, hookimpl
from lms.services import curricula
from lms.testing import EventRecorder

from lms.testing import empty_database

DOCS = Path(__file__).parent.parent / "docs" / "plugins.md"
NEW_USER = {"name": "Andi Pratama", "email": "andi@palembang.go.id", "nip": "199001012015011001",
            "password": "Belajar-ASN-2026", "confirm": "Belajar-ASN-2026"}


def hookspec_names() -> list[str]:
    return sorted(name for name, fn in vars(hookspecs).items()
                  if callable(fn) and hasattr(fn, f"{hookspecs.PROJECT}_spec"))


def greetings(app) -> list[str]:
    from lms_example.models import Greeting

    with app.app_context():
        return list(db.session.scalars(select(Greeting.message)))


# ------------------------------------------------------------------ one test per hook


@pytest.mark.lms_config(EXAMPLE_GREETING="Sugeng rawuh")
def test_hook_config_defaults(example_app):
    assert example_app.config["EXAMPLE_GREETING"] == "Sugeng rawuh"  # explicit settings win


def test_hook_config_defaults_fill_missing_keys(example_app):
    assert example_app.config["EXAMPLE_GREETING"] == "Selamat datang"


def test_hook_startup(example_app):
    assert example_app.extensions["example_started"] is True


def test_hook_register_blueprints(example_app, lms_client):
    response = lms_client.get("/p/example/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Selamat datang" in page and 'class="site-header"' in page  # extends the core layout


def test_hook_register_commands(example_app, lms_runner):
    result = lms_runner.invoke(args=["lms", "example-hello", "Budi"])
    assert result.exit_code == 0 and result.output == "Selamat datang, Budi\n"


def test_hook_periodic_jobs(example_app):
    """The worker gathers the plugin's periodic jobs beside the core's; each is a plain job."""
    from lms import jobs
    from lms.cli import worker

    found = worker.periodic_jobs(example_app)
    mine = [job for job in found if job.func.__module__ == "lms_example.plugin"]
    assert [(job.func.__name__, job.seconds) for job in mine] == [("count_greetings", 300)]
    assert jobs.path_of(mine[0].func) == "lms_example.plugin:count_greetings"


def test_hook_migrations_dirs(example_app):
    with example_app.app_context():
        empty_database(db)
        flask_migrate.upgrade(revision="heads")
        tables = sa_inspect(db.engine).get_table_names()
        assert {"users", "units", "example_greetings"} <= set(tables)
        flask_migrate.downgrade(revision="base")
        assert set(sa_inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_hook_nav_items(example_app, lms_client, lms_auth, lms_user):
    assert 'href="/p/example/"' not in lms_client.get("/").get_data(as_text=True)
    lms_auth.login(lms_user())
    page = lms_client.get("/").get_data(as_text=True)
    assert page.index('href="/"') < page.index('href="/p/example/"') < page.index('href="/profile"')


def test_hook_user_registered(example_app, lms_client):
    assert lms_client.submit("/register", NEW_USER).status_code == 302
    assert greetings(example_app) == ["Halo Andi Pratama"]


def enrol_and_finish(client, course) -> None:
    """Enrol through the course page and complete every lesson through the lesson pages."""
    client.submit(f"/courses/{course.slug}/enrol", form_page=f"/courses/{course.slug}")
    for key in course.lesson_keys:
        client.submit(f"/learn/{course.slug}/{key}/complete", form_page=f"/learn/{course.slug}/{key}")


def test_hook_register_lesson_types(example_app, lms_client, lms_auth, lms_user, lms_course):
    course = lms_course("kutipan", lessons=1, extra_lessons=[
        {"id": "kutipan-1", "title": "Kutipan", "type": "example-quote",
         "text": "Melayani adalah kehormatan.", "by": "Pak Lurah"}])
    lms_auth.login(lms_user())
    lms_client.submit("/courses/kutipan/enrol", form_page="/courses/kutipan")
    page = lms_client.get("/learn/kutipan/kutipan-1").get_data(as_text=True)
    assert '<blockquote class="example-quote">Melayani adalah kehormatan.<footer>Pak Lurah</footer>' in page
    assert "Pelajaran selesai" in page  # a "view" lesson completes on opening
    assert course.lesson_keys == ("pelajaran-1", "kutipan-1")


@pytest.mark.lms_config(EXAMPLE_HOLD_COMPLETION=True)
def test_hook_register_completion_rules(example_app, lms_client, lms_auth, lms_user, lms_course):
    course = lms_course("ditahan", lessons=2)
    lms_auth.login(lms_user())
    enrol_and_finish(lms_client, course)
    assert "Belum ada kursus yang selesai" in lms_client.get("/me").get_data(as_text=True)
    example_app.config["EXAMPLE_HOLD_COMPLETION"] = False
    lms_client.submit("/learn/ditahan/pelajaran-1/complete", form_page="/learn/ditahan/pelajaran-1")
    assert "Belum ada kursus yang selesai" not in lms_client.get("/me").get_data(as_text=True)


def test_hook_register_curricula(example_app, lms_runner, tmp_path):
    result = lms_runner.invoke(args=["lms", "install-curricula"])
    assert result.exit_code == 0, result.output
    assert "example: contoh-kurikulum version 1 installed, published" in result.output
    again = lms_runner.invoke(args=["lms", "install-curricula", "--plugin", "example"])
    assert again.exit_code == 0 and "contoh-kurikulum unchanged (version 1)" in again.output
    with example_app.app_context():
        assert [p.path.name for p in curricula.available()] == ["contoh-kurikulum"]


@pytest.mark.lms_config(EXAMPLE_CLOSED_COURSES=["tutup"])
def test_hook_check_enrollment(example_app, lms_client, lms_auth, lms_user, lms_course):
    lms_course("tutup")
    lms_auth.login(lms_user())
    page = lms_client.get("/courses/tutup").get_data(as_text=True)
    assert "Kursus ini ditutup oleh plugin contoh." in page and 'action="/courses/tutup/enrol"' not in page
    response = lms_client.submit("/courses/tutup/enrol", form_page="/courses/tutup")
    assert response.status_code == 302 and response.location == "/courses/tutup"
    assert lms_client.get("/learn/tutup").status_code == 302  # still not enrolled


YESNO = [{"id": "tanya-1", "type": "example-yesno", "text": "Apakah disposisi dicatat?", "answer": "ya"},
         {"id": "tanya-2", "type": "single", "text": "Surat masuk dicatat di?",
          "options": [{"id": "a", "text": "Agenda", "fraction": 1}, {"id": "b", "text": "Arsip", "fraction": 0}]}]


def take_quiz(client, slug: str, answers: dict) -> str:
    """Start the course's quiz, post `answers`, return the review page."""
    client.submit(f"/courses/{slug}/enrol", form_page=f"/courses/{slug}")
    started = client.submit(f"/learn/{slug}/quiz/kuis/start", form_page=f"/learn/{slug}/quiz/kuis")
    attempt_page = started.location
    client.submit(attempt_page + "/submit", answers, form_page=attempt_page)
    return client.get(attempt_page + "/review").get_data(as_text=True)


def test_hook_register_question_types(example_app, lms_client, lms_auth, lms_user, lms_course):
    lms_course("yesno", lessons=1, questions=YESNO)
    lms_auth.login(lms_user())
    lms_client.submit("/courses/yesno/enrol", form_page="/courses/yesno")
    page = lms_client.get(lms_client.submit("/learn/yesno/quiz/kuis/start",
                                            form_page="/learn/yesno/quiz/kuis").location).get_data(as_text=True)
    assert 'type="radio" name="q0" value="ya"' in page
    review = lms_client.get(lms_client.submit(
        "/learn/yesno/quiz/kuis/start", form_page="/learn/yesno/quiz/kuis").location).get_data(as_text=True)
    # the same open attempt, same order (CSRF tokens carry a timestamp: a second may pass)
    def tokenless(html: str) -> str:
        return re.sub(r'(name="csrf[-_]token"[^>]*)(value|content)="[^"]+"', r"\1", html)

    assert tokenless(review) == tokenless(page)


def test_hook_quiz_graded(example_app, lms_client, lms_auth, lms_user, lms_course):
    lms_course("dinilai", lessons=1, questions=YESNO)
    lms_auth.login(lms_user())
    review = take_quiz(lms_client, "dinilai", {"q0": "ya", "q1": "b"})
    assert "50%" in review
    assert greetings(example_app)[-1] == "quiz kuis scored 50"


def certificate_for(app, lms_client, lms_auth, lms_user, lms_course, slug="sertifikat", **course):
    """Complete a one-lesson course through the pages; return its certificate number."""
    made = lms_course(slug, lessons=1, **course)
    lms_auth.login(lms_user())
    enrol_and_finish(lms_client, made)
    with app.app_context():
        from lms.models import Certificate

        return db.session.scalar(select(Certificate.number))


def test_hook_register_certificate_templates(example_app, lms_client, lms_auth, lms_user, lms_course):
    from lms.packages.manifest import parse_manifest
    from lms.services import courses as course_service
    from lms.services.courses import PackageInvalid
    from lms.testing import course_manifest

    manifest, bodies = course_manifest("polos", lessons=1)
    with example_app.app_context():
        with pytest.raises(PackageInvalid, match="unknown template 'fancy'; known: classic, example-plain"):
            course_service.import_version(parse_manifest({**manifest, "certificate_template": "fancy"})[0], bodies)
        course_service.publish(course_service.import_version(
            parse_manifest({**manifest, "certificate_template": "example-plain"})[0], bodies))
    lms_auth.login(lms_user())
    lms_client.submit("/courses/polos/enrol", form_page="/courses/polos")
    lms_client.submit("/learn/polos/pelajaran-1/complete", form_page="/learn/polos/pelajaran-1")
    with example_app.app_context():
        from lms.models import Certificate
        number = db.session.scalar(select(Certificate.number))
    pdf = lms_client.get(f"/me/certificates/{number}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    from pypdf import PdfReader
    import io
    assert f"PLAIN {number} 2 JP" in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()


def test_hook_certificate_issued(example_app, lms_client, lms_auth, lms_user, lms_course):
    number = certificate_for(example_app, lms_client, lms_auth, lms_user, lms_course)
    assert greetings(example_app)[-1] == f"certificate {number}"


@pytest.mark.lms_config(EXAMPLE_SIGN=True)
def test_hook_sign_certificate_pdf(example_app, lms_client, lms_auth, lms_user, lms_course):
    number = certificate_for(example_app, lms_client, lms_auth, lms_user, lms_course)
    with example_app.app_context():
        from lms.models import Certificate

        cert = db.session.scalar(select(Certificate))
        assert (cert.sign_status, cert.signed_by) == ("signed", "example")
    pdf = lms_client.get(f"/me/certificates/{number}.pdf").data
    assert pdf.startswith(b"%PDF") and pdf.endswith(f"% signed by lms_example for {number}\n".encode())


def test_hook_training_history_exporters(example_app, lms_client, lms_auth, lms_user, lms_course):
    certificate_for(example_app, lms_client, lms_auth, lms_user, lms_course)
    response = lms_client.get("/me/training-history?exporter=example-lines&format=txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True).endswith(";2\n")
    lms_auth.logout()
    lms_auth.login(lms_user("admin", nip=None))
    assert "Example lines" in lms_client.get("/admin/reports/training-history").get_data(as_text=True)


def test_hook_certificate_revoked(example_app, lms_client, lms_auth, lms_user, lms_course):
    number = certificate_for(example_app, lms_client, lms_auth, lms_user, lms_course)
    lms_auth.logout()
    lms_auth.login(lms_user("admin"))
    page = f"/admin/certificates/{number}"
    lms_client.submit(page + "/revoke", {"reason": "Data ganda"}, form_page=page)
    assert greetings(example_app)[-1] == f"revoked {number}: Data ganda"


def test_hook_learner_enrolled(example_app, lms_client, lms_auth, lms_user, lms_course):
    lms_course("masuk")
    lms_auth.login(lms_user())
    lms_client.submit("/courses/masuk/enrol", form_page="/courses/masuk")
    assert greetings(example_app)[-1] == "enrolled masuk"


def test_hook_lesson_viewed(example_app, lms_client, lms_auth, lms_user, lms_course):
    lms_course("lihat", lessons=2)
    lms_auth.login(lms_user())
    lms_client.submit("/courses/lihat/enrol", form_page="/courses/lihat")
    for _ in range(2):  # every opening is an event, reloads included
        lms_client.get("/learn/lihat/pelajaran-2")
    assert greetings(example_app).count("viewed pelajaran-2") == 2


def test_hook_lesson_completed(example_app, lms_client, lms_auth, lms_user, lms_course):
    lms_course("pelajaran", lessons=2)
    lms_auth.login(lms_user())
    lms_client.submit("/courses/pelajaran/enrol", form_page="/courses/pelajaran")
    for _ in range(2):  # a repeated completion is not a new event
        lms_client.submit("/learn/pelajaran/pelajaran-1/complete", form_page="/learn/pelajaran/pelajaran-1")
    assert greetings(example_app).count("lesson pelajaran-1") == 1


def test_hook_course_completed(example_app, lms_client, lms_auth, lms_user, lms_course):
    course = lms_course("tamat", lessons=2, jp=3)
    lms_auth.login(lms_user())
    enrol_and_finish(lms_client, course)
    lms_client.submit("/learn/tamat/pelajaran-2/complete", form_page="/learn/tamat/pelajaran-2")
    assert greetings(example_app).count("completed tamat for 3 JP") == 1


# ------------------------------------------------------------------ isolation


class FailingReaction:
    """A plugin whose react hook always fails (a webhook that is down)."""

    lms_api = "1.0"

    @hookimpl
    def user_registered(self, user):
        raise RuntimeError("webhook down")


class Boom(FailingReaction):
    """A plugin whose react and per-request hooks always fail."""

    @hookimpl
    def nav_items(self, user):
        raise RuntimeError("nav broken")


@pytest.mark.lms_config(PLUGIN_OBJECTS={"boom": Boom()}, PLUGIN_ERRORS="log")
def test_react_hook_failure_is_isolated(example_app, lms_client, caplog):
    caplog.set_level(logging.ERROR, logger="lms.plugins")
    response = lms_client.submit("/register", NEW_USER)
    assert response.status_code == 302  # the learner's action succeeds
    with example_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1  # data kept
    assert greetings(example_app) == ["Halo Andi Pratama"]  # other plugins still ran
    assert "plugin boom failed in user_registered" in caplog.text


@pytest.mark.lms_config(PLUGIN_OBJECTS={"boom": Boom()}, PLUGIN_ERRORS="log")
def test_per_request_hook_failure_keeps_the_page_up(example_app, lms_client, lms_auth, lms_user, caplog):
    lms_auth.login(lms_user())
    response = lms_client.get("/")
    assert response.status_code == 200
    assert 'href="/p/example/"' in response.get_data(as_text=True)
    assert "plugin boom failed in nav_items" in caplog.text


@pytest.mark.lms_config(PLUGIN_OBJECTS={"boom": FailingReaction()})
def test_plugin_errors_raise_in_testing_but_data_is_committed(lms_app, lms_client):
    with pytest.raises(RuntimeError, match="webhook down"):
        lms_client.submit("/register", NEW_USER)
    with lms_app.app_context():
        assert db.session.scalar(select(User.email)) == NEW_USER["email"]


class BadNav:
    lms_api = "1.0"

    @hookimpl
    def nav_items(self, user):
        return [NavItem("Hilang", "nowhere.index")]


@pytest.mark.lms_config(PLUGIN_OBJECTS={"badnav": BadNav()})
def test_nav_item_with_unknown_endpoint_is_dropped(lms_client, caplog):
    response = lms_client.get("/")
    assert response.status_code == 200 and "Hilang" not in response.get_data(as_text=True)
    assert "unknown endpoint 'nowhere.index'" in caplog.text


def test_events_are_dropped_when_the_transaction_rolls_back(lms_app, lms_events):
    from lms import events

    with lms_app.test_request_context():
        user = User(email="x@y.go.id", name="X", password_hash="x")
        db.session.add(user)
        events.enqueue("user_registered", user=user)
        db.session.rollback()
        db.session.commit()
        events.deliver()
    assert lms_events.calls == []


# ------------------------------------------------------------------ loading and refusal


def make_app(tmp_path, **settings):
    return create_app("testing", {"DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite3", **settings})


class Versioned:
    def __init__(self, api):
        if api is not None:
            self.lms_api = api


@pytest.mark.parametrize("api, reason", [
    ("1.9", "needs plugin API 1.9; this LMS provides 1.4"),
    ("2.0", "needs plugin API 2.0; this LMS provides 1.4"),
    ("one", "is not MAJOR.MINOR"),
    (None, "does not declare lms_api"),
])
def test_plugin_refused_for_api_version(tmp_path, api, reason):
    with pytest.raises(StartupError, match=reason):
        make_app(tmp_path, PLUGIN_OBJECTS={"future": Versioned(api)})
    app = make_app(tmp_path, PLUGIN_OBJECTS={"future": Versioned(api)}, STRICT_PLUGINS=False)
    info = {i.name: i for i in app.extensions["lms"].get_plugins()}["future"]
    assert info.status == "refused" and reason in info.reason


class Misspelt:
    lms_api = "1.0"

    @hookimpl
    def user_registred(self, user):  # sic
        pass


def test_misspelt_hookimpl_rejected(tmp_path):
    with pytest.raises(StartupError, match="'typo' refused: implements unknown hook.s. user_registred"):
        make_app(tmp_path, PLUGIN_OBJECTS={"typo": Misspelt()})
    app = make_app(tmp_path, PLUGIN_OBJECTS={"typo": Misspelt()}, STRICT_PLUGINS=False)
    assert app.extensions["lms"].pm.get_plugin("typo") is None


def test_plugin_that_fails_to_import_is_named(tmp_path, lms_plugin_dist):
    lms_plugin_dist("broken", "lms_no_such_module.plugin")
    with pytest.raises(StartupError, match="'broken' refused: failed to load: ModuleNotFoundError"):
        make_app(tmp_path, PLUGINS="*")
    app = make_app(tmp_path, PLUGINS="*", STRICT_PLUGINS=False)
    result = app.test_cli_runner().invoke(args=["lms", "plugins"])
    assert result.exit_code == 0
    row = next(line for line in result.output.splitlines() if line.startswith("broken"))
    assert "refused" in row and "ModuleNotFoundError" in row
    assert app.test_client().get("/").status_code == 200  # the site runs without it


def test_requested_plugin_that_is_not_installed_is_refused(tmp_path):
    with pytest.raises(StartupError, match="'ghost' refused: not installed"):
        make_app(tmp_path, PLUGINS=["ghost"])


@pytest.mark.lms_config(DISABLED_PLUGINS=["example"], PLUGINS="*")
def test_disabled_plugin_is_not_loaded(example_app, lms_client, lms_runner):
    assert lms_client.get("/p/example/").status_code == 404
    assert "example-hello" not in lms_runner.invoke(args=["lms", "--help"]).output
    assert example_app.extensions["lms"].infos["example"].status == "disabled"


@pytest.mark.lms_plugins()
def test_plugins_outside_the_allow_list_are_disabled(example_app, lms_client):
    assert lms_client.get("/p/example/").status_code == 404


def test_disabling_a_plugin_keeps_its_data(example_app, lms_client, lms_config):
    lms_client.submit("/register", NEW_USER)
    again = create_app("testing", {**lms_config, "DISABLED_PLUGINS": ["example"]})
    assert again.test_client().get("/p/example/").status_code == 404
    assert greetings(again) == ["Halo Andi Pratama"]
    with again.app_context():
        assert db.session.scalar(select(User.email)) == NEW_USER["email"]
        db.session.remove()
        db.engine.dispose()


class WrongBlueprint:
    lms_api = "1.0"

    @hookimpl
    def register_blueprints(self, app):
        return [Blueprint("auth2", __name__)]


def test_blueprint_name_must_carry_the_plugin_name(tmp_path):
    with pytest.raises(StartupError, match="blueprint 'auth2' must start with 'acme'"):
        make_app(tmp_path, PLUGIN_OBJECTS={"acme": WrongBlueprint()})


def test_plugins_command_lists_name_version_api_status_hooks(example_app, lms_runner):
    lines = lms_runner.invoke(args=["lms", "plugins"]).output.splitlines()
    assert lines[0].split() == ["NAME", "VERSION", "API", "STATUS", "HOOKS", "/", "REASON"]
    row = next(line for line in lines if line.startswith("example"))
    assert row.split()[:4] == ["example", "0.3", "1.2", "enabled"]
    for hook in hookspec_names():
        assert hook in row
    assert any(line.startswith("lms.builtin.nav") and "builtin" in line for line in lines)


# ------------------------------------------------------------------ meta-tests


def test_every_hookspec_has_a_test():
    missing = [name for name in hookspec_names() if f"test_hook_{name}" not in globals()]
    assert missing == []


def test_every_hookspec_signature_is_documented():
    docs = DOCS.read_text()
    for name in hookspec_names():
        signature = f"{name}{inspect.signature(getattr(hookspecs, name))}"
        assert f"`{signature}`" in docs, f"{signature} is not in docs/plugins.md"


def test_every_hookspec_has_a_full_docstring():
    for name in hookspec_names():
        doc = inspect.getdoc(getattr(hookspecs, name))
        assert "**Called:**" in doc and "**Return:**" in doc and "**Since:**" in doc, name


def test_react_and_per_request_hooks_are_real_hookspecs():
    assert hookspecs.REACT_HOOKS | hookspecs.PER_REQUEST_HOOKS <= set(hookspec_names())


def test_event_recorder_covers_every_react_hook():
    assert {name for name in hookspecs.REACT_HOOKS if hasattr(EventRecorder, name)} == hookspecs.REACT_HOOKS
