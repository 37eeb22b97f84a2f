"""Notifications: sending queued mail, deadline reminders."""
from __future__ import annotations

COMMANDS: list = []
