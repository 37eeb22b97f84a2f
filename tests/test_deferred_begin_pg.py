"""Reads without a transaction on PostgreSQL (lms.database.begin_before_writes).

A page that only reads sends no BEGIN and no COMMIT; the first write, row lock or savepoint
opens the transaction, which then holds everything up to the commit (or rollback). Each
behaviour has a negative control: the same steps with the switch off, or with the lock
detection disabled, must show the difference.

The statement classifier is tested everywhere; the rest only when LMS_TEST_DATABASE_URL
names a PostgreSQL database (CI's second pass).
"""
from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import create_engine, event, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from lms import database
from lms.database import db, needs_transaction
from lms.models import User
from lms.settings import normalise_url

URL = os.environ.get("LMS_TEST_DATABASE_URL", "")
postgresql = pytest.mark.skipif(not URL.startswith("postgresql"),
                                reason="needs LMS_TEST_DATABASE_URL=postgresql+psycopg://...")


@pytest.mark.parametrize("statement", [
    "SELECT users.id, users.updated_at FROM users WHERE users.id = %(pk)s",
    "  select count(*) from lesson_progress",
    "WITH recent AS (SELECT id FROM courses) SELECT * FROM recent",
])
def test_plain_reads_need_no_transaction(statement):
    assert not needs_transaction(statement)


@pytest.mark.parametrize("statement", [
    "INSERT INTO users (name) VALUES (%(name)s) RETURNING users.id",
    "UPDATE attempts SET state=%(state)s WHERE attempts.id = %(id)s",
    "DELETE FROM sessions WHERE id = 1",
    "SELECT attempts.id FROM attempts WHERE attempts.id = %(id)s FOR UPDATE",
    "SELECT jp.id FROM jp FOR KEY SHARE",
    "select id from attempts for no key update skip locked",
    "WITH moved AS (UPDATE outbox SET sent = true RETURNING id) SELECT count(*) FROM moved",
    "SELECT * INTO backup_users FROM users",
    "SELECT pg_advisory_xact_lock(42)",
    "SELECT set_config('lms.unit', '1', true)",
    "SAVEPOINT sa_savepoint_1",
    "TRUNCATE users",
    "CREATE TABLE x (id int)",
    "LOCK TABLE users",
])
def test_writes_locks_and_everything_else_open_a_transaction(statement):
    assert needs_transaction(statement)


# ------------------------------------------------------------------ PostgreSQL


@contextmanager
def statuses(app):
    """Record (first word of the statement, transaction status right after it) per statement."""
    seen: list[tuple[str, TransactionStatus]] = []

    def after(_conn, cursor, statement, *_args):
        seen.append((statement.split(None, 1)[0].upper(), cursor.connection.info.transaction_status))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(engine, "after_cursor_execute", after)


def _open_lesson_twice(client, auth, make_user, make_course):
    """Enrol, open the first lesson (it writes the resume point), then record its reload."""
    course = make_course("kursus-baca")
    auth.login(make_user())
    client.submit(f"/courses/{course.slug}/enrol", {}, form_page=f"/courses/{course.slug}")
    page = f"/learn/{course.slug}/{course.lesson_keys[1]}"
    assert client.get(page).status_code == 200
    return page


@postgresql
def test_a_page_that_only_reads_runs_outside_any_transaction(lms_app, lms_client, lms_auth, lms_user,
                                                             lms_course):
    page = _open_lesson_twice(lms_client, lms_auth, lms_user, lms_course)
    with statuses(lms_app) as seen:
        assert lms_client.get(page).status_code == 200
    assert seen and {word for word, _ in seen} == {"SELECT"}  # the user, the enrolment, ...
    assert {status for _, status in seen} == {TransactionStatus.IDLE}  # no BEGIN was sent


@postgresql
@pytest.mark.lms_config(DATABASE_DEFERRED_BEGIN=False)
def test_negative_control_with_the_switch_off_the_same_page_opens_a_transaction(
        lms_app, lms_client, lms_auth, lms_user, lms_course):
    page = _open_lesson_twice(lms_client, lms_auth, lms_user, lms_course)
    with statuses(lms_app) as seen:
        assert lms_client.get(page).status_code == 200
    assert seen and {status for _, status in seen} == {TransactionStatus.INTRANS}


@postgresql
def test_a_first_visit_writes_its_resume_point_in_a_committed_transaction(lms_app, lms_client, lms_auth,
                                                                         lms_user, lms_course):
    course = lms_course("kursus-tulis")
    user = lms_user()
    lms_auth.login(user)
    lms_client.submit(f"/courses/{course.slug}/enrol", {}, form_page=f"/courses/{course.slug}")
    with statuses(lms_app) as seen:
        assert lms_client.get(f"/learn/{course.slug}/{course.lesson_keys[2]}").status_code == 200
    writes = [status for word, status in seen if word in ("UPDATE", "INSERT")]
    assert writes and set(writes) == {TransactionStatus.INTRANS}
    with other_connection() as conn:  # committed: another connection sees it
        assert conn.scalar(text("SELECT last_lesson_key FROM enrollments WHERE user_id = :id"),
                           {"id": user.id}) == course.lesson_keys[2]


@postgresql
def test_everything_after_the_first_write_rolls_back_together(lms_app, lms_user):
    user = lms_user()
    with lms_app.app_context():
        db.session.get(User, user.id)  # a read first: outside any transaction
        db.session.execute(update(User).where(User.id == user.id).values(name="Ditulis"))
        db.session.execute(update(User).where(User.id == user.id).values(email="baru@example.go.id"))
        status = db.session.connection().connection.dbapi_connection.info.transaction_status
        db.session.rollback()
        assert status == TransactionStatus.INTRANS
        again = db.session.get(User, user.id, populate_existing=True)
        assert (again.name, again.email) == (user.name, user.email)


@contextmanager
def other_connection():
    engine = create_engine(normalise_url(URL), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _locked_elsewhere(user_id: int) -> bool:
    """Whether another connection finds the user's row locked (FOR UPDATE NOWAIT fails)."""
    with other_connection() as conn:
        try:
            conn.execute(text("SELECT id FROM users WHERE id = :id FOR UPDATE NOWAIT"), {"id": user_id})
        except OperationalError:
            return True
        finally:
            conn.rollback()
    return False


@postgresql
def test_a_row_lock_taken_by_a_read_is_held_until_the_commit(lms_app, lms_user):
    user = lms_user()
    with lms_app.app_context():
        db.session.scalar(select(User).where(User.id == user.id).with_for_update())
        assert _locked_elsewhere(user.id)
        db.session.commit()
        assert not _locked_elsewhere(user.id)


@postgresql
def test_negative_control_without_lock_detection_the_lock_is_gone_at_once(lms_app, lms_user, monkeypatch):
    user = lms_user()
    monkeypatch.setattr(database, "needs_transaction", lambda statement: not statement.startswith("SELECT"))
    with lms_app.app_context():
        db.session.scalar(select(User).where(User.id == user.id).with_for_update())
        assert not _locked_elsewhere(user.id)
        db.session.rollback()


@postgresql
def test_a_streamed_read_gets_the_transaction_its_server_side_cursor_needs(lms_app, lms_user):
    made = {lms_user().id for _ in range(3)}
    with lms_app.app_context():
        streamed = {user.id for user in db.session.scalars(select(User).execution_options(yield_per=2))}
        db.session.rollback()
    assert made <= streamed
