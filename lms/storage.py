"""File storage behind one small interface (local directory now; shared storage later).

Paths are relative, slash-separated and checked: nothing escapes the storage root.
Writes are atomic (temp file + rename), so a reader never sees half a file.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath

from flask import current_app


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
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)


def storage() -> LocalStorage:
    """The app's storage: STORAGE_DIR, or instance/storage."""
    root = current_app.config.get("STORAGE_DIR") or os.path.join(current_app.instance_path, "storage")
    return LocalStorage(Path(root))
