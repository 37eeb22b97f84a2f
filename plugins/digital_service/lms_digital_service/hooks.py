"""Hook implementations of the webhook feature (re-exported by the package module)."""
from __future__ import annotations

from pathlib import Path

from lms.plugin import NavItem, hookimpl

from lms_digital_service import webhooks
from lms_digital_service.i18n import _l
from lms_digital_service.settings import DEFAULTS, webhook_settings


@hookimpl
def config_defaults():
    """DIGITAL_SERVICE_WEBHOOK_* (see settings.DEFAULTS); URL empty = webhooks off."""
    return dict(DEFAULTS)


@hookimpl
def startup(app):
    """Refuse to start with an unusable webhook configuration (e.g. an ftp:// URL).

    Failing loudly beats silently dropping certificate events an operator asked for; the
    exception names the key at fault. An empty URL is fine: the feature is off.
    """
    webhook_settings(app.config)


@hookimpl
def migrations_dirs():
    return [("digital_service", str(Path(__file__).parent / "migrations"))]


@hookimpl
def register_blueprints(app):
    from lms_digital_service.views import bp

    return [bp]


@hookimpl
def register_commands(cli):
    from lms_digital_service.cli import deliver_command

    cli.add_command(deliver_command)


@hookimpl
def nav_items(user):
    if user.is_authenticated and user.has_role("admin"):
        return [NavItem(_l("Webhooks"), "digital_service.webhooks_page", weight=95)]
    return []


@hookimpl
def periodic_jobs():
    """With `flask lms worker`, due deliveries are retried without cron."""
    from lms.plugin import PeriodicJob

    return [PeriodicJob(webhooks.deliver_due, seconds=60)]


@hookimpl
def certificate_issued(certificate):
    """Queue ``certificate.issued`` (insert + commit); the first attempt runs in a thread."""
    if webhooks.current_settings().enabled:
        webhooks.record(webhooks.ISSUED, webhooks.issued_payload(certificate))


@hookimpl
def certificate_revoked(certificate, reason):
    """Queue ``certificate.revoked`` with the reason and, for a re-issue, the new number."""
    if webhooks.current_settings().enabled:
        webhooks.record(webhooks.REVOKED, webhooks.revoked_payload(certificate, reason))
