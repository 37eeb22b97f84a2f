"""Render a new certificate's PDF in the background, so the learner's first download is
served from storage instead of waiting for fonts to be subset (CERT_PRERENDER)."""
from __future__ import annotations

from flask import current_app

from lms.hookspecs import LMS_PLUGIN_API, hookimpl

lms_api = LMS_PLUGIN_API


@hookimpl
def certificate_issued(certificate):
    if current_app.config.get("CERT_PRERENDER"):
        from lms import jobs
        from lms.services import certificates

        jobs.enqueue(certificates.render_pdf, certificate.id)
