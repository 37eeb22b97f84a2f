"""Files a course version ships with (images, PDFs, audio, video from the package's assets/).

A row names a file of one version by its package path ("assets/img/peta.png"); the bytes
live once in storage under their SHA-256 (content-addressed), so re-importing a package or
copying a version into a draft adds rows, never duplicate bytes.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import db
from lms.models.courses import CourseVersion


class Asset(db.Model):
    __tablename__ = "course_assets"
    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"),
                                            index=True)
    #: Path inside the package, as lessons reference it: "assets/..." (same limit as member names).
    path: Mapped[str] = mapped_column(String(255))
    #: Decided at import from the checked content and extension; sent as the Content-Type.
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    #: Hex SHA-256 of the bytes: the storage key, and the ETag.
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    version: Mapped[CourseVersion] = relationship()

    def __repr__(self) -> str:
        return f"<Asset {self.version_id}:{self.path}>"
