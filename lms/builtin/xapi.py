"""xAPI statements for learning events, sent to a configured LRS through the react hooks."""
from __future__ import annotations

from lms.hookspecs import LMS_PLUGIN_API

lms_api = LMS_PLUGIN_API
