"""Many certificates as one ZIP, streamed: a unit's (unit admins) or a course's (its authors).

The archive is written while it is sent: certificates are read in batches by id, each PDF
comes from storage (the signed copy when there is one; a missing PDF is rendered and kept),
and the ZIP writer hands out its bytes after every file, so memory stays at one PDF and one
batch whatever the number of certificates. An ``index.csv`` at the end lists every file with
its holder, course, dates, status and SHA-256. PDFs are stored, not deflated (they are
compressed already).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import extract, select

from lms.database import db
from lms.models import Certificate, CertificateStatus, Course, Unit, User
from lms.services import certificate_lifecycle, certificates

#: Certificates read per query while streaming.
BATCH = 100


@dataclass(frozen=True)
class ArchiveScope:
    """Which certificates: of a course, or of the people of a unit subtree; optionally of
    one year of issue. Revoked certificates are left out (renewed ones stay, as history)."""

    course: Course | None = None
    unit: Unit | None = None
    year: int | None = None

    def conditions(self) -> list:
        found = [Certificate.status != CertificateStatus.REVOKED]
        if self.course is not None:
            found.append(Certificate.course_id == self.course.id)
        if self.unit is not None:
            found.append(Certificate.user_id.in_(select(User.id).where(User.unit_id.in_(
                select(Unit.id).where(Unit.path.startswith(self.unit.path))))))
        if self.year is not None:
            found.append(extract("year", Certificate.issued_at) == self.year)
        return found

    def filename(self) -> str:
        what = self.course.slug if self.course is not None else (self.unit.code if self.unit else "semua")
        return f"sertifikat-{_safe(what)}{f'-{self.year}' if self.year else ''}.zip"


def count(scope: ArchiveScope) -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count(Certificate.id)).where(*scope.conditions()))


def _safe(text: str, limit: int = 60) -> str:
    """A file-name-safe ASCII rendering of a name (accents dropped, other scripts removed)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")[:limit] or "x"


class _Pipe(io.RawIOBase):
    """A write-only stream whose bytes are collected until the generator takes them."""

    def __init__(self):
        self.chunks: list[bytes] = []
        self.offset = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:  # zipfile asks for positions; it never seeks a non-seekable stream
        return self.offset

    def take(self) -> bytes:
        out, self.chunks = b"".join(self.chunks), []
        return out


def _batches(scope: ArchiveScope) -> Iterator[list[Certificate]]:
    after = 0
    while True:
        batch = list(db.session.scalars(select(Certificate).where(*scope.conditions(), Certificate.id > after)
                                        .order_by(Certificate.id).limit(BATCH)))
        if not batch:
            return
        after = batch[-1].id
        yield batch


def stream(scope: ArchiveScope) -> Iterator[bytes]:
    """The ZIP's bytes, piece by piece (run inside an app context: stream_with_context)."""
    pipe = _Pipe()
    index = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # on disk, not in memory
    try:
        index.write("\ufeff")  # spreadsheet programs then read the names as UTF-8
        rows = csv.writer(index)
        rows.writerow(["file", "number", "holder_name", "holder_nip", "course", "completed_on", "issued_on",
                       "expires_on", "state", "pdf_sha256", "signed_pdf_sha256", "verify_url"])
        today = certificate_lifecycle.today()
        with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_STORED) as archive:
            for batch in _batches(scope):
                for certificate in batch:
                    name = f"{_safe(certificate.number, 40)}-{_safe(certificate.holder_name)}.pdf"
                    archive.writestr(zipfile.ZipInfo(name, date_time=_zip_time(certificate.issued_at)),
                                     certificates.download(certificate))
                    rows.writerow([name, certificate.number, certificate.holder_name, certificate.holder_nip,
                                   certificate.course_title, certificate.completed_on.isoformat(),
                                   certificates.local_date(certificate.issued_at).isoformat(),
                                   certificate.expires_on.isoformat() if certificate.expires_on else "",
                                   certificate_lifecycle.state(certificate, today),
                                   certificate.pdf_sha256 or "", certificate.signed_sha256 or "",
                                   certificates.verify_url(certificate)])
                    yield pipe.take()
                db.session.expunge_all()  # keep the session (and memory) to one batch
            index.seek(0)
            info = zipfile.ZipInfo("index.csv", date_time=_zip_time(dt.datetime.now(dt.UTC)))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as target:
                while text := index.read(65536):
                    target.write(text.encode("utf-8"))
                    yield pipe.take()
        yield pipe.take()
    finally:
        index.close()


def _zip_time(moment: dt.datetime) -> tuple:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return moment.timetuple()[:6]
