"""lms-digital-service: SPBE curricula and certificate webhooks for ASN LMS.

Bundled plugin (entry point ``digital_service`` in group ``lms.plugins``), written only
against the public plugin API (``lms.plugin``, ``lms.hookspecs``). It contributes:

* three course packages in ``curricula/`` (``ds-pengantar-spbe``,
  ``ds-desain-layanan-digital``, ``ds-pengaduan-dan-layanan-responsif``);
* certificate webhooks: ``certificate.issued`` / ``certificate.revoked`` events POSTed as
  signed JSON to ``DIGITAL_SERVICE_WEBHOOK_URL`` through an outbox table, with retries
  (``webhooks``), the ``flask lms digital-service-deliver`` command and an admin page at
  ``/p/digital_service/webhooks``. With a job queue (``flask lms worker``) the first attempt
  and the retries run in the worker (``periodic_jobs``), without cron.
"""
from __future__ import annotations

from pathlib import Path

from lms.plugin import hookimpl

from lms_digital_service.hooks import (certificate_issued, certificate_revoked, config_defaults,
                                       migrations_dirs, nav_items, periodic_jobs,
                                       register_blueprints, register_commands, startup)
from lms_digital_service.webhooks import wait_for_deliveries

__version__ = "0.2.0"

#: The plugin API version this plugin was written for.
lms_api = "1.3"

#: The bundled course packages (lms-course/1 folders), one folder per course slug.
CURRICULA_DIR = Path(__file__).parent / "curricula"

__all__ = ["certificate_issued", "certificate_revoked", "config_defaults", "curricula",
           "migrations_dirs", "nav_items", "periodic_jobs", "register_blueprints", "register_commands",
           "register_curricula", "startup", "wait_for_deliveries"]


def curricula() -> list[Path]:
    """The bundled course package folders, sorted by slug."""
    return sorted(p for p in CURRICULA_DIR.iterdir() if (p / "course.yaml").is_file())


@hookimpl
def register_curricula():
    """The three digital-service courses, installed by ``flask lms install-curricula``."""
    return curricula()
