"""Course packages uploaded in the browser are imported by a background job.

A large package (a SCORM course with video, say) takes longer to check and store than a
request should last, so the upload is kept in the file storage, recorded as a
``PackageImport`` and handed to the job runner (RQ with Redis, else a thread of this
process; tests run it eagerly). The author watches ``/author/imports/<uid>``. The job
claims the record with a guarded UPDATE, so a job delivered twice imports once, and the
upload is deleted once the job has finished with it, whatever the outcome.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets

from sqlalchemy import select, update

from lms import jobs
from lms.database import db
from lms.models import ImportStatus, PackageImport, User
from lms.storage import StorageFull, storage

log = logging.getLogger(__name__)

#: A queued import not started after this long has lost its job: the worker queues it again.
STALE_QUEUED = dt.timedelta(minutes=2)
#: A running import older than this was interrupted (worker killed): it is marked failed.
STALE_RUNNING = dt.timedelta(minutes=30)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def submit(data: bytes, filename: str, uploader: User) -> PackageImport:
    """Keep the upload and queue its import (the job starts after this request commits)."""
    uid = secrets.token_hex(16)
    blob = f"imports/{uid}.zip"
    storage().write(blob, data)
    record = PackageImport(uid=uid, uploader_id=uploader.id, filename=(filename or "package.zip")[:255],
                           size=len(data), blob=blob, status=ImportStatus.QUEUED, problems=[])
    db.session.add(record)
    try:
        db.session.commit()
    except Exception:
        storage().delete(blob)
        raise
    jobs.enqueue(run, record.id, key=f"package-import.{record.id}")
    return record


def find(uid: str, user: User) -> PackageImport | None:
    """The import if `user` uploaded it (admins see every one); None otherwise."""
    record = db.session.scalar(select(PackageImport).where(PackageImport.uid == uid))
    if record is None or (record.uploader_id != user.id and not user.has_role("admin")):
        return None
    return record


def run(import_id: int) -> str:
    """The job: import the stored upload as a draft version; returns the final status."""
    from lms.services import packages
    from lms.services.courses import PackageInvalid

    if not _claim(import_id):
        return "skipped"  # finished already, or another delivery of this job is on it
    record = db.session.get(PackageImport, import_id)
    uploader = db.session.get(User, record.uploader_id)
    try:
        data = storage().read(record.blob)
        record.status, record.finished_at = ImportStatus.DONE, now()  # committed with the version
        version = packages.import_upload(data, record.filename, uploader)
        record.version_id = version.id
        db.session.commit()
    except PackageInvalid as exc:
        _fail(import_id, "invalid", [str(problem) for problem in exc.problems])
    except packages.NotYourCourse as exc:
        _fail(import_id, "forbidden", [], str(exc))
    except StorageFull:  # its blobs are removed already; the author can try again once there is room
        log.error("package import %s: the file storage is full", import_id)
        _fail(import_id, "storage_full", [], "the file storage is full")
    except Exception:
        log.exception("package import %s failed", import_id)
        _fail(import_id, "error", [], "unexpected error")
    finally:
        _drop_upload(import_id)
    return db.session.scalar(select(PackageImport.status).where(PackageImport.id == import_id)).value


def _claim(import_id: int) -> bool:
    claimed = db.session.scalar(
        update(PackageImport).where(PackageImport.id == import_id, PackageImport.status == ImportStatus.QUEUED)
        .values(status=ImportStatus.RUNNING, started_at=now()).returning(PackageImport.id)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return claimed is not None


def _fail(import_id: int, error: str, problems: list[str], message: str = "") -> None:
    db.session.rollback()
    db.session.execute(update(PackageImport).where(PackageImport.id == import_id).values(
        status=ImportStatus.FAILED, error=error, problems=problems, message=message[:500],
        finished_at=now()).execution_options(synchronize_session=False))
    db.session.commit()


def _drop_upload(import_id: int) -> None:
    """The upload is not needed once the job is done with it (a failed one is re-uploaded)."""
    record = db.session.get(PackageImport, import_id)
    if record is not None and record.blob:
        storage().delete(record.blob)
        record.blob = None
        db.session.commit()


def resume_stale(moment: dt.datetime | None = None) -> int:
    """Periodic job: queue again imports whose job was lost; fail those left running by a
    killed worker (their author is told to upload again). Returns how many it touched."""
    moment = moment or now()
    lost = list(db.session.scalars(select(PackageImport.id).where(
        PackageImport.status == ImportStatus.QUEUED, PackageImport.created_at < moment - STALE_QUEUED)))
    for import_id in lost:
        jobs.enqueue(run, import_id, key=f"package-import.{import_id}")
    interrupted = list(db.session.scalars(select(PackageImport.id).where(
        PackageImport.status == ImportStatus.RUNNING, PackageImport.started_at < moment - STALE_RUNNING)))
    for import_id in interrupted:
        _fail(import_id, "error", [], "interrupted")
        _drop_upload(import_id)
    return len(lost) + len(interrupted)
