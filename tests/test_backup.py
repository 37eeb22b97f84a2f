"""Backups: `flask lms backup` / `flask lms restore` round trips (same database kind, and
SQLite -> PostgreSQL) reproduce every row and every stored file; a damaged or tampered
backup is refused with one line and nothing written, even with --force."""
from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import io
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text, update

from lms.database import db
from lms.models import Certificate, Course, Role, Unit, User, VersionStatus
from lms.packages.manifest import parse_manifest
from lms.services import backup as backups
from lms.testing import DEFAULT_PASSWORD, course_manifest

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
TARGET_SCHEMA = "lms_backup_target"


# ------------------------------------------------------------------ helpers


def make_app(url: str, storage: Path, plugins=()):
    """A second application (own database, own storage) with the models' tables."""
    from lms import create_app
    from lms.testing import LmsClient

    app = create_app("testing", {"DATABASE_URL": url, "PLUGINS": list(plugins),
                                 "STORAGE_DIR": str(storage)})
    app.test_client_class = LmsClient
    with app.app_context():
        db.create_all()
    return app


def dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


@pytest.fixture
def target_app(lms_app, tmp_path):
    """An empty installation of the same kind as lms_app: a SQLite file, or (on PostgreSQL)
    a schema of its own in the test database."""
    if dialect(lms_app) != "postgresql":
        app = make_app(f"sqlite:///{tmp_path / 'target.sqlite3'}", tmp_path / "storage-target",
                       lms_app.config["PLUGINS"])
        yield app
        dispose(app)
        return
    with lms_app.app_context():
        url = db.engine.url
        with db.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {TARGET_SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {TARGET_SCHEMA}"))
    target = url.update_query_dict({"options": f"-csearch_path={TARGET_SCHEMA}"})
    app = make_app(target.render_as_string(hide_password=False), tmp_path / "storage-target",
                   lms_app.config["PLUGINS"])
    yield app
    dispose(app)
    with lms_app.app_context(), db.engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {TARGET_SCHEMA} CASCADE"))


def populate(app) -> dict:
    """A small live site: units (a child created before its parent), users, a course with
    assets and a quiz attempt, a completed course with its certificate PDF rendered."""
    from lms.services import (accounts, attempts, certificates, courses, enrollment, orgs,
                              progress, quizzes)

    with app.app_context():
        root = orgs.create_unit(code="PEMKOT", name="Pemerintah Kota", kind="instansi")
        bidang = orgs.create_unit(code="BIDANG-SD", name="Bidang SD", kind="sub_unit", parent=root)
        dinas = orgs.create_unit(code="DISDIK", name="Dinas Pendidikan", kind="opd", parent=root)
        db.session.execute(update(Unit).where(Unit.id == bidang.id).values(parent_id=dinas.id))
        db.session.commit()
        accounts.register_user(name="Admin Situs", email="admin@example.go.id",
                               password=DEFAULT_PASSWORD, role=Role.ADMIN)
        learner = accounts.register_user(name="Siti Rahmawati", email="siti@example.go.id",
                                         nip="199001012015012001", password=DEFAULT_PASSWORD,
                                         unit=db.session.get(Unit, bidang.id))
        extra = [{"id": "modul", "title": "Modul", "type": "file", "url": "assets/modul satu.pdf"}]
        manifest, bodies = course_manifest("berpeta", lessons=1, extra_lessons=extra,
                                           questions=[{"id": "ttd", "type": "truefalse",
                                                       "text": "TTE sah secara hukum.", "answer": True}])
        bodies["lessons/pelajaran-1.md"] = "## Peta\n\n![Peta](assets/img/peta.png)\n"
        spec, problems = parse_manifest(manifest)
        assert not problems
        courses.publish(courses.import_version(spec, bodies, {"assets/img/peta.png": PNG,
                                                              "assets/modul satu.pdf": PDF}))
        manifest, bodies = course_manifest("bersertifikat", lessons=1, jp=3)
        spec, _ = parse_manifest(manifest)
        courses.publish(courses.import_version(spec, bodies))
        for slug in ("berpeta", "bersertifikat"):
            enrollment.enroll_self(learner, db.session.scalar(select(Course).where(Course.slug == slug)))
        course = db.session.scalar(select(Course).where(Course.slug == "bersertifikat"))
        version = published(course)
        progress.complete_lesson(enrollment.get_enrollment(learner, course), version, version.lessons[0])
        course = db.session.scalar(select(Course).where(Course.slug == "berpeta"))
        attempts.submit(attempts.start(learner, course, quizzes.quizzes_of(published(course))[0]))
        certificate = db.session.scalar(select(Certificate))
        assert certificate, "the completed course issued no certificate"
        assert certificates.pdf(certificate).startswith(b"%PDF")  # rendered and stored
        number = certificate.number
    return {"certificate": number}


def published(course: Course):
    return next(v for v in course.versions if v.status == VersionStatus.PUBLISHED)


def normal(value):
    """A value as text, datetimes in UTC, so SQLite and PostgreSQL rows compare equal."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, decimal.Decimal):
        return float(value)
    return backups.encode(value)


def snapshot(app) -> dict[str, list]:
    """Every data table's rows, in key order."""
    with app.app_context(), db.engine.connect() as conn:
        rows = {}
        for table in backups.data_tables(conn):
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [tuple(normal(v) for v in row)
                                for row in conn.execute(select(table).order_by(*order))]
        return rows


def files(app) -> dict[str, str]:
    """Every file under the storage root (dot folders included), by SHA-256."""
    root = Path(app.config["STORAGE_DIR"])
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file()} if root.exists() else {}


def counts(app) -> dict[str, int]:
    return {name: len(rows) for name, rows in snapshot(app).items()}


def run(app, *args):
    return app.test_cli_runner().invoke(args=["lms", *args])


def back_up(app, path: Path):
    result = run(app, "backup", str(path))
    assert result.exit_code == 0, result.output
    return result


# ------------------------------------------------------------------ round trips


def test_round_trip_reproduces_every_row_and_file(lms_app, target_app, tmp_path):
    populate(lms_app)
    archive = tmp_path / "situs.zip"
    result = back_up(lms_app, archive)
    assert "backup written" in result.output
    restored = run(target_app, "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    source, copy = snapshot(lms_app), snapshot(target_app)
    assert copy == source
    assert all(source[name] for name in ("users", "units", "course_assets", "enrollments", "attempts",
                                         "attempt_questions", "certificates", "lesson_progress"))
    assert files(target_app) == files(lms_app)
    assert any(name.startswith("certificates/") for name in files(lms_app))
    assert any(name.startswith("assets/") for name in files(lms_app))
    with lms_app.app_context():
        manifest = json.loads(zipfile.ZipFile(archive).read("manifest.json"))
        assert manifest["revisions"] == backups.code_heads()
    assert manifest["tables"]["users"]["rows"] == 2 and manifest["files"] == len(files(lms_app))


def test_the_restored_site_works_and_keeps_counting_ids(lms_app, target_app, tmp_path):
    """Sequences move past the restored ids; people sign in with their old passwords."""
    info = populate(lms_app)
    back_up(lms_app, tmp_path / "situs.zip")
    assert run(target_app, "restore", str(tmp_path / "situs.zip")).exit_code == 0
    client = target_app.test_client()
    assert client.submit("/login", {"login": "siti@example.go.id",
                                    "password": DEFAULT_PASSWORD}).status_code == 302
    pdf = client.get(f"/me/certificates/{info['certificate']}.pdf")
    assert pdf.status_code == 200  # served from the restored file, not rendered again
    assert hashlib.sha256(pdf.data).hexdigest() in files(lms_app).values()
    from lms.services import accounts

    with target_app.app_context():
        newest = db.session.scalar(select(func.max(User.id)))
        user = accounts.register_user(name="Pegawai Baru", email="baru@example.go.id",
                                      password=DEFAULT_PASSWORD)
        assert user.id > newest


def test_sqlite_backup_restores_into_postgresql(lms_app, tmp_path):
    """A site moving from a laptop (SQLite) to an agency server (PostgreSQL)."""
    if dialect(lms_app) != "postgresql":
        pytest.skip("needs PostgreSQL: set LMS_TEST_DATABASE_URL")
    source = make_app(f"sqlite:///{tmp_path / 'laptop.sqlite3'}", tmp_path / "storage-laptop",
                      lms_app.config["PLUGINS"])
    try:
        populate(source)
        back_up(source, tmp_path / "laptop.zip")
        result = run(lms_app, "restore", str(tmp_path / "laptop.zip"))
        assert result.exit_code == 0, result.output
        assert snapshot(lms_app) == snapshot(source)
        assert files(lms_app) == files(source)
        from lms.services import accounts

        with lms_app.app_context():
            newest = db.session.scalar(select(func.max(User.id)))
            assert accounts.register_user(name="Pegawai Baru", email="baru@example.go.id",
                                          password=DEFAULT_PASSWORD).id > newest
    finally:
        dispose(source)


def test_force_replaces_existing_rows_and_files(lms_app, target_app, tmp_path):
    populate(lms_app)
    back_up(lms_app, tmp_path / "situs.zip")
    (Path(target_app.config["STORAGE_DIR"]) / "lama").mkdir(parents=True)
    (Path(target_app.config["STORAGE_DIR"]) / "lama" / "berkas.txt").write_bytes(b"lama")
    from lms.services import accounts

    with target_app.app_context():
        accounts.register_user(name="Orang Lama", email="lama@example.go.id", password=DEFAULT_PASSWORD)
    refused = run(target_app, "restore", str(tmp_path / "situs.zip"))
    assert refused.exit_code != 0 and "not empty" in refused.output
    assert run(target_app, "restore", "--force", str(tmp_path / "situs.zip")).exit_code == 0
    assert snapshot(target_app) == snapshot(lms_app)
    assert files(target_app) == files(lms_app)


def test_backup_refuses_to_overwrite_without_force(lms_app, tmp_path):
    archive = tmp_path / "situs.zip"
    archive.write_bytes(b"penting")
    result = run(lms_app, "backup", str(archive))
    assert result.exit_code != 0 and "already exists" in result.output
    assert archive.read_bytes() == b"penting"
    assert run(lms_app, "backup", "--force", str(archive)).exit_code == 0
    assert zipfile.is_zipfile(archive)


def test_values_of_every_kind_survive_the_trip():
    """The portable encoding for types the core does not use yet (plugins may)."""
    from sqlalchemy import (JSON, Boolean, Column, Date, DateTime, Float, Integer, Interval,
                            LargeBinary, Numeric, String, Time)

    cases = [(LargeBinary(), b"\x00\xffbiner"), (Numeric(10, 2), decimal.Decimal("12.50")),
             (Date(), dt.date(2026, 11, 24)), (Time(), dt.time(7, 30, 15)),
             (DateTime(), dt.datetime(2026, 11, 24, 8, 0, 1, 5)), (Interval(), dt.timedelta(hours=2)),
             (DateTime(timezone=True), dt.datetime(2026, 1, 1, 7, tzinfo=dt.timezone(dt.timedelta(hours=7)))),
             (JSON(), {"a": [1, "dua", None]}), (Boolean(), False), (Integer(), 7), (Float(), 0.25),
             (String(), "Ibu Siti — ✓")]
    for kind, value in cases:
        line = json.dumps([backups.encode(value)])
        assert backups.decoder(Column("x", kind))(json.loads(line)[0]) == value, kind
    with pytest.raises(ValueError):
        backups.decoder(Column("x", Boolean()))("yes")


# ------------------------------------------------------------------ refusals


@pytest.fixture
def made(lms_app, tmp_path):
    """A populated site and its backup."""
    populate(lms_app)
    archive = tmp_path / "situs.zip"
    back_up(lms_app, archive)
    return archive


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rewrite(app, path: Path, out: Path, *, change=None, add=(), manifest=None, resign=False) -> Path:
    """A copy of a backup with members changed/added; optionally a new manifest, signed with
    the site's key (an attacker who stole the key; or another version of the LMS)."""
    content = members(path)
    content.update(change or {})
    body = content["manifest.json"]
    if manifest is not None:
        data = json.loads(body)
        manifest(data)
        body = content["manifest.json"] = json.dumps(data).encode()
    if resign:
        key = app.config["SECRET_KEY"].encode()
        content["manifest.sig"] = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in content.items():
            archive.writestr(name, data)
        for info, data in add:
            archive.writestr(info, data)
    return out


def list_member(name: str, data: bytes):
    """Manifest edit: list a new member with its true checksum."""
    def edit(manifest):
        manifest["members"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    return edit


def injected_admin(path: Path) -> bytes:
    lines = members(path)["db/users.jsonl"].decode().splitlines()
    row = json.loads(lines[0])
    row[0] = 999
    row = [("penyusup@example.go.id" if v == "admin@example.go.id" else v) for v in row]
    return ("\n".join(lines + [json.dumps(row)]) + "\n").encode()


def symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def fifo(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFIFO | 0o644) << 16
    return info


TAMPERED = {
    "path traversal": (lambda app, p, o: rewrite(app, p, o, add=[("files/../../keluar.txt", b"x")],
                                                 manifest=list_member("files/../../keluar.txt", b"x"),
                                                 resign=True), "unsafe path"),
    "absolute path": (lambda app, p, o: rewrite(app, p, o, add=[("/tmp/keluar.txt", b"x")]), "unsafe path"),
    "symlink member": (lambda app, p, o: rewrite(app, p, o, add=[(symlink("files/tautan"), b"/etc/passwd")],
                                                 manifest=list_member("files/tautan", b"/etc/passwd"),
                                                 resign=True), "symbolic link"),
    "device member": (lambda app, p, o: rewrite(app, p, o, add=[(fifo("files/pipa"), b"")]), "not a regular file"),
    "injected admin, manifest updated": (
        lambda app, p, o: rewrite(app, p, o, change={"db/users.jsonl": injected_admin(p)},
                                  manifest=list_member("db/users.jsonl", injected_admin(p))), "signature"),
    "injected admin, manifest untouched": (
        lambda app, p, o: rewrite(app, p, o, change={"db/users.jsonl": injected_admin(p)}), "checksum mismatch"),
    "changed stored file": (
        lambda app, p, o: rewrite(app, p, o, change={next(n for n in members(p) if n.startswith("files/certificates/")):
                                                     b"%PDF-palsu"}), "checksum mismatch"),
    "changed checksum": (lambda app, p, o: rewrite(app, p, o, manifest=lambda m: m["members"]["db/units.jsonl"].update(
        sha256="0" * 64)), "signature"),
    "unlisted member": (lambda app, p, o: rewrite(app, p, o, add=[("files/tambahan.txt", b"x")]), "not listed"),
    "wrong schema revision": (lambda app, p, o: rewrite(app, p, o, manifest=lambda m: m.update(revisions=["core_0001"]),
                                                        resign=True), "schema revision"),
    "unknown table": (lambda app, p, o: rewrite(app, p, o, add=[("db/rahasia.jsonl", b"")],
                                                manifest=lambda m: (list_member("db/rahasia.jsonl", b"")(m),
                                                                    m["tables"].update(rahasia={"columns": ["id"], "rows": 0})),
                                                resign=True), "unknown here"),
    "unknown column": (lambda app, p, o: rewrite(app, p, o, manifest=lambda m: m["tables"]["users"]["columns"].append("is_root"),
                                                 resign=True), "is_root"),
    "garbage file": (lambda app, p, o: (o.write_bytes(os.urandom(4096)), o)[1], "not a readable LMS backup"),
    "truncated archive": (lambda app, p, o: (o.write_bytes(p.read_bytes()[: p.stat().st_size // 2]), o)[1],
                          "not a readable LMS backup"),
    "missing signature": (lambda app, p, o: (o.write_bytes(_without(p, "manifest.sig")), o)[1], "manifest.sig"),
}


def _without(path: Path, name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for member, data in members(path).items():
            if member != name:
                out.writestr(member, data)
    return buffer.getvalue()


@pytest.mark.parametrize("case", sorted(TAMPERED))
def test_a_tampered_backup_is_refused_with_nothing_written(lms_app, made, tmp_path, case):
    """Restored with --force onto the live site itself: not a row or a file may change."""
    make, message = TAMPERED[case]
    bad = make(lms_app, made, tmp_path / "rusak.zip")
    rows, stored = snapshot(lms_app), files(lms_app)
    result = run(lms_app, "restore", "--force", str(bad))
    assert result.exit_code != 0
    line = result.output.strip()
    assert message in line and "nothing written" in line and len(line.splitlines()) == 1, line
    assert snapshot(lms_app) == rows
    assert files(lms_app) == stored
    assert not (Path(lms_app.config["STORAGE_DIR"]) / "keluar.txt").exists()
    assert not (tmp_path / "keluar.txt").exists()


def test_a_backup_needs_the_key_it_was_signed_with(made, target_app):
    target_app.config["BACKUP_KEY"] = "kunci-lain-yang-cukup-panjang-sekali"
    result = run(target_app, "restore", str(made))
    assert result.exit_code != 0 and "signature" in result.output
    assert sum(counts(target_app).values()) == 0 and files(target_app) == {}


@pytest.mark.parametrize("limit, message", [("BACKUP_MAX_MEMBERS", "BACKUP_MAX_MEMBERS"),
                                            ("BACKUP_MAX_BYTES", "BACKUP_MAX_BYTES"),
                                            ("BACKUP_MAX_ARCHIVE_BYTES", "BACKUP_MAX_ARCHIVE_BYTES")])
def test_oversized_or_crowded_archives_are_refused(made, target_app, limit, message):
    target_app.config[limit] = 3
    result = run(target_app, "restore", str(made))
    assert result.exit_code != 0 and message in result.output
    assert sum(counts(target_app).values()) == 0 and files(target_app) == {}


def test_a_zip_bomb_member_is_not_read_past_its_recorded_size(lms_app, made, tmp_path):
    """A member that unpacks to far more than the manifest says stops at the recorded size."""
    bomb = b"\x00" * (8 * 1024 * 1024)
    name = next(n for n in members(made) if n.startswith("files/assets/"))
    bad = rewrite(lms_app, made, tmp_path / "bom.zip", change={name: bomb})
    before = files(lms_app)
    result = run(lms_app, "restore", "--force", str(bad))
    assert result.exit_code != 0 and "checksum mismatch" in result.output
    assert files(lms_app) == before


def test_a_failure_while_placing_files_rolls_the_database_back(lms_app, target_app, made, monkeypatch):
    real, calls = os.replace, []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(backups.os, "replace", flaky)
    result = run(target_app, "restore", str(made))
    assert result.exit_code != 0 and "No space left" in result.output
    assert sum(counts(target_app).values()) == 0
    assert files(target_app) == {}


def test_the_target_must_be_migrated_to_the_same_head(made, target_app):
    with target_app.app_context(), db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('core_0003')"))
    result = run(target_app, "restore", str(made))
    assert result.exit_code != 0 and "flask db upgrade" in result.output
    with target_app.app_context():
        assert "alembic_version" in inspect(db.engine).get_table_names()
    assert sum(counts(target_app).values()) == 0
