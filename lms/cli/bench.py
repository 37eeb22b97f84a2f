"""Benchmark data: `flask lms bench-data` (stub; being written)."""
from __future__ import annotations

COMMANDS: list = []
