"""Backups: the whole site (database rows + stored files) in one signed, portable zip.

Layout of a backup (format ``lms-backup`` version 1)::

    manifest.json        format, schema revision(s), created_at, per-table columns and row
                         counts, size and SHA-256 of every other member
    manifest.sig         HMAC-SHA256 of manifest.json under LMS_BACKUP_KEY (else SECRET_KEY)
    db/<table>.jsonl     one JSON array per row, in the manifest's column order
    files/<path>         every file under the storage root, byte for byte

Rows are written as plain JSON values (dates as ISO text, bytes as base64, enums as their
values) and read back through the *target's* column types, so a SQLite backup restores
into PostgreSQL. A restore checks everything first (archive limits, member names and types,
signature, checksums, schema revision, tables and columns, an empty target) and writes
nothing when any check fails; then it inserts every row in one transaction, places the files
and commits, undoing the files if the commit fails.
"""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import hashlib
import hmac
import json
import os
import secrets
import shutil
import stat
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import (JSON, Boolean, Date, DateTime, Float, Integer, Interval, LargeBinary,
                        Numeric, Table, Time, TypeDecorator, bindparam, func, inspect, select,
                        text)
from sqlalchemy.engine import Connection

from lms.database import db
from lms.errors import LmsError
from lms.storage import storage

FORMAT = "lms-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
DB_DIR = "db/"
FILES_DIR = "files/"
#: Work folders a restore makes inside the storage root; never part of a backup.
WORK_PREFIX = ".restore-"
#: In-flight atomic writes of lms.storage; never part of a backup.
TEMP_PREFIX = ".tmp-"
#: Cache bookkeeping, not data: left out of backups, bumped (never restored) on restore.
DERIVED_TABLES = frozenset({"cache_generations"})
#: Limits on what a restore will open (settings BACKUP_MAX_*; the archive may lie about sizes,
#: so reads are capped too).
DEFAULT_LIMITS = {"BACKUP_MAX_ARCHIVE_BYTES": 64 * 1024**3, "BACKUP_MAX_BYTES": 256 * 1024**3,
                  "BACKUP_MAX_MEMBERS": 500_000}
MANIFEST_MAX_BYTES = 64 * 1024 * 1024
BATCH = 1000
CHUNK = 1024 * 1024


class BackupRefused(LmsError):
    """A backup cannot be made or restored; the message says why in one line."""


@dataclass
class Summary:
    """What a backup holds or a restore wrote."""

    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0
    file_bytes: int = 0

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


# ------------------------------------------------------------------ keys and schema


def backup_key() -> bytes:
    """The HMAC key: BACKUP_KEY if set (so SECRET_KEY can rotate), else SECRET_KEY."""
    key = current_app.config.get("BACKUP_KEY") or current_app.config.get("SECRET_KEY")
    if not key:
        raise BackupRefused("no key to sign backups: set LMS_BACKUP_KEY (or LMS_SECRET_KEY)")
    return bytes(key) if isinstance(key, (bytes, bytearray)) else str(key).encode()


def sign(manifest_bytes: bytes) -> str:
    return hmac.new(backup_key(), manifest_bytes, hashlib.sha256).hexdigest()


def code_heads() -> list[str]:
    """The migration heads this installation's code (core + enabled plugins) ends at."""
    from alembic.script import ScriptDirectory

    config = current_app.extensions["migrate"].migrate.get_config()
    return sorted(ScriptDirectory.from_config(config).get_heads())


def database_revisions(conn: Connection) -> list[str] | None:
    """The revisions recorded in alembic_version, or None for a schema made by create_all."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def schema_revisions(conn: Connection) -> list[str]:
    """The database's revisions, refused unless they are the code's heads (data and models
    must agree, or rows would not fit the tables)."""
    heads, recorded = code_heads(), database_revisions(conn)
    if recorded is not None and recorded != heads:
        raise BackupRefused(f"the database is at schema revision {', '.join(recorded) or 'none'} "
                            f"but this installation is at {', '.join(heads)}; "
                            "run `flask db upgrade` first")
    return heads


def data_tables(conn: Connection) -> list[Table]:
    """Tables known to the models and present in the database, parents before children."""
    present = set(inspect(conn).get_table_names())
    return [t for t in db.metadata.sorted_tables if t.name in present and t.name not in DERIVED_TABLES]


# ------------------------------------------------------------------ values


def encode(value):
    """A column value as plain JSON (the matching decoder is chosen by the target column)."""
    if value is None or isinstance(value, (bool, int, float, str, dict, list)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime) and value.utcoffset() is not None:
        return value.astimezone(dt.timezone.utc).isoformat()  # one clock whatever the session's zone
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, uuid.UUID):
        return str(value)
    raise BackupRefused(f"cannot back up a value of type {type(value).__name__}")


def decoder(column) -> Callable:
    """Turn a JSON value back into what `column` takes (checked, so bad data is refused)."""
    kind = column.type
    if isinstance(kind, TypeDecorator) and not isinstance(kind, Interval):  # Interval wraps DateTime
        kind = kind.impl_instance
    checks: list[tuple[type, Callable]] = [
        (JSON, lambda v: v), (DateTime, _datetime(kind)), (Date, dt.date.fromisoformat),
        (Time, dt.time.fromisoformat), (Interval, lambda v: dt.timedelta(seconds=float(v))),
        (LargeBinary, lambda v: base64.b64decode(v, validate=True)), (Float, float),
        (Numeric, lambda v: decimal.Decimal(str(v))), (Boolean, _boolean), (Integer, _integer)]
    for type_, convert in checks:
        if isinstance(kind, type_):
            return convert
    return lambda v: v


def _datetime(kind: DateTime) -> Callable:
    """ISO text to datetime; naive times (SQLite keeps no zone) are UTC in zone-aware columns."""
    def convert(value: str) -> dt.datetime:
        moment = dt.datetime.fromisoformat(value)
        if kind.timezone and moment.tzinfo is None:
            return moment.replace(tzinfo=dt.timezone.utc)
        return moment
    return convert


def _boolean(value) -> bool:
    if not isinstance(value, bool):
        raise ValueError("not a boolean")
    return value


def _integer(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("not an integer")
    return value


# ------------------------------------------------------------------ making a backup


def storage_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(relative posix name, path) of every regular file under the storage root, skipping
    restore work folders and half-written temp files."""
    if not root.is_dir():
        return
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not (here == root and d.startswith(WORK_PREFIX))
                         and not (here / d).is_symlink())
        for name in sorted(names):
            path = here / name
            if name.startswith(TEMP_PREFIX) or not stat.S_ISREG(path.lstat().st_mode):
                continue
            yield path.relative_to(root).as_posix(), path


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, dt.datetime.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def _write_table(archive: zipfile.ZipFile, conn: Connection, table: Table) -> dict:
    """Stream one table's rows into db/<table>.jsonl; its manifest entries."""
    name, digest, size, rows = f"{DB_DIR}{table.name}.jsonl", hashlib.sha256(), 0, 0
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
        select(table).order_by(*order))
    with archive.open(_member(name), "w", force_zip64=True) as out:
        for row in result:
            line = (json.dumps([encode(v) for v in row], ensure_ascii=False,
                               separators=(",", ":")) + "\n").encode()
            out.write(line)
            digest.update(line)
            size += len(line)
            rows += 1
    return {"member": {"sha256": digest.hexdigest(), "size": size}, "name": name,
            "table": {"columns": [c.name for c in table.columns], "rows": rows}}


def _write_file(archive: zipfile.ZipFile, rel: str, path: Path) -> tuple[str, dict]:
    name, digest, size = FILES_DIR + rel, hashlib.sha256(), 0
    with path.open("rb") as src, archive.open(_member(name), "w", force_zip64=True) as out:
        while chunk := src.read(CHUNK):
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    return name, {"sha256": digest.hexdigest(), "size": size}


def create_backup(target: Path, *, overwrite: bool = False) -> Summary:
    """Write the site to `target` (a zip), atomically: a failed backup leaves no file."""
    target = Path(target)
    if target.exists() and not overwrite:
        raise BackupRefused(f"{target} already exists; use --force to overwrite it")
    backup_key()  # refuse before any work when there is no key
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        summary = _write_archive(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return summary


def _write_archive(path: Path) -> Summary:
    """Rows from one consistent snapshot, then the files, then the signed manifest."""
    summary, members, tables = Summary(), {}, {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        with db.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                revisions = schema_revisions(conn)
                dialect = conn.dialect.name
                for table in data_tables(conn):
                    entry = _write_table(archive, conn, table)
                    members[entry["name"]], tables[table.name] = entry["member"], entry["table"]
                    summary.tables[table.name] = entry["table"]["rows"]
        for rel, file in storage_files(storage().root):
            name, member = _write_file(archive, rel, file)
            members[name] = member
            summary.files += 1
            summary.file_bytes += member["size"]
        manifest = {"format": FORMAT, "version": FORMAT_VERSION,
                    "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                    "app": _app_version(), "revisions": revisions, "dialect": dialect,
                    "tables": tables,
                    "files": summary.files, "members": members}
        body = json.dumps(manifest, indent=1, sort_keys=True).encode()
        archive.writestr(_member(MANIFEST), body)
        archive.writestr(_member(SIGNATURE), sign(body) + "\n")
    return summary


def _app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lms")
    except PackageNotFoundError:
        return "unknown"


# ------------------------------------------------------------------ checking a backup


def _limit(name: str) -> int:
    return int(current_app.config.get(name) or DEFAULT_LIMITS[name])


def _kind(info: zipfile.ZipInfo) -> str | None:
    """Why a member is not a plain file (directory, symlink, device...), or None."""
    mode = info.external_attr >> 16
    if info.is_dir():
        return "a directory"
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        return "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file (device, pipe...)"
    return None


def safe_relative(name: str) -> bool:
    """A plain relative slash path with no `..`, no empty or dot parts, no drive, no NUL."""
    if not name or name.startswith("/") or "\\" in name or "\x00" in name or ":" in name.split("/")[0]:
        return False
    parts = name.split("/")
    return all(part not in ("", ".", "..") for part in parts)


def _check_names(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse unsafe, odd or duplicate member names and anything but plain files."""
    seen = set()
    for info in infos:
        name, kind = info.filename, _kind(info)
        if kind:
            raise BackupRefused(f"member {name!r} is {kind}; only plain files are allowed")
        if not safe_relative(name):
            raise BackupRefused(f"member {name!r} has an unsafe path (absolute, `..` or odd)")
        if name in seen:
            raise BackupRefused(f"member {name!r} appears twice")
        seen.add(name)
        if name not in (MANIFEST, SIGNATURE) and not name.startswith((DB_DIR, FILES_DIR)):
            raise BackupRefused(f"member {name!r} is not part of an LMS backup")


def read_capped(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """A member's bytes, refusing more than `limit` whatever its header claims."""
    with archive.open(name) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise BackupRefused(f"member {name!r} is larger than allowed")
    return data


def open_archive(path: Path) -> zipfile.ZipFile:
    """Open the zip, refusing garbage, truncation and zip-bomb sized or crowded archives."""
    path = Path(path)
    if not path.is_file():
        raise BackupRefused(f"{path}: no such file")
    if path.stat().st_size > _limit("BACKUP_MAX_ARCHIVE_BYTES"):
        raise BackupRefused(f"{path} is larger than BACKUP_MAX_ARCHIVE_BYTES")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BackupRefused(f"{path} is not a readable LMS backup (not a complete zip archive: "
                            f"{exc})") from None
    infos = archive.infolist()
    try:
        if len(infos) > _limit("BACKUP_MAX_MEMBERS"):
            raise BackupRefused(f"{path} has {len(infos)} members, more than BACKUP_MAX_MEMBERS")
        if sum(i.file_size for i in infos) > _limit("BACKUP_MAX_BYTES"):
            raise BackupRefused(f"{path} unpacks to more than BACKUP_MAX_BYTES")
        _check_names(infos)
    except BackupRefused:
        archive.close()
        raise
    return archive


def read_manifest(archive: zipfile.ZipFile) -> dict:
    """The manifest, once its signature proves it is the one the backup was made with."""
    names = set(archive.namelist())
    if MANIFEST not in names or SIGNATURE not in names:
        raise BackupRefused("not an LMS backup: manifest.json or manifest.sig is missing")
    body = read_capped(archive, MANIFEST, MANIFEST_MAX_BYTES)
    signature = read_capped(archive, SIGNATURE, 1024).decode("ascii", "replace").strip()
    if not hmac.compare_digest(signature, sign(body)):
        raise BackupRefused("the backup's signature does not match: it was changed after it was "
                            "made, or made with another key (LMS_BACKUP_KEY / SECRET_KEY)")
    try:
        manifest = json.loads(body)
    except ValueError:
        raise BackupRefused("manifest.json is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused("not an LMS backup (manifest format is not lms-backup)")
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupRefused(f"backup format version {manifest.get('version')!r} is not supported "
                            f"(this installation reads version {FORMAT_VERSION})")
    return manifest


def _stream(archive: zipfile.ZipFile, name: str, expected: dict) -> Iterator[bytes]:
    """A member's chunks, checked against its manifest size and SHA-256 once read whole."""
    digest, size = hashlib.sha256(), 0
    try:
        with archive.open(name) as member:
            while chunk := member.read(CHUNK):
                size += len(chunk)
                if size > expected["size"]:
                    raise BackupRefused(f"checksum mismatch for {name!r} (larger than recorded)")
                digest.update(chunk)
                yield chunk
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise BackupRefused(f"member {name!r} cannot be read: {exc}") from None
    if size != expected["size"] or not hmac.compare_digest(digest.hexdigest(), expected["sha256"]):
        raise BackupRefused(f"checksum mismatch for {name!r}: the backup is damaged or was changed")


def verify_members(archive: zipfile.ZipFile, manifest: dict) -> None:
    """Every member is listed in the manifest, every listed member is there with its hash."""
    members = manifest.get("members")
    if not isinstance(members, dict):
        raise BackupRefused("manifest lists no members")
    present = set(archive.namelist()) - {MANIFEST, SIGNATURE}
    for name in sorted(present - set(members))[:1]:
        raise BackupRefused(f"member {name!r} is not listed in the manifest")
    for name in sorted(set(members) - present)[:1]:
        raise BackupRefused(f"member {name!r} listed in the manifest is missing")
    for name, entry in sorted(members.items()):
        if not (isinstance(entry, dict) and isinstance(entry.get("sha256"), str)
                and isinstance(entry.get("size"), int)):
            raise BackupRefused(f"manifest entry for {name!r} is malformed")
        for _chunk in _stream(archive, name, members[name]):
            pass


@dataclass
class Plan:
    """What a checked backup will write: tables (in insert order) with their columns, files."""

    tables: list[tuple[Table, list[str]]]
    clear: list[Table]
    files: dict[str, str]  # member name -> relative storage path


def plan_restore(conn: Connection, manifest: dict, root: Path, force: bool) -> Plan:
    """Check the backup fits this installation and the target; refuse otherwise."""
    heads, recorded = code_heads(), database_revisions(conn)
    if manifest.get("revisions") != heads:
        raise BackupRefused(f"the backup is at schema revision {', '.join(manifest.get('revisions') or [])} "
                            f"but this installation is at {', '.join(heads)}; install the same "
                            "version (with the same plugins) and run `flask db upgrade` first")
    if recorded is not None and recorded != heads:
        raise BackupRefused(f"the target database is at revision {', '.join(recorded) or 'none'}, "
                            f"not {', '.join(heads)}; run `flask db upgrade` first")
    targets = data_tables(conn)
    if not targets:
        raise BackupRefused("the target database has no tables; run `flask db upgrade` first")
    by_name = {t.name: t for t in targets}
    backed = manifest.get("tables") or {}
    for name in sorted(backed):
        if name not in by_name:
            raise BackupRefused(f"the backup holds table {name!r}, unknown here (a plugin that is "
                                "not enabled?)")
        known = [c.name for c in by_name[name].columns]
        columns = backed[name].get("columns") or []
        unknown = sorted(set(columns) - set(known))
        if unknown or sorted(columns) != sorted(known):
            which = unknown or sorted(set(known) - set(columns))
            raise BackupRefused(f"table {name!r}: columns {', '.join(which)} do not match this "
                                "installation's schema")
    files = _file_plan(manifest, root)
    if not force:
        _require_empty(conn, targets, root)
    return Plan([(t, backed[t.name]["columns"]) for t in targets if t.name in backed], targets, files)


def _file_plan(manifest: dict, root: Path) -> dict[str, str]:
    """Member -> storage path for every stored file, each proven to stay inside the root."""
    files = {}
    for name in manifest["members"]:
        if name.startswith(DB_DIR):
            if not name.endswith(".jsonl") or name[len(DB_DIR):-len(".jsonl")] not in (manifest.get("tables") or {}):
                raise BackupRefused(f"member {name!r} is not a table of the manifest")
            continue
        rel = name[len(FILES_DIR):]
        if not safe_relative(rel) or rel.split("/")[0].startswith(WORK_PREFIX):
            raise BackupRefused(f"member {name!r} has an unsafe path")
        if not (root / rel).resolve().is_relative_to(root):
            raise BackupRefused(f"member {name!r} would be written outside the storage folder")
        files[name] = rel
    return files


def _require_empty(conn: Connection, tables: list[Table], root: Path) -> None:
    for table in tables:
        if conn.execute(select(func.count()).select_from(table)).scalar():
            raise BackupRefused(f"the target is not empty (table {table.name!r} has rows); "
                                "restore into a new database or use --force to replace everything")
    for rel, _path in storage_files(root):
        raise BackupRefused(f"the target storage is not empty ({rel}); use --force to replace it")


# ------------------------------------------------------------------ restoring


def restore_backup(path: Path, *, force: bool = False) -> Summary:
    """Restore a backup into this installation, all or nothing (see the module docstring).

    The checks, the unpacking and the writes share one transaction, so nobody can slip rows
    into the target between "it is empty" and the inserts.
    """
    root = storage().root
    with open_archive(path) as archive:
        manifest = read_manifest(archive)
        verify_members(archive, manifest)
        root.mkdir(parents=True, exist_ok=True)
        work = root / f"{WORK_PREFIX}{secrets.token_hex(8)}"
        try:
            with db.engine.connect() as conn, conn.begin() as transaction:
                plan = plan_restore(conn, manifest, root, force)
                summary = Summary(files=len(plan.files))
                summary.file_bytes = _extract(archive, manifest, plan, work / "new")
                summary.tables = _write_rows(conn, archive, manifest, plan, force)
                placed = _place(work, plan, root, force)
                try:
                    transaction.commit()
                except BaseException:
                    placed.undo()
                    raise
            placed.finish()
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return summary


def _extract(archive: zipfile.ZipFile, manifest: dict, plan: Plan, new: Path) -> int:
    """Unpack the files into the work folder (checked again while copied); bytes written."""
    total = 0
    for name, rel in plan.files.items():
        target = new.joinpath(*rel.split("/"))
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("xb") as out:
                for chunk in _stream(archive, name, manifest["members"][name]):
                    out.write(chunk)
                    total += len(chunk)
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            raise BackupRefused(f"member {name!r} clashes with another file of the backup") from None
    return total


def _rows(archive: zipfile.ZipFile, manifest: dict, table: Table,
          columns: list[str]) -> Iterator[dict]:
    """The member's rows as dicts of target-typed values, refusing anything malformed."""
    name = f"{DB_DIR}{table.name}.jsonl"
    decoders = [decoder(table.columns[c]) for c in columns]
    pending = b""
    number = 0
    for chunk in _stream(archive, name, manifest["members"][name]):
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        for line in lines:
            number += 1
            yield _row(line, columns, decoders, table.name, number)
    if pending:
        raise BackupRefused(f"{name}: the last line is incomplete")


def _row(line: bytes, columns: list[str], decoders: list[Callable], table: str, number: int) -> dict:
    try:
        values = json.loads(line)
        if not isinstance(values, list) or len(values) != len(columns):
            raise ValueError("wrong number of values")
        return {c: None if v is None else d(v) for c, v, d in zip(columns, values, decoders)}
    except (ValueError, TypeError, decimal.InvalidOperation) as exc:
        raise BackupRefused(f"table {table!r}, row {number}: {exc}") from None


def _write_rows(conn: Connection, archive: zipfile.ZipFile, manifest: dict, plan: Plan,
                force: bool) -> dict[str, int]:
    """Replace (with force) and insert every table, parents first; counts per table."""
    if force:
        for table in reversed(plan.clear):
            conn.execute(table.delete())
    counts = {}
    for table, columns in plan.tables:
        counts[table.name] = _insert(conn, archive, manifest, table, columns)
        expected = manifest["tables"][table.name].get("rows")
        if counts[table.name] != expected:
            raise BackupRefused(f"table {table.name!r}: {counts[table.name]} rows, manifest says {expected}")
        _relink(conn, archive, manifest, table, columns)
    if conn.dialect.name == "postgresql":
        _reset_sequences(conn, [t for t, _ in plan.tables])
    _bump_cache_generations(conn)
    return counts


def _self_references(table: Table) -> list[str]:
    """Nullable columns pointing at the same table: inserted empty, filled in afterwards,
    so a row may point at one that comes later."""
    return [fk.parent.name for fk in table.foreign_keys
            if fk.column.table is table and fk.parent.nullable]


def _insert(conn: Connection, archive, manifest, table: Table, columns: list[str]) -> int:
    later, batch, count = _self_references(table), [], 0
    for row in _rows(archive, manifest, table, columns):
        batch.append({**row, **{c: None for c in later}})
        count += 1
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
    return count


def _relink(conn: Connection, archive, manifest, table: Table, columns: list[str]) -> None:
    """Fill in the self-references left empty by _insert (a second pass over the member)."""
    later = _self_references(table)
    keys = [c.name for c in table.primary_key.columns]
    if not later or not keys:
        return
    statement = table.update().where(*[table.c[k] == bindparam(f"k_{k}") for k in keys]).values(
        {c: bindparam(f"v_{c}") for c in later})
    batch = []
    for row in _rows(archive, manifest, table, columns):
        if any(row[c] is not None for c in later):
            batch.append({**{f"k_{k}": row[k] for k in keys}, **{f"v_{c}": row[c] for c in later}})
        if len(batch) >= BATCH:
            conn.execute(statement, batch)
            batch = []
    if batch:
        conn.execute(statement, batch)


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """Rows came with their ids: move each id sequence past them, or the next insert clashes."""
    for table in tables:
        column = table.autoincrement_column
        if column is None:
            continue
        # bandit B608: names from the models' metadata, never from the backup
        conn.execute(text(
            f'SELECT setval(pg_get_serial_sequence(:table, :column), '  # nosec B608
            f'COALESCE(MAX("{column.name}"), 1), MAX("{column.name}") IS NOT NULL) FROM "{table.name}"'),
            {"table": table.name, "column": column.name})


def _bump_cache_generations(conn: Connection) -> None:
    """Retire whatever the shared cache holds from before the restore."""
    if inspect(conn).has_table("cache_generations"):
        conn.execute(text("UPDATE cache_generations SET value = value + 1"))


@dataclass
class Placement:
    """Files moved into the storage root by a restore, undoable until the commit is done."""

    root: Path
    old: Path
    moved_old: list[str] = field(default_factory=list)
    placed: list[str] = field(default_factory=list)

    def undo(self) -> None:
        """Take the new files out and put the replaced ones back."""
        for rel in self.placed:
            (self.root / rel).unlink(missing_ok=True)
        for rel in self.moved_old:
            target = self.root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.old / rel, target)

    def finish(self) -> None:
        shutil.rmtree(self.old, ignore_errors=True)


def _place(work: Path, plan: Plan, root: Path, force: bool) -> Placement:
    """Move the old files aside (with force) and the new ones into place (same filesystem:
    renames); on any failure undo both, so the database transaction rolls back cleanly."""
    placement = Placement(root, work / "old")
    try:
        if force:
            for rel, path in list(storage_files(root)):
                if rel.split("/")[0].startswith(WORK_PREFIX):
                    continue
                (placement.old / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, placement.old / rel)
                placement.moved_old.append(rel)
        for rel in plan.files.values():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(work / "new" / rel, target)
            placement.placed.append(rel)
    except OSError as exc:
        placement.undo()
        raise BackupRefused(f"cannot place the restored files: {exc}") from None
    return placement
