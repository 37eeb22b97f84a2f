"""Package imports waiting for, or done by, the background job runner."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import db, str_enum


class ImportStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class PackageImport(db.Model):
    """One uploaded course package: stored, then imported by a job; the author watches its
    status page. The upload itself is deleted once the job has finished with it."""

    __tablename__ = "package_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The public id in the status page's URL (unguessable: one author's uploads are theirs).
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    #: Where the upload waits in the file storage until the job has read it.
    blob: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[ImportStatus] = mapped_column(str_enum(ImportStatus), default=ImportStatus.QUEUED, index=True)
    #: Problems that refused the package: [{"file", "where", "message"}]; or a single message.
    problems: Mapped[list] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(String(500), default="")
    #: Why it failed: "invalid" (the package's problems), "forbidden" (another author's
    #: course), "storage_full" (no room for its files) or "error" (the server's fault; logged).
    error: Mapped[str] = mapped_column(String(20), default="")
    version_id: Mapped[int | None] = mapped_column(ForeignKey("course_versions.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    version = relationship("CourseVersion")

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)
