"""The core certificate design, registered through the public hook."""
from __future__ import annotations

from lms.certificates.pdf import ClassicTemplate
from lms.hookspecs import LMS_PLUGIN_API, hookimpl

lms_api = LMS_PLUGIN_API


@hookimpl
def register_certificate_templates():
    return [ClassicTemplate()]
