"""SCORM 1.2 lessons: the ``scorm`` lesson type, registered through the public hook."""
from __future__ import annotations

from lms.hookspecs import LMS_PLUGIN_API

lms_api = LMS_PLUGIN_API
