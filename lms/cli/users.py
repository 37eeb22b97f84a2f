"""Users in bulk: import from CSV."""
from __future__ import annotations

COMMANDS: list = []
