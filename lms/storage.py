"""File storage behind one small interface (local directory now; shared storage later).

Paths are relative, slash-separated and checked: nothing escapes the storage root.
Writes are atomic (temp file + rename), so a reader never sees half a file.
"""
from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path, PurePosixPath

from flask import current_app

#: errno values meaning "no room left": the disk, or the account's quota, is full.
FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class StorageFull(OSError):
    """A write failed for lack of space; the partial file is gone already.

    An OSError still (callers that handle any I/O error keep working), raised apart so the
    web layer can answer 507 with a message instead of a 500.
    """


class LocalStorage:
    def __init__(self, root: Path):
        self.root = root.resolve()

    def _path(self, name: str) -> Path:
        parts = PurePosixPath(name).parts
        if not parts or PurePosixPath(name).is_absolute() or ".." in parts or "\\" in name:
            raise ValueError(f"invalid storage path {name!r}")
        return self.root.joinpath(*parts)

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def read(self, name: str) -> bytes:
        return self._path(name).read_bytes()

    def write(self, name: str, data: bytes) -> None:
        target = self._path(name)
        tmp = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:  # a full disk may only show when this closes
                fh.write(data)
            os.replace(tmp, target)
        except BaseException as exc:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError) and not isinstance(exc, StorageFull) and exc.errno in FULL:
                raise StorageFull(exc.errno, f"storage full while writing {name}") from exc
            raise

    def open(self, name: str):
        """The stored file opened for reading (binary): a large file is streamed, not read whole."""
        return self._path(name).open("rb")

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)


def storage() -> LocalStorage:
    """The app's storage: STORAGE_DIR, or instance/storage."""
    root = current_app.config.get("STORAGE_DIR") or os.path.join(current_app.instance_path, "storage")
    return LocalStorage(Path(root))
