"""Render a new certificate's PDF in the background, so the learner's first download is
served from storage instead of waiting for fonts to be subset (CERT_PRERENDER), and have it
signed electronically when a plugin implements ``sign_certificate_pdf``."""
from __future__ import annotations

from flask import current_app

from lms.hookspecs import LMS_PLUGIN_API, hookimpl

lms_api = LMS_PLUGIN_API


@hookimpl
def certificate_issued(certificate):
    from lms.services import certificate_lifecycle

    # Signing (sign_certificate_pdf) renders first; without a signer, pre-render if asked.
    if current_app.config.get("CERT_PRERENDER") or certificate_lifecycle.signers():
        from lms import jobs

        jobs.enqueue(certificate_lifecycle.after_issue, certificate.id)
