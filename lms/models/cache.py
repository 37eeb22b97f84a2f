"""Generations of the shared cache (lms/cache.py): one row per scope, bumped on change."""
from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.database import db


class CacheGeneration(db.Model):
    """A scope's current generation; cache keys carry it, so bumping it retires them all."""

    __tablename__ = "cache_generations"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
