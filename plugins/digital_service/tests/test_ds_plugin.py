"""The plugin as a whole: API boundary, registration, settings, migrations, admin page, catalog."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from lms.plugin import db
from lms.testing import empty_database

import lms_digital_service
from lms_digital_service import wait_for_deliveries, webhooks
from lms_digital_service.models import DELIVERED, FAILED, PENDING, WebhookDelivery
from lms_digital_service.settings import WebhookConfigError, webhook_settings

PACKAGE = Path(lms_digital_service.__file__).parent
TESTS = Path(__file__).parent
TABLE = "digital_service_webhook_deliveries"
#: The only core modules a plugin may import (docs/plugins.md).
PUBLIC_API = {"lms.plugin", "lms.hookspecs", "lms.testing"}
PAGE = "/p/digital_service/webhooks"

plugin = pytest.mark.lms_plugins("digital_service")


# ---------------------------------------------------------------------- API boundary


def core_imports(path: Path) -> list[str]:
    """Every ``lms`` / ``lms.*`` module a source file imports (the plugin's own excluded)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names
                                     if node.module == "lms"]  # from lms import models
        else:
            continue
        found += [name for name in names if name == "lms" or name.startswith("lms.")]
    return found


def test_only_the_public_plugin_api_is_imported():
    sources = sorted(PACKAGE.rglob("*.py")) + sorted(TESTS.glob("*.py"))
    assert len(sources) > 8
    offending = [f"{path.relative_to(PACKAGE.parent)}: imports {name}" for path in sources
                 for name in core_imports(path) if name not in PUBLIC_API]
    assert offending == []


def test_the_boundary_check_catches_core_imports(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import lms.models\nfrom lms.services import accounts\nfrom lms import events\n"
                   "import lms\nfrom lms.plugin import db\nimport lms_digital_service\n")
    assert core_imports(bad) == ["lms.models", "lms.services", "lms", "lms.events", "lms", "lms.plugin"]


# ---------------------------------------------------------------------- registration


@plugin
def test_the_plugin_is_enabled_with_its_hooks(lms_app, lms_runner):
    assert "digital_service" in lms_app.extensions["lms"].plugin_names()
    listing = lms_runner.invoke(args=["lms", "plugins"]).output
    line = next(row for row in listing.splitlines() if row.startswith("digital_service"))
    assert "enabled" in line and "1.3" in line
    for hook in ("certificate_issued", "certificate_revoked", "config_defaults", "migrations_dirs",
                 "register_blueprints", "register_commands", "register_curricula", "startup"):
        assert hook in line
    assert lms_app.config["DIGITAL_SERVICE_WEBHOOK_MAX_ATTEMPTS"] == 8
    assert lms_app.config["DIGITAL_SERVICE_WEBHOOK_URL"] == ""


# -------------------------------------------------------------------------- settings


@plugin
@pytest.mark.lms_config(DIGITAL_SERVICE_WEBHOOK_URL="ftp://files.example.go.id/sertifikat")
def test_a_non_http_url_stops_the_start_with_a_clear_message(request):
    """The host names the plugin and the hook; the plugin's own message says what to fix."""
    with pytest.raises(Exception, match=r"plugin 'digital_service' failed in startup: WebhookConfigError: .*"
                                        r"DIGITAL_SERVICE_WEBHOOK_URL must be an http:// or "
                                        r"https:// URL with a host \(got scheme 'ftp'\)") as caught:
        request.getfixturevalue("lms_app")
    assert isinstance(caught.value.__cause__, WebhookConfigError)


@pytest.mark.parametrize("settings, message", [
    ({"DIGITAL_SERVICE_WEBHOOK_URL": "https:///no-host"}, "must be an http:// or https:// URL"),
    ({"DIGITAL_SERVICE_WEBHOOK_URL": "hooks.example.go.id/lms"}, "got scheme 'none'"),
    ({"DIGITAL_SERVICE_WEBHOOK_TIMEOUT": "lima"}, "DIGITAL_SERVICE_WEBHOOK_TIMEOUT must be a number"),
    ({"DIGITAL_SERVICE_WEBHOOK_TIMEOUT": 0}, "DIGITAL_SERVICE_WEBHOOK_TIMEOUT must be at least"),
    ({"DIGITAL_SERVICE_WEBHOOK_MAX_ATTEMPTS": 0}, "DIGITAL_SERVICE_WEBHOOK_MAX_ATTEMPTS must be at least 1"),
    ({"DIGITAL_SERVICE_WEBHOOK_MAX_ATTEMPTS": "2.5"}, "must be a number (whole)"),
    ({"DIGITAL_SERVICE_WEBHOOK_BACKGROUND": "kadang"}, "must be true or false"),
])
def test_unusable_settings_name_the_key(settings, message):
    with pytest.raises(WebhookConfigError) as caught:
        webhook_settings(settings)
    assert message in str(caught.value)


def test_settings_defaults_and_spellings():
    settings = webhook_settings({})
    assert (settings.enabled, settings.timeout, settings.max_attempts, settings.backoff) == (False, 5, 8, 30)
    assert settings.backoff_max == 6 * 3600 and settings.background is True
    settings = webhook_settings({"DIGITAL_SERVICE_WEBHOOK_URL": " HTTPS://hooks.example.go.id/lms ",
                                 "DIGITAL_SERVICE_WEBHOOK_SECRET": 12345,
                                 "DIGITAL_SERVICE_WEBHOOK_BACKGROUND": "off"})
    assert settings.enabled and settings.url == "HTTPS://hooks.example.go.id/lms"
    assert settings.secret == "12345" and settings.background is False


@plugin
def test_settings_come_from_the_environment(request, monkeypatch):
    monkeypatch.setenv("LMS_DIGITAL_SERVICE_WEBHOOK_URL", "https://hooks.example.go.id/lms")
    monkeypatch.setenv("LMS_DIGITAL_SERVICE_WEBHOOK_MAX_ATTEMPTS", "12")
    monkeypatch.setenv("LMS_DIGITAL_SERVICE_WEBHOOK_BACKGROUND", "false")
    app = request.getfixturevalue("lms_app")
    settings = webhook_settings(app.config)
    assert (settings.url, settings.max_attempts, settings.background) == \
        ("https://hooks.example.go.id/lms", 12, False)


# ------------------------------------------------------------------------ migrations


@plugin
def test_db_upgrade_heads_creates_the_outbox_and_matches_the_model(lms_app, lms_runner):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with lms_app.app_context():
        empty_database(db)
    result = lms_runner.invoke(args=["db", "upgrade", "heads"])
    assert result.exit_code == 0, result.output
    with lms_app.app_context():
        inspector = inspect(db.engine)
        assert TABLE in inspector.get_table_names()
        assert {ix["name"] for ix in inspector.get_indexes(TABLE)} >= {
            "ix_digital_service_webhook_deliveries_status_next_attempt_at"}

        def only_ours(obj, name, type_, reflected, compare_to):
            table = obj if type_ == "table" else getattr(obj, "table", None)
            return (name if type_ == "table" else getattr(table, "name", None)) == TABLE

        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "include_object": only_ours})
            assert compare_metadata(context, db.metadata) == []
    result = lms_runner.invoke(args=["db", "downgrade", "digital_service@base"])
    assert result.exit_code == 0, result.output
    with lms_app.app_context():
        assert TABLE not in inspect(db.engine).get_table_names()
        assert "certificates" in inspect(db.engine).get_table_names()  # the core is untouched
    assert lms_runner.invoke(args=["db", "upgrade", "heads"]).exit_code == 0
    with lms_app.app_context():
        assert TABLE in inspect(db.engine).get_table_names()


def test_the_migration_starts_its_own_branch():
    [revision] = (PACKAGE / "migrations").glob("*.py")
    tree = ast.parse(revision.read_text(encoding="utf-8"))
    values = {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body
              if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)}
    assert values["down_revision"] is None and values["branch_labels"] == ("digital_service",)


# ------------------------------------------------------------------------ admin page


def failed_delivery(app) -> int:
    """A delivery that gave up (inserted directly: no background attempt races the test)."""
    now = webhooks.utcnow()
    payload = {"id": "5d0c1f4e-0000-4000-8000-000000000042", "event": webhooks.ISSUED,
               "certificate": {"number": "SMG-2026-000042", "holder_name": "Rina Wulandari",
                               "course_title": "Pengantar SPBE"}}
    with app.app_context():
        delivery = WebhookDelivery(event_id=payload["id"], event=webhooks.ISSUED, payload=payload,
                                   status=FAILED, attempts=8, next_attempt_at=now, created_at=now,
                                   last_status_code=502, last_error="HTTP 502 Bad Gateway")
        db.session.add(delivery)
        db.session.commit()
        return delivery.id


def status_of(app, delivery_id: int) -> str:
    with app.app_context():
        return db.session.scalar(select(WebhookDelivery.status).where(WebhookDelivery.id == delivery_id))


@plugin
@pytest.mark.lms_config(DIGITAL_SERVICE_WEBHOOK_BACKGROUND=False)
def test_only_admins_see_the_page(lms_client, lms_auth, lms_user, receiver):
    anonymous = lms_client.get(PAGE)
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    lms_auth.login(lms_user())
    assert lms_client.get(PAGE).status_code == 403
    assert lms_client.post(f"{PAGE}/1/retry").status_code in (400, 403)
    assert PAGE not in lms_client.get("/").get_data(as_text=True)
    lms_auth.logout()
    lms_auth.login(lms_user("admin"))
    page = lms_client.get(PAGE)
    assert page.status_code == 200
    assert f'href="{PAGE}"' in lms_client.get("/").get_data(as_text=True)  # nav link for admins
    css = "/p/digital_service/static/digital_service.css"
    assert f'href="{css}"' in page.get_data(as_text=True)  # the plugin's own stylesheet
    with lms_client.get(css) as sheet:
        assert sheet.status_code == 200 and sheet.mimetype == "text/css" and b".ds-table-wrap" in sheet.data


@plugin
@pytest.mark.lms_config(DIGITAL_SERVICE_WEBHOOK_SECRET="rahasia")
def test_an_admin_retries_a_failed_delivery(lms_app, lms_client, lms_auth, lms_user, receiver):
    delivery_id = failed_delivery(lms_app)
    lms_auth.login(lms_user("admin"))
    page = lms_client.get(PAGE).get_data(as_text=True)
    # Indonesian by default, from the plugin's own catalog
    assert "Pengiriman webhook" in page and "Coba lagi sekarang" in page and "Gagal (1)" in page
    assert "SMG-2026-000042" in page and "HTTP 502 Bad Gateway" in page
    assert "Permintaan ditandatangani" in page and "127.0.0.1" in page

    retry = f"{PAGE}/{delivery_id}/retry"
    assert lms_client.post(retry).status_code == 400  # no CSRF token
    assert status_of(lms_app, delivery_id) == FAILED
    response = lms_client.submit(retry, form_page=PAGE)
    assert response.status_code == 302 and response.location.endswith(PAGE)
    assert wait_for_deliveries(10)
    assert status_of(lms_app, delivery_id) == DELIVERED
    assert [body["certificate"]["number"] for body in receiver.bodies()] == ["SMG-2026-000042"]
    page = lms_client.get(PAGE).get_data(as_text=True)
    assert "akan dicoba lagi sekarang" in page and "Terkirim (1)" in page

    again = lms_client.submit(retry, form_page=PAGE, follow_redirects=True)
    assert "tidak dapat diulang" in again.get_data(as_text=True)
    assert len(receiver.requests) == 1


@plugin
@pytest.mark.lms_config(DIGITAL_SERVICE_WEBHOOK_MAX_ATTEMPTS=1, DIGITAL_SERVICE_WEBHOOK_BACKGROUND=False)
def test_a_retried_failure_gets_one_more_attempt(lms_app, lms_runner, receiver):
    receiver.default = 500
    delivery_id = failed_delivery(lms_app)
    with lms_app.app_context():
        assert webhooks.retry_now(delivery_id) is True
    assert status_of(lms_app, delivery_id) == PENDING
    assert "1 attempted, 0 delivered, 0 to retry, 1 failed" in \
        lms_runner.invoke(args=["lms", "digital-service-deliver"]).output
    assert status_of(lms_app, delivery_id) == FAILED


@plugin
def test_the_page_says_when_webhooks_are_off(lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user("admin"))
    page = lms_client.get(PAGE).get_data(as_text=True)
    assert "Pengiriman webhook nonaktif" in page and "Belum ada pengiriman." in page


# --------------------------------------------------------------------------- catalog


def test_every_message_has_an_indonesian_translation():
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    method_map = [("lms_digital_service/**.py", "python"),
                  ("lms_digital_service/templates/**.html", "jinja2")]
    keywords = {"_": None, "_l": None, "_n": (1, 2), "ds_": None, "ds_n": (1, 2)}
    found = {message[2] if isinstance(message[2], str) else message[2][0]
             for message in extract_from_dir(str(PACKAGE.parent), method_map, keywords=keywords)}
    po = PACKAGE / "translations" / "id" / "LC_MESSAGES" / "lms_digital_service.po"
    with po.open("rb") as source:
        catalog = read_po(source)
    translated = {(m.id if isinstance(m.id, str) else m.id[0]) for m in catalog
                  if m.id and all(m.string if isinstance(m.string, tuple) else [m.string])}
    assert len(found) > 15
    assert found - translated == set()
