"""Mail to learners about their certificates, through the public react hook.

The certificate is committed before react hooks run, so the message is queued in its own
small transaction right after; should that fail, the host logs it and the certificate
stands (learners can always download it from /me/certificates).
"""
from __future__ import annotations

from lms.hookspecs import LMS_PLUGIN_API, hookimpl

lms_api = LMS_PLUGIN_API


@hookimpl
def certificate_issued(certificate):
    from lms.services import notifications

    if notifications.queue_certificate(certificate) is not None:
        notifications.kick()
