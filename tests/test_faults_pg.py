"""Fault injection on a real PostgreSQL: the server ends the request's backend
(pg_terminate_backend) at every statement of a submit, and a worker process is killed
(SIGKILL) in the middle of a quiz submission.

Skipped unless LMS_TEST_DATABASE_URL names a PostgreSQL database (CI's second pass). The
SQLite stand-ins, the sweeps' helpers and the expected outcomes are in test_faults.py.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.pool import NullPool
from test_faults import (
    FULLY_RECORDED,
    NOTHING_RECORDED,
    RIGHT,
    Fault,
    SubmitChecker,
    assert_unavailable,
    outcome,
    ready_to_submit,
    snapshot,
    sweep,
)

from lms.database import db
from lms.models import User
from lms.settings import normalise_url
from lms.testing import DEFAULT_PASSWORD

URL = os.environ.get("LMS_TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(not URL.startswith("postgresql"),
                                reason="needs LMS_TEST_DATABASE_URL=postgresql+psycopg://...")
ROOT = Path(__file__).resolve().parent.parent


class Terminate(Fault):
    """At the Nth statement the server ends this connection's backend, as when PostgreSQL
    restarts or an administrator kills it; the statement then fails for real."""

    def __init__(self, engine):
        super().__init__(engine, "terminate")
        self.admin = create_engine(normalise_url(URL), poolclass=NullPool)

    def _statement(self, conn, cursor, statement, parameters, context, executemany):
        if self.after is None:
            return
        self.statements += 1
        if self.statements > self.after and not self.injected:
            self.injected += 1
            self.total += 1
            pid = conn.connection.dbapi_connection.info.backend_pid
            with self.admin.connect() as admin:
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                for _ in range(200):  # until the backend is really gone
                    if not admin.execute(text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"),
                                         {"pid": pid}).first():
                        break
                    time.sleep(0.01)

    def _commit(self, dbapi_connection):
        return self._do_commit(dbapi_connection)

    def remove(self) -> None:
        super().remove()
        self.admin.dispose()


@pytest.mark.lms_config(PLUGIN_ERRORS="log")
def test_backend_terminated_at_every_statement_of_a_submit(lms_app, lms_client, lms_course, lms_user, lms_events):
    uid = ready_to_submit(lms_app, lms_course, lms_user, lms_client)
    with lms_app.app_context():
        fault = Terminate(db.engine)
    try:
        token = lms_client.csrf_token("/")

        def answer(response):
            if response.status_code != 503:
                return False
            assert_unavailable(response)
            return True

        check = SubmitChecker(lms_app, uid, lms_events, answer=answer)
        response, _ = sweep(lms_app, fault, lambda: lms_client.post(
            f"/learn/attempts/{uid}/submit", data={"csrf_token": token, **RIGHT}), check)
    finally:
        fault.remove()
    assert check.before_commit >= 10
    assert response.status_code == 302 and outcome(lms_app, uid) == FULLY_RECORDED
    assert lms_events.names().count("quiz_graded") <= 1


# ------------------------------------------------- a pooled connection the server closed


def _pooled_backend_pid(lms_app) -> int:
    with lms_app.app_context(), db.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()


def _terminate(pid: int) -> None:
    admin = create_engine(normalise_url(URL), poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            for _ in range(200):
                if not conn.execute(text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).first():
                    return
                time.sleep(0.01)
    finally:
        admin.dispose()


@pytest.mark.lms_config(PLUGIN_ERRORS="log")
def test_a_pooled_connection_the_server_closed_is_replaced_without_a_ping(lms_app, lms_client, lms_auth,
                                                                         lms_user):
    """No pool_pre_ping round trip: the checkout check (lms.database.check_idle_connection)
    sees that the server closed the idle connection and the pool opens a new one, so the
    next request works. Without the check the same request fails: the control below."""
    from lms.database import check_idle_connection

    assert not lms_app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping")
    lms_auth.login(lms_user())
    assert lms_client.get("/me").status_code == 200
    closed = _pooled_backend_pid(lms_app)
    _terminate(closed)
    assert lms_client.get("/me").status_code == 200
    assert _pooled_backend_pid(lms_app) != closed

    with lms_app.app_context():
        event.remove(db.engine, "checkout", check_idle_connection)
    try:
        _terminate(_pooled_backend_pid(lms_app))
        assert lms_client.get("/me").status_code >= 500  # what the check spares every request
    finally:
        with lms_app.app_context():
            event.listen(db.engine, "checkout", check_idle_connection)
    assert lms_client.get("/me").status_code == 200  # the failed one was discarded


# ------------------------------------------------------------------ a killed worker

#: Runs one submit in its own process and stops, forever, at the named point; the test kills it.
CHILD = textwrap.dedent('''
    import json, sys, time
    from sqlalchemy import event
    from lms import create_app
    from lms.database import db
    from lms.hookspecs import hookimpl
    from lms.testing import LmsClient

    config, point, ready, email, password, uid = json.loads(sys.argv[1])

    def pause():
        open(ready, "w").close()
        time.sleep(600)

    class AfterCommit:
        @hookimpl
        def quiz_graded(self, attempt):
            if point == "committed":
                pause()

    app = create_app("testing", config)
    app.test_client_class = LmsClient
    app.extensions["lms"].pm.register(AfterCommit(), name="pause")
    MARKS = {"locked": "FOR UPDATE", "graded": "UPDATE attempts SET", "completed": "INSERT INTO certificates"}

    with app.app_context():
        @event.listens_for(db.engine, "after_cursor_execute")
        def stop(conn, cursor, statement, parameters, context, executemany):
            if armed and point in MARKS and MARKS[point] in statement:
                pause()

    armed = False  # signing in may lock the user's row too: pause in the submit only
    client = app.test_client()
    client.submit("/login", {"login": email, "password": password})
    token = client.csrf_token("/")
    armed = True
    client.post(f"/learn/attempts/{uid}/submit", data={"csrf_token": token, "q0": "true", "q1": "false"})
    sys.exit(3)  # never reached when the test kills us in time
''')


def run_and_kill(lms_app, lms_config, tmp_path, point: str, uid: str, while_paused=None):
    """Start the worker, wait for it to stop at `point`, run `while_paused`, SIGKILL it."""
    script, ready = tmp_path / "worker.py", tmp_path / f"ready-{point}"
    script.write_text(CHILD)
    with lms_app.app_context():
        email = db.session.scalar(select(User.email).where(User.role == "learner"))
    args = [{k: v for k, v in lms_config.items() if k != "PLUGIN_OBJECTS"}, point, str(ready), email,
            DEFAULT_PASSWORD, uid]
    log = tmp_path / f"worker-{point}.log"
    with log.open("wb") as output:
        worker = subprocess.Popen([sys.executable, str(script), json.dumps(args)], cwd=ROOT,
                                  stdout=output, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            if ready.exists() or worker.poll() is not None:
                break
            time.sleep(0.1)
        assert ready.exists(), log.read_text()[-3000:]
        result = while_paused() if while_paused else None
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(timeout=30) == -signal.SIGKILL
        return result
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=30)


@pytest.mark.parametrize("point, recorded", [
    ("locked", NOTHING_RECORDED),       # holding the attempt's row lock, nothing written yet
    ("graded", NOTHING_RECORDED),       # the attempt graded in the transaction, not committed
    ("completed", NOTHING_RECORDED),    # completion and certificate written, not committed
    ("committed", FULLY_RECORDED),      # committed, killed while telling plugins
])
def test_worker_killed_during_a_quiz_submission(lms_app, lms_config, lms_client, lms_course, lms_user, tmp_path,
                                                point, recorded):
    """Killed anywhere, the attempt is either fully recorded or still open; the learner's
    retry then records it exactly once (or changes nothing)."""
    uid = ready_to_submit(lms_app, lms_course, lms_user, lms_client)
    run_and_kill(lms_app, lms_config, tmp_path, point, uid)
    _wait_for_no_other_backends(lms_app)
    assert outcome(lms_app, uid) == recorded
    before = snapshot(lms_app)
    token = lms_client.csrf_token("/")
    retry = lms_client.post(f"/learn/attempts/{uid}/submit", data={"csrf_token": token, **RIGHT})
    assert retry.status_code == 302 and retry.location.endswith("/review")
    assert outcome(lms_app, uid) == FULLY_RECORDED
    if recorded == FULLY_RECORDED:
        assert snapshot(lms_app) == before  # the retry changed nothing


def test_retry_waiting_on_a_killed_workers_lock_records_once(lms_app, lms_config, lms_client, lms_course,
                                                             lms_user, tmp_path):
    """The learner resubmits while the dying worker still holds the attempt's row lock: the
    retry waits, the kill releases the lock, and the retry records the attempt once."""
    uid = ready_to_submit(lms_app, lms_course, lms_user, lms_client)
    token = lms_client.csrf_token("/")
    answers: list = []

    def resubmit_while_locked():
        thread = threading.Thread(target=lambda: answers.append(lms_client.post(
            f"/learn/attempts/{uid}/submit", data={"csrf_token": token, **RIGHT})))
        thread.start()
        time.sleep(1.0)
        assert not answers  # waiting on the lock
        return thread

    thread = run_and_kill(lms_app, lms_config, tmp_path, "graded", uid, resubmit_while_locked)
    thread.join(timeout=60)
    assert len(answers) == 1 and answers[0].status_code == 302
    assert outcome(lms_app, uid) == FULLY_RECORDED


def _wait_for_no_other_backends(app) -> None:
    """PostgreSQL ends a killed client's backend (and rolls it back) once it sees the socket close."""
    with app.app_context():
        engine = create_engine(normalise_url(URL), poolclass=NullPool)
        try:
            with engine.connect() as conn:
                for _ in range(300):
                    busy = conn.execute(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'")).scalar()
                    if not busy:
                        return
                    time.sleep(0.05)
        finally:
            engine.dispose()
