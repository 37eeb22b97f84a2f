"""The hello plugin in a running LMS: listed, its page and menu item, its table, its reaction."""
import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from lms.plugin import db
from lms.testing import empty_database

pytestmark = pytest.mark.lms_plugins("hello")  # load the installed plugin (its entry point)


def test_hello_is_listed_with_its_hooks(lms_runner):
    rows = lms_runner.invoke(args=["lms", "plugins"]).output.splitlines()
    row = next(line for line in rows if line.startswith("hello "))
    assert row.split()[2:4] == ["1.1", "enabled"]
    for hook in ("config_defaults", "course_completed", "migrations_dirs", "nav_items",
                 "register_blueprints"):
        assert hook in row


def test_hello_page_and_menu_item_for_signed_in_users(lms_client, lms_auth, lms_user):
    assert lms_client.get("/p/hello/").status_code == 302  # to the sign-in page
    assert 'href="/p/hello/"' not in lms_client.get("/").get_data(as_text=True)
    lms_auth.login(lms_user(name="Rina"))
    assert '<a href="/p/hello/">Halo</a>' in lms_client.get("/").get_data(as_text=True)
    page = lms_client.get("/p/hello/").get_data(as_text=True)
    assert "<h1>Halo dari plugin</h1>" in page and "<p>Selamat datang, Rina.</p>" in page
    assert 'class="site-header"' in page  # the core's layout around the plugin's page


@pytest.mark.lms_config(HELLO_GREETING="Sugeng rawuh")
def test_hello_greeting_is_a_setting(lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user(name="Rina"))
    assert "<p>Sugeng rawuh, Rina.</p>" in lms_client.get("/p/hello/").get_data(as_text=True)


def test_hello_counts_completed_courses(lms_client, lms_auth, lms_user, lms_course):
    lms_course("salam", lessons=1)
    lms_auth.login(lms_user())
    lms_client.submit("/courses/salam/enrol", form_page="/courses/salam")
    lms_client.submit("/learn/salam/pelajaran-1/complete", form_page="/learn/salam/pelajaran-1")
    page = lms_client.get("/p/hello/").get_data(as_text=True)
    assert "Kursus yang diselesaikan sejak plugin ini aktif: 1" in page


def hello_schema_differences():
    """What autogenerate would still write for the plugin's tables (nothing, if the
    migrations build what models.py describes)."""
    def only_hello(obj, name, type_, reflected, compare_to):
        return getattr(obj, "table", obj).name.startswith("hello_")

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_object": only_hello})
        return compare_metadata(context, db.metadata)


def test_hello_migration_builds_its_table(lms_app):
    with lms_app.app_context():
        empty_database(db)
        flask_migrate.upgrade(revision="heads")  # flask --app wsgi db upgrade heads
        assert "hello_completions" in inspect(db.engine).get_table_names()
        assert hello_schema_differences() == []
        flask_migrate.downgrade(revision="hello@base")  # the plugin's branch only
        tables = set(inspect(db.engine).get_table_names())
        assert "users" in tables and "hello_completions" not in tables
