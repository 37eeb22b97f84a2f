"""Reports from the shell: JP compliance."""
from __future__ import annotations

COMMANDS: list = []
