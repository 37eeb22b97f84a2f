"""Fault injection (issue #11): the database going away mid-request, a plugin raising in
every hook, a full disk during uploads, a quiz submission interrupted mid-transaction.

Runs on the database under test (SQLite, PostgreSQL in CI's second pass); killing a real
worker process and terminating a real backend are PostgreSQL-only: tests/test_faults_pg.py.
The counts are in docs/security.md ("Faults"); docs/faults.md explains the behaviour.

The sweeps do not guess where a request is fragile: they send the same request again and
again, the fault striking one statement later each time, until it runs to the end untouched.
Every failed try must leave the database as it was (or, for a request made of several
transactions, change only what the successful request changes), and the final try succeeds.
"""
from __future__ import annotations

import errno
import inspect
import io
import logging
import os
import zipfile
from pathlib import Path

import pytest
import yaml
from sqlalchemy import event, func, select

from lms import create_app, hookspecs
from lms.database import db
from lms.errors import StartupError
from lms.models import (
    Attempt,
    AttemptQuestion,
    AttemptState,
    Certificate,
    Enrollment,
    JpEntry,
    PackageImport,
    User,
)
from lms.plugin import hookimpl
from lms.testing import DEFAULT_PASSWORD, LmsClient, course_manifest

QUESTIONS = [
    {"id": "tf-1", "type": "truefalse", "text": "Disposisi dicatat.", "answer": True},
    {"id": "tf-2", "type": "truefalse", "text": "Arsip boleh dibuang.", "answer": False},
]
RIGHT = {"q0": "true", "q1": "false"}
SLUG = "ujian"
#: Far more statements than any request here runs: a sweep that reaches it is a bug.
MAX_STATEMENTS = 400


# =========================================================================== helpers


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table, ordered by primary key: "nothing changed" is equality."""
    with app.app_context():
        rows = {}
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [tuple(row) for row in db.session.execute(select(table).order_by(*order))]
        db.session.rollback()
        return rows


def changed_tables(before: dict, after: dict) -> set[str]:
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


def login(client, user) -> None:
    response = client.submit("/login", {"login": user.email, "password": user.password})
    assert response.status_code == 302, response.status_code


def ready_to_submit(app, lms_course, lms_user, client) -> str:
    """A learner who read the course's one lesson and opened its quiz: passing it completes
    the course (enrolment, certificate, JP ledger). Returns the attempt's uid."""
    lms_course(SLUG, lessons=1, jp=2, questions=QUESTIONS)
    login(client, lms_user())
    assert client.submit(f"/courses/{SLUG}/enrol", form_page=f"/courses/{SLUG}").status_code == 302
    assert client.submit(f"/learn/{SLUG}/pelajaran-1/complete",
                         form_page=f"/learn/{SLUG}/pelajaran-1").status_code == 302
    started = client.submit(f"/learn/{SLUG}/quiz/kuis/start", form_page=f"/learn/{SLUG}/quiz/kuis")
    return started.location.rsplit("/", 1)[-1]


def outcome(app, uid: str) -> dict:
    """What a submit records: the attempt, its answers, and what a pass brings."""
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.uid == uid))
        answers = list(db.session.scalars(select(AttemptQuestion.response).where(
            AttemptQuestion.attempt_id == attempt.id).order_by(AttemptQuestion.slot)))
        enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == attempt.user_id))
        count = lambda model: db.session.scalar(select(func.count()).select_from(model))
        result = {"state": attempt.state, "score": attempt.score, "answers": answers,
                  "completed": enrollment.completed_at is not None, "jp_awarded": enrollment.jp_awarded,
                  "attempts": count(Attempt), "certificates": count(Certificate), "jp_entries": count(JpEntry)}
        db.session.rollback()
        return result


NOTHING_RECORDED = {"state": AttemptState.OPEN, "score": None, "answers": [None, None], "completed": False,
                    "jp_awarded": None, "attempts": 1, "certificates": 0, "jp_entries": 0}
FULLY_RECORDED = {"state": AttemptState.GRADED, "score": 100.0, "answers": [True, False], "completed": True,
                  "jp_awarded": 2, "attempts": 1, "certificates": 1, "jp_entries": 1}


class Crash(BaseException):
    """The worker dies here: nothing catches it (not even plugin isolation), and its
    transaction ends without a commit, as when the process is killed and the database
    rolls back what the connection had not committed."""


class Fault:
    """Make the app's database fail from the Nth statement on, or at COMMIT.

    ``outage``: the driver raises OperationalError, as when the server goes away; the app
    must answer 503. ``crash``: the request dies with an exception no handler expects.
    """

    MESSAGE = "server closed the connection unexpectedly (fault injected)"

    def __init__(self, engine, kind: str = "outage"):
        self.engine, self.kind = engine, kind
        self.after: int | None = None
        self.at_commit = False
        self.statements = self.injected = self.total = 0
        self._do_commit = engine.dialect.do_commit
        event.listen(engine, "before_cursor_execute", self._statement)
        engine.dialect.do_commit = self._commit  # inside SQLAlchemy's error wrapping, as a real COMMIT

    def error(self) -> Exception:
        self.injected += 1
        self.total += 1
        if self.kind == "crash":
            return Crash("worker killed (fault injected)")
        return self.engine.dialect.loaded_dbapi.OperationalError(self.MESSAGE)

    def arm(self, after: int = 0, *, at_commit: bool = False) -> None:
        self.after, self.at_commit, self.statements, self.injected = after, at_commit, 0, 0

    def lift(self) -> None:
        self.after, self.at_commit = None, False

    def remove(self) -> None:
        self.lift()
        event.remove(self.engine, "before_cursor_execute", self._statement)
        self.engine.dialect.do_commit = self._do_commit

    def _statement(self, conn, cursor, statement, parameters, context, executemany):
        if self.after is None or self.at_commit:
            return
        self.statements += 1
        if self.statements > self.after:
            raise self.error()

    def _commit(self, dbapi_connection):
        if self.at_commit or (self.injected and self.after is not None):  # still down: COMMIT fails too
            raise self.error()
        return self._do_commit(dbapi_connection)


@pytest.fixture
def fault(lms_app):
    """``fault("outage")`` or ``fault("crash")``: a Fault on the app's engine, removed afterwards."""
    made = []

    def make(kind: str = "outage") -> Fault:
        with lms_app.app_context():
            made.append(Fault(db.engine, kind))
        return made[-1]

    yield make
    for item in made:
        item.remove()


def assert_unavailable(response, *, json: bool = False) -> None:
    """503, Retry-After, never cached; a page for people or the API's JSON error."""
    assert response.status_code == 503, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.headers["Retry-After"] == "30"
    assert response.headers["Cache-Control"] == "no-store"
    if json:
        assert response.is_json and response.get_json()["error"]["code"] == "service_unavailable"
        assert response.get_json()["error"]["message"]
    else:
        assert response.mimetype == "text/html" and "<h1>503" in response.get_data(as_text=True)


def sweep(app, fault: Fault, send, check) -> tuple[object, int]:
    """Send the request once per statement it runs, the fault striking at that statement;
    ``check(response)`` judges each failed try. Returns the final (untouched) response and
    how many tries failed."""
    for after in range(MAX_STATEMENTS):
        fault.arm(after)
        try:
            response = send()
        except Crash:
            response = None
        finally:
            fault.lift()
        if not fault.injected:
            return response, after
        check(response)
    raise AssertionError("the request never ran to its end")


class SubmitChecker:
    """Judges each failed try of a submit: before the commit, nothing at all is recorded
    (the database is exactly as before); after it, everything is, once. A try whose fault
    struck after the commit (while plugins hear of it) finds the attempt fully recorded,
    and every later try (the learner's resubmit) must change nothing more."""

    def __init__(self, app, uid: str, events, *, answer, ignore: frozenset = frozenset()):
        self.app, self.uid, self.events, self.answer, self.ignore = app, uid, events, answer, ignore
        self.expected = self.snapshot()
        self.before_commit = self.after_commit = 0

    def __call__(self, response) -> None:
        state = outcome(self.app, self.uid)
        if state == NOTHING_RECORDED:
            self.before_commit += 1
            assert self.answer(response)
            assert self.snapshot() == self.expected  # one transaction: all of it or nothing
            assert "quiz_graded" not in self.events.names()  # plugins never hear of what did not happen
            return
        assert state == FULLY_RECORDED, state
        if not self.after_commit:
            self.expected = self.snapshot()
        self.after_commit += 1
        assert self.snapshot() == self.expected  # a resubmit changes nothing

    def snapshot(self) -> dict:
        return {name: rows for name, rows in snapshot(self.app).items() if name not in self.ignore}


def unavailable_or_done(response) -> bool:
    if response.status_code != 503:
        return False
    assert_unavailable(response)
    return True


# ============================================================== 1. the database goes away


@pytest.mark.lms_config(PLUGIN_ERRORS="log")  # as in production: react hooks isolated
def test_quiz_submit_with_the_database_dying_at_every_statement(lms_app, lms_client, lms_course, lms_user,
                                                                 lms_events, fault):
    uid = ready_to_submit(lms_app, lms_course, lms_user, lms_client)
    outage = fault("outage")
    token = lms_client.csrf_token("/")
    check = SubmitChecker(lms_app, uid, lms_events, answer=unavailable_or_done)
    response, _ = sweep(lms_app, outage, lambda: lms_client.post(
        f"/learn/attempts/{uid}/submit", data={"csrf_token": token, **RIGHT}), check)
    assert check.before_commit >= 10  # the sweep really went through the submit's statements
    assert response.status_code == 302 and response.location.endswith(f"/learn/attempts/{uid}/review")
    assert outcome(lms_app, uid) == FULLY_RECORDED
    # Never twice; a reaction that itself needs the database while it is still down is lost
    # (logged): plugins hear of committed data only, not necessarily of all of it.
    assert lms_events.names().count("quiz_graded") <= 1
    assert lms_events.names().count("certificate_issued") <= 1


def test_quiz_submit_with_the_database_gone_at_commit(lms_app, lms_client, lms_course, lms_user, lms_events,
                                                      fault):
    """The connection drops as COMMIT is sent: the server never committed, the learner gets
    503 and the attempt stays open; the retry records it once."""
    uid = ready_to_submit(lms_app, lms_course, lms_user, lms_client)
    outage = fault("outage")
    before = snapshot(lms_app)
    token = lms_client.csrf_token("/")
    outage.arm(at_commit=True)
    response = lms_client.post(f"/learn/attempts/{uid}/submit", data={"csrf_token": token, **RIGHT})
    outage.lift()
    assert outage.injected == 1
    assert_unavailable(response)
    assert snapshot(lms_app) == before and outcome(lms_app, uid) == NOTHING_RECORDED
    again = lms_client.post(f"/learn/attempts/{uid}/submit", data={"csrf_token": token, **RIGHT})
    assert again.status_code == 302 and outcome(lms_app, uid) == FULLY_RECORDED
    assert lms_events.names().count("quiz_graded") == 1


@pytest.mark.lms_config(PLUGIN_ERRORS="log")
def test_api_submit_with_the_database_dying_at_every_statement(lms_app, lms_client, lms_course, lms_user,
                                                                lms_events, fault):
    from lms.services import tokens

    uid = ready_to_submit(lms_app, lms_course, lms_user, lms_client)
    with lms_app.app_context():
        user = db.session.scalar(select(User))
        secret = tokens.create(user, name="uji", write=True, days=7)[1]
    outage = fault("outage")
    api = lms_app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    body = {"responses": {"0": True, "1": False}}

    def answer(response):
        if response.status_code != 503:
            return False
        assert_unavailable(response, json=True)
        return True

    # The token's "last used" time is committed on its own before the submit begins.
    check = SubmitChecker(lms_app, uid, lms_events, answer=answer, ignore=frozenset({"api_tokens"}))
    response, _ = sweep(lms_app, outage, lambda: api.post(
        f"/api/v1/attempts/{uid}/submit", json=body, headers=headers), check)
    assert check.before_commit >= 10
    assert response.status_code == 200 and response.get_json()["state"] == "graded"
    assert outcome(lms_app, uid) == FULLY_RECORDED


def test_lesson_page_and_admin_list_with_the_database_dying_at_every_statement(
        lms_app, lms_client, lms_course, lms_user, fault):
    lms_course(SLUG, lessons=2, jp=2)
    learner, admin = lms_user(), lms_user(role="admin")
    login(lms_client, learner)
    lms_client.submit(f"/courses/{SLUG}/enrol", form_page=f"/courses/{SLUG}")
    admin_client = lms_app.test_client()
    login(admin_client, admin)
    outage = fault("outage")
    injected = 0
    for client, url in ((lms_client, f"/learn/{SLUG}/pelajaran-2"), (admin_client, "/admin/users"),
                        (admin_client, "/api/v1/users"), (lms_client, "/api/v1/me/enrolments")):
        before = snapshot(lms_app)
        changes: list[set[str]] = []

        def check(response, url=url, before=before, changes=changes):
            assert_unavailable(response, json=url.startswith("/api/"))
            changes.append(changed_tables(before, snapshot(lms_app)))

        response, failures = sweep(lms_app, outage, lambda client=client, url=url: client.get(url), check)
        assert response.status_code == 200, url
        done = changed_tables(before, snapshot(lms_app))
        # A page that records something (the lesson visit) commits it whole, in its own
        # transaction: a failed try changed nothing, or the same tables the success changes.
        assert all(change <= done for change in changes), (url, changes, done)
        assert failures >= 2, url
        injected += failures
    assert injected >= 10


def test_readiness_says_503_while_the_database_is_down(lms_app, lms_client, fault):
    outage = fault("outage")
    outage.arm(0)
    for probe in ("/readyz", "/healthz"):
        response = lms_client.get(probe)
        assert response.status_code == 503 and response.get_json()["checks"]["database"] == "unavailable"
    home = lms_client.get("/")
    outage.lift()
    assert home.status_code in (200, 503)  # the home page may need no database at all
    assert lms_client.get("/readyz").status_code == 200


def test_error_page_renders_for_a_signed_in_user_while_the_database_is_down(lms_app, lms_client, lms_user,
                                                                            lms_course, fault, caplog):
    """The user cannot be reloaded for the page's header: it is drawn as for a visitor."""
    lms_course(SLUG, lessons=1)
    login(lms_client, lms_user())
    outage = fault("outage")
    outage.arm(0)
    response = lms_client.get(f"/courses/{SLUG}")
    outage.lift()
    assert_unavailable(response)
    assert "database unavailable: OperationalError" in caplog.text


# ============================================== 4. a worker dies in the middle of a submit


def test_quiz_submit_with_the_worker_dying_at_every_statement(lms_app, lms_client, lms_course, lms_user,
                                                              lms_events, fault):
    """SQLite's stand-in for killing the process (test_faults_pg.py kills a real one): the
    exception ends the request mid-transaction, which is rolled back; the retry records once."""
    uid = ready_to_submit(lms_app, lms_course, lms_user, lms_client)
    crash = fault("crash")
    token = lms_client.csrf_token("/")
    check = SubmitChecker(lms_app, uid, lms_events, answer=lambda response: response is None)
    response, _ = sweep(lms_app, crash, lambda: lms_client.post(
        f"/learn/attempts/{uid}/submit", data={"csrf_token": token, **RIGHT}), check)
    assert check.before_commit >= 10
    assert response.status_code == 302 and outcome(lms_app, uid) == FULLY_RECORDED
    assert lms_events.names().count("quiz_graded") == 1


class DiesAfterCommit:
    """The worker dies right after the submit committed (while telling plugins)."""

    lms_api = "1.0"

    @hookimpl
    def quiz_graded(self, attempt):
        raise Crash("worker killed after commit (fault injected)")


@pytest.mark.lms_config(PLUGIN_OBJECTS={"killer": DiesAfterCommit()})
def test_quiz_submit_with_the_worker_dying_after_commit(lms_app, lms_client, lms_course, lms_user):
    """Fully recorded: score, answers, completion, certificate and JP; the learner's retry
    (the browser resends the form) changes nothing and leads to the review."""
    uid = ready_to_submit(lms_app, lms_course, lms_user, lms_client)
    token = lms_client.csrf_token("/")
    with pytest.raises(Crash):
        lms_client.post(f"/learn/attempts/{uid}/submit", data={"csrf_token": token, **RIGHT})
    assert outcome(lms_app, uid) == FULLY_RECORDED
    before = snapshot(lms_app)
    again = lms_client.post(f"/learn/attempts/{uid}/submit", data={"csrf_token": token, "q0": "false"})
    assert again.status_code == 302 and again.location.endswith("/review")
    assert snapshot(lms_app) == before


# ===================================================================== 3. a full disk


class FullDisk:
    """What lms.storage sees of the disk: ``free`` bytes left, then ENOSPC in mid-file
    (the bytes that fit are really written first, as on a real disk)."""

    def __init__(self, free: int):
        self.free, self.refused = free, 0

    def __getattr__(self, name):
        return getattr(os, name)

    def fdopen(self, fd, mode="r", *args, **kwargs):
        return _Filling(os.fdopen(fd, mode, *args, **kwargs), self)


class _Filling:
    def __init__(self, fh, disk: FullDisk):
        self.fh, self.disk = fh, disk

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.fh.close()

    def write(self, data: bytes) -> int:
        room = max(self.disk.free, 0)
        self.fh.write(data[:room])
        self.fh.flush()
        self.disk.free -= min(room, len(data))
        if len(data) > room:
            self.disk.refused += 1
            raise OSError(errno.ENOSPC, "No space left on device")
        return len(data)


@pytest.fixture
def full_disk(monkeypatch):
    """``full_disk(free=0)``: the storage's disk holds only ``free`` more bytes."""
    import lms.storage

    def fill(free: int = 0) -> FullDisk:
        disk = FullDisk(free)
        monkeypatch.setattr(lms.storage, "os", disk)
        return disk

    yield fill
    monkeypatch.setattr(lms.storage, "os", os)


def stored_files(app) -> set[str]:
    root = Path(app.config["STORAGE_DIR"])
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def assert_storage_consistent(app) -> None:
    """No partial (temporary) file left, and every file a row names exists."""
    from lms.models import Asset
    from lms.services.assets import blob_key

    files = stored_files(app)
    assert not [name for name in files if Path(name).name.startswith(".tmp-")]
    with app.app_context():
        named = {blob_key(sha) for sha in db.session.scalars(select(Asset.sha256))}
        named |= set(db.session.scalars(select(PackageImport.blob).where(PackageImport.blob.is_not(None))))
        named |= set(db.session.scalars(select(JpEntry.evidence_path).where(JpEntry.evidence_path.is_not(None))))
        db.session.rollback()
    assert named <= files, named - files


def assert_storage_full_page(response, *, json: bool = False) -> None:
    assert response.status_code == 507, (response.status_code, response.get_data(as_text=True)[:300])
    if json:
        assert response.get_json()["error"]["code"] == "insufficient_storage"
    else:
        assert "<h1>507" in response.get_data(as_text=True)


PDF = b"%PDF-1.4\n" + b"0" * 4000 + b"\n%%EOF\n"


def evidence_form(client) -> dict:
    return {"csrf_token": client.csrf_token("/me/jp"), "title": "Diklat Kearsipan", "organiser": "ANRI",
            "start_on": "2026-03-02", "end_on": "2026-03-04", "jp": "12", "competency": "teknis",
            "evidence": (io.BytesIO(PDF), "sertifikat.pdf")}


@pytest.mark.parametrize("free", [0, 1000])
def test_evidence_upload_on_a_full_disk(lms_app, lms_client, lms_user, full_disk, free):
    login(lms_client, lms_user())
    before, files = snapshot(lms_app), stored_files(lms_app)
    disk = full_disk(free)
    response = lms_client.post("/me/jp", data=evidence_form(lms_client), content_type="multipart/form-data")
    assert disk.refused == 1
    assert_storage_full_page(response)
    assert snapshot(lms_app) == before and stored_files(lms_app) == files
    assert_storage_consistent(lms_app)
    disk.free = 10**9  # space freed: the same upload now works
    assert lms_client.post("/me/jp", data=evidence_form(lms_client),
                           content_type="multipart/form-data").status_code == 302
    assert_storage_consistent(lms_app)


def package_zip(slug: str = "arsip", asset_bytes: int = 30_000) -> bytes:
    manifest, bodies = course_manifest(slug, lessons=1)
    bodies["lessons/pelajaran-1.md"] += "\n\n![Bagan](../assets/bagan.png)\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("course.yaml", yaml.safe_dump(manifest, allow_unicode=True))
        for name, text in bodies.items():
            archive.writestr(name, text)
        archive.writestr("assets/bagan.png", PNG_HEADER + os.urandom(asset_bytes))
        archive.writestr("assets/lampiran.pdf", PDF + os.urandom(asset_bytes))
    return buffer.getvalue()


PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def upload(client, data: bytes, **headers):
    return client.post("/author/import", data={"csrf_token": client.csrf_token("/author/import"),
                                               "package": (io.BytesIO(data), "arsip.zip")},
                       content_type="multipart/form-data", headers=headers)


def test_package_upload_on_a_full_disk(lms_app, lms_client, lms_user, full_disk):
    """The upload itself cannot be kept: 507 (also for the progress script), no import row."""
    login(lms_client, lms_user(role="author"))
    before, files = snapshot(lms_app), stored_files(lms_app)
    disk = full_disk(1000)
    assert_storage_full_page(upload(lms_client, package_zip()))
    assert_storage_full_page(upload(lms_client, package_zip(), **{"X-Upload-Progress": "1"}))
    assert disk.refused == 2
    assert snapshot(lms_app) == before and stored_files(lms_app) == files
    assert_storage_consistent(lms_app)


def test_package_import_job_on_a_full_disk(lms_app, lms_client, lms_user, full_disk):
    """The upload fits, its course files do not: the job fails cleanly (no version, no asset
    rows, no blobs, the upload deleted) and the author reads why."""
    login(lms_client, lms_user(role="author"))
    data = package_zip()
    files = stored_files(lms_app)
    disk = full_disk(len(data) + 20_000)  # the upload and the first blob fit, the second does not
    response = upload(lms_client, data)
    assert disk.refused == 1
    assert response.status_code == 302
    with lms_app.app_context():
        record = db.session.scalar(select(PackageImport))
        assert (record.status.value, record.error, record.blob) == ("failed", "storage_full", None)
        from lms.models import Asset, CourseVersion
        assert db.session.scalar(select(func.count()).select_from(CourseVersion)) == 0
        assert db.session.scalar(select(func.count()).select_from(Asset)) == 0
        db.session.rollback()
    assert stored_files(lms_app) == files
    assert_storage_consistent(lms_app)
    status = lms_client.get(response.location)
    assert status.status_code == 400
    page = status.get_data(as_text=True)
    assert "storage" in page.lower() or "penyimpanan" in page.lower()
    disk.free = 10**9
    again = upload(lms_client, data)
    assert lms_client.get(again.location).status_code == 302  # imported: on to the course
    assert_storage_consistent(lms_app)


def test_cli_import_on_a_full_disk(lms_app, lms_runner, full_disk, tmp_path):
    package = tmp_path / "arsip.zip"
    package.write_bytes(package_zip())
    before, files = snapshot(lms_app), stored_files(lms_app)
    full_disk(20_000)
    result = lms_runner.invoke(args=["lms", "import-course", str(package)])
    assert result.exit_code == 1
    assert "the file storage is full; nothing was imported" in result.output
    assert snapshot(lms_app) == before and stored_files(lms_app) == files


def test_user_import_check_on_a_full_disk(lms_app, lms_client, lms_user, units, full_disk):
    """The checked CSV waits in storage for the confirmation: without room, 507, nothing kept."""
    login(lms_client, lms_user(role="admin"))
    text = "nip,nama,email,kode_unit,jabatan,golongan\n199001012015011001,Ani,ani@example.go.id,DISDIK-SD,Guru,III/a\n"
    before, files = snapshot(lms_app), stored_files(lms_app)
    disk = full_disk(10)
    response = lms_client.post("/admin/users/import", data={
        "csrf_token": lms_client.csrf_token("/"), "check": "1", "unit_default": "",
        "file": (io.BytesIO(text.encode()), "pegawai.csv")}, content_type="multipart/form-data")
    assert disk.refused == 1
    assert_storage_full_page(response)
    assert snapshot(lms_app) == before and stored_files(lms_app) == files


@pytest.mark.parametrize("code, full", [(errno.ENOSPC, True), (errno.EDQUOT, True), (errno.EIO, False)])
def test_only_no_room_becomes_storage_full(tmp_path, monkeypatch, code, full):
    """ENOSPC and EDQUOT become StorageFull (507); another I/O error stays what it is (500).
    Either way the partial file is removed."""
    import lms.storage
    from lms.storage import LocalStorage, StorageFull

    class Failing(_Filling):
        def write(self, data):
            self.fh.write(data[:10])
            raise OSError(code, os.strerror(code))

    disk = FullDisk(0)
    disk.fdopen = lambda fd, mode="r", *a, **k: Failing(os.fdopen(fd, mode, *a, **k), disk)
    monkeypatch.setattr(lms.storage, "os", disk)
    with pytest.raises(OSError) as raised:
        LocalStorage(tmp_path).write("evidence/1/x.pdf", PDF)
    assert isinstance(raised.value, StorageFull) is full and raised.value.errno == code
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


# ============================================================ 2. a plugin raising in a hook


def raising_plugin(hook: str):
    """A plugin whose only hook is `hook`, taking the spec's arguments, and always raising."""
    arguments = ", ".join(["self", *inspect.signature(getattr(hookspecs, hook)).parameters])
    namespace = {"hookimpl": hookimpl}
    # pluggy reads the argument names from the function itself: write it with the spec's.
    source = (f"class Boom:\n    lms_api = {hookspecs.LMS_PLUGIN_API!r}\n    @hookimpl\n"
              f"    def {hook}({arguments}):\n        raise RuntimeError('boom in {hook}')\n")
    exec(source, namespace)  # noqa: S102 - our own text, built from the hookspec's names
    return namespace["Boom"]()


def hookspec_names() -> set[str]:
    """Every hook of the plugin API, read from the spec module (not from a list kept here)."""
    return {name for name, fn in vars(hookspecs).items()
            if callable(fn) and hasattr(fn, f"{hookspecs.PROJECT}_spec")}


def boom_app(tmp_path, hook: str, **settings):
    """An app with the plugin raising in `hook`; PLUGIN_ERRORS as in production."""
    app = create_app("testing", {"DATABASE_URL": f"sqlite:///{tmp_path}/boom.sqlite3",
                                 "STORAGE_DIR": str(tmp_path / "storage"), "PLUGIN_ERRORS": "log",
                                 "PLUGIN_OBJECTS": {"boom": raising_plugin(hook)}, **settings})
    app.test_client_class = LmsClient
    return app


def refuses_start(tmp_path, hook):
    """Lifecycle hooks and CLI commands: the app does not start, and says which plugin failed."""
    for strict in (True, False):
        with pytest.raises(StartupError, match=f"plugin 'boom' failed in {hook}: RuntimeError: boom in {hook}"):
            boom_app(tmp_path, hook, STRICT_PLUGINS=strict)


def refuses_plugin(tmp_path, hook):
    """Startup contributions: strict mode stops the start naming the plugin; otherwise the
    plugin alone is refused and the site runs with the core's contributions."""
    with pytest.raises(StartupError, match=f"plugin 'boom' refused: failed in {hook}: RuntimeError"):
        boom_app(tmp_path, hook, STRICT_PLUGINS=True)
    app = boom_app(tmp_path, hook, STRICT_PLUGINS=False)
    info = app.extensions["lms"].infos["boom"]
    assert info.status == "refused" and f"failed in {hook}" in info.reason
    assert app.extensions["lms"].pm.get_plugin("boom") is None
    with app.app_context():
        db.create_all()
    assert app.test_client().get("/").status_code == 200
    assert app.test_client().get("/courses").status_code == 200
    _dispose(app)


def fails_when_called(call, message_in):
    def scenario(tmp_path, hook):
        app = boom_app(tmp_path, hook)
        try:
            with app.app_context(), pytest.raises(StartupError, match=f"plugin 'boom' failed in {hook}: RuntimeError"):
                call(app)
            result = message_in(app)
            if result is not None:  # the command stops, naming the plugin
                assert result.exit_code != 0 and f"plugin 'boom' failed in {hook}" in str(result.exception)
        finally:
            _dispose(app)
    return scenario


def _migration_dirs(app):
    from lms.extensions import plugin_migration_dirs

    plugin_migration_dirs(app)


def _periodic(app):
    from lms.cli.worker import periodic_jobs

    periodic_jobs(app)


def curricula_command_fails(tmp_path, hook):
    """Installing curricula is the administrator's request: the command names the plugin,
    exits 1 and installs nothing; the plugin is not refused for it."""
    app = boom_app(tmp_path, hook)
    try:
        with app.app_context():
            db.create_all()
        result = app.test_cli_runner().invoke(args=["lms", "install-curricula"])
        assert result.exit_code == 1
        assert "plugin 'boom' failed in register_curricula: RuntimeError: boom in register_curricula" in result.output
        with app.app_context():
            from lms.models import Course
            assert db.session.scalar(select(func.count()).select_from(Course)) == 0
        assert app.extensions["lms"].infos["boom"].status == "enabled"
    finally:
        _dispose(app)


def _dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def journey(app, *, revoke: bool = True) -> dict:
    """Everything a learner does, then an admin's revocation: each step must succeed and
    be recorded whatever a plugin does in its react hooks. Returns what was recorded."""
    from lms.packages.manifest import parse_manifest
    from lms.services import courses

    manifest, bodies = course_manifest(SLUG, lessons=1, jp=2, questions=QUESTIONS)
    spec, _ = parse_manifest(manifest)
    with app.app_context():
        db.create_all()
        courses.publish(courses.import_version(spec, bodies))
        from lms.models import Role
        from lms.services import accounts
        accounts.register_user(role=Role.ADMIN, name="Admin", email="admin@example.go.id",
                               nip="198001012005011001", password=DEFAULT_PASSWORD)
    client = app.test_client()
    steps = [client.submit("/register", {"name": "Andi Pratama", "email": "andi@palembang.go.id",
                                         "nip": "199001012015011001", "password": "Belajar-ASN-2026",
                                         "confirm": "Belajar-ASN-2026"}).status_code]
    if client.get("/me").status_code != 200:
        client.submit("/login", {"login": "andi@palembang.go.id", "password": "Belajar-ASN-2026"})
    steps.append(client.submit(f"/courses/{SLUG}/enrol", form_page=f"/courses/{SLUG}").status_code)
    steps.append(client.get(f"/learn/{SLUG}/pelajaran-1").status_code)
    steps.append(client.submit(f"/learn/{SLUG}/pelajaran-1/complete",
                               form_page=f"/learn/{SLUG}/pelajaran-1").status_code)
    started = client.submit(f"/learn/{SLUG}/quiz/kuis/start", form_page=f"/learn/{SLUG}/quiz/kuis")
    uid = started.location.rsplit("/", 1)[-1]
    steps.append(client.post(f"/learn/attempts/{uid}/submit",
                             data={"csrf_token": client.csrf_token("/"), **RIGHT}).status_code)
    with app.app_context():
        number = db.session.scalar(select(Certificate.number))
    if revoke:
        admin = app.test_client()
        admin.submit("/login", {"login": "admin@example.go.id", "password": DEFAULT_PASSWORD})
        steps.append(admin.submit(f"/admin/certificates/{number}/revoke", {"reason": "Salah data"},
                                  form_page=f"/admin/certificates/{number}").status_code)
    assert steps == [302, 302, 200, 302, 302] + ([302] if revoke else []), steps
    with app.app_context():
        recorded = {"users": db.session.scalar(select(func.count()).select_from(User)),
                    "visited": db.session.scalar(select(Enrollment.last_lesson_key)),
                    "attempt": db.session.scalar(select(Attempt.state)),
                    "completed": db.session.scalar(select(Enrollment.completed_at)) is not None,
                    "jp_entries": db.session.scalar(select(func.count()).select_from(JpEntry)),
                    "revoked": db.session.scalar(select(Certificate.revoked_at)) is not None}
        db.session.rollback()
    return recorded


RECORDED = {"users": 2, "visited": "pelajaran-1", "attempt": AttemptState.GRADED, "completed": True,
            "jp_entries": 1, "revoked": True}


def isolated_reaction(tmp_path, hook):
    """React hooks: logged and isolated; the learner's and the admin's actions are all kept."""
    app = boom_app(tmp_path, hook)
    try:
        with _log_capture() as records:
            assert journey(app) == RECORDED
        assert any(f"plugin boom failed in {hook}" in message for message in records), hook
    finally:
        _dispose(app)


def nav_stays_up(tmp_path, hook):
    """Per-request contributions: the failing plugin's items are dropped, the page stays up."""
    app = boom_app(tmp_path, hook)
    try:
        with app.app_context():
            db.create_all()
        with _log_capture() as records:
            response = app.test_client().get("/courses")
        assert response.status_code == 200 and 'href="/login"' in response.get_data(as_text=True)
        assert any("plugin boom failed in nav_items" in message for message in records)
    finally:
        _dispose(app)


def enrolment_fails_closed(tmp_path, hook):
    """Decide hooks: a raising check denies (fails closed) with a message; nothing is written."""
    app = boom_app(tmp_path, hook)
    try:
        with app.app_context():
            db.create_all()
        from lms.models import Role
        from lms.packages.manifest import parse_manifest
        from lms.services import accounts, courses
        spec, _ = parse_manifest(course_manifest(SLUG, lessons=1)[0])
        with app.app_context():
            courses.publish(courses.import_version(spec, course_manifest(SLUG, lessons=1)[1]))
            accounts.register_user(role=Role.LEARNER, name="Andi", email="andi@example.go.id",
                                   nip="199001012015011001", password=DEFAULT_PASSWORD)
        client = app.test_client()
        client.submit("/login", {"login": "andi@example.go.id", "password": DEFAULT_PASSWORD})
        response = client.submit(f"/courses/{SLUG}/enrol", form_page=f"/courses/{SLUG}", follow_redirects=True)
        assert response.status_code == 200 and "check_enrollment check failed" in response.get_data(as_text=True)
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 0
    finally:
        _dispose(app)


def certificate_signing_retries(tmp_path, hook):
    """Signing is a background job: a raising signer is recorded on the certificate (to be
    tried again), which stays valid with its original PDF."""
    lifecycle = pytest.importorskip("lms.services.certificate_lifecycle")
    from lms.models import CertificateStatus
    from lms.services import certificates

    app = boom_app(tmp_path, hook)
    try:
        assert journey(app, revoke=False)["completed"]
        with app.app_context():
            certificate_id = db.session.scalar(select(Certificate.id))
            with _log_capture():
                assert lifecycle.sign_one(certificate_id) == "failed"
            certificate = db.session.get(Certificate, certificate_id)
            assert certificate.status == CertificateStatus.VALID
            assert "boom in sign_certificate_pdf" in certificate.sign_error
            assert certificates.pdf(certificate).startswith(b"%PDF")
            db.session.rollback()
    finally:
        _dispose(app)


class _log_capture:
    """Collect the lms loggers' messages (caplog cannot see apps built inside a scenario)."""

    def __enter__(self):
        self.records: list[str] = []
        self.handler = logging.Handler()
        self.handler.emit = lambda record: self.records.append(record.getMessage())
        logging.getLogger("lms").addHandler(self.handler)
        return self.records

    def __exit__(self, *exc_info):
        logging.getLogger("lms").removeHandler(self.handler)


#: What a plugin raising in each hook must lead to. A new hookspec without an entry fails
#: test_every_hook_has_a_fault_scenario: decide its behaviour, then add it here.
SCENARIOS = {
    "config_defaults": refuses_start,
    "startup": refuses_start,
    "register_commands": refuses_start,
    "register_blueprints": refuses_plugin,
    "register_lesson_types": refuses_plugin,
    "register_question_types": refuses_plugin,
    "register_certificate_templates": refuses_plugin,
    "register_completion_rules": refuses_plugin,
    "training_history_exporters": refuses_plugin,
    "migrations_dirs": fails_when_called(_migration_dirs,
                                         lambda app: app.test_cli_runner().invoke(args=["db", "heads"])),
    "periodic_jobs": fails_when_called(_periodic, lambda app: None),
    "register_curricula": curricula_command_fails,
    "nav_items": nav_stays_up,
    "check_enrollment": enrolment_fails_closed,
    "sign_certificate_pdf": certificate_signing_retries,
    **{hook: isolated_reaction for hook in hookspecs.REACT_HOOKS},
}


def test_every_hook_has_a_fault_scenario():
    assert sorted(hookspec_names() - SCENARIOS.keys()) == []
    assert sorted(SCENARIOS.keys() - hookspec_names()) == []


@pytest.mark.parametrize("hook", sorted(hookspec_names()))
def test_plugin_raising_in_hook(hook, tmp_path):
    if hook not in SCENARIOS:
        pytest.fail(f"no fault scenario for the hook {hook!r}: add one to SCENARIOS")
    SCENARIOS[hook](tmp_path, hook)
