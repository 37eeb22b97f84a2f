"""The mail outbox: what is queued, in which language, and how send-notifications delivers it."""
from __future__ import annotations

import datetime as dt
import smtplib
import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select, update

from lms import mail
from lms.database import db
from lms.models import Enrollment, Notification, NotificationStatus, User
from lms.services import admin_enrolment, assignments, notifications


@pytest.fixture
def today(lms_app) -> dt.date:
    with lms_app.app_context():
        return assignments.local_today()


def assign_direct(app, admin, course, due_on: dt.date, **kwargs) -> int:
    with app.app_context():
        user = db.session.get(User, admin.id)
        return assignments.create(user, course_id=course.id, due_on=due_on,
                                  units=admin_enrolment.manageable_units(user), **kwargs).assignment.id


def set_locale(app, user, locale: str | None) -> None:
    with app.app_context():
        db.session.get(User, user.id).locale = locale
        db.session.commit()


def queue_mail(app, user, n: int = 1, kind: str = "test") -> list[int]:
    """Queue `n` simple messages for `user` and commit; returns their ids."""
    with app.app_context():
        recipient = db.session.get(User, user.id)
        rows = [notifications.queue(recipient, kind, ("Subject %(n)s", {"n": i}), [("Body %(n)s", {"n": i})])
                for i in range(n)]
        db.session.commit()
        return [row.id for row in rows]


def outbox(app) -> list[Notification]:
    with app.app_context():
        return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def make_due(app) -> None:
    """Move every pending retry to the past, as if its back-off had elapsed."""
    with app.app_context():
        db.session.execute(update(Notification).values(
            next_attempt_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
        db.session.commit()


def send(runner, *args):
    return runner.invoke(args=["lms", "send-notifications", *args])


# ------------------------------------------------------------------ backends and settings


def test_console_is_the_default_backend(lms_app):
    assert lms_app.config["MAIL_BACKEND"] == "console"
    assert isinstance(mail.backend_for(lms_app), mail.ConsoleBackend)


@pytest.mark.lms_config(MAIL_BACKEND="pigeon")
def test_an_unknown_backend_stops_the_sender_before_claiming(lms_app, lms_runner, lms_user):
    queue_mail(lms_app, lms_user())
    result = send(lms_runner)
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: unknown MAIL_BACKEND 'pigeon'; choose console or smtp"
    assert [(n.status, n.attempts) for n in outbox(lms_app)] == [(NotificationStatus.PENDING, 0)]


@pytest.mark.lms_config(MAIL_BACKEND="smtp", SMTP_HOST="")
def test_smtp_without_a_host_is_a_settings_error(lms_app, lms_runner):
    result = send(lms_runner)
    assert result.exit_code == 1 and "LMS_SMTP_HOST is empty" in result.stderr


def test_smtp_settings_come_from_the_environment(monkeypatch, request):
    for key, value in {"MAIL_BACKEND": "smtp", "SMTP_HOST": "mail.semarangkota.go.id",
                       "SMTP_PORT": "2525", "SMTP_USER": "lms", "SMTP_PASSWORD": "123456",
                       "SMTP_STARTTLS": "false", "MAIL_FROM": "LMS <lms@semarangkota.go.id>"}.items():
        monkeypatch.setenv(f"LMS_{key}", value)
    app = request.getfixturevalue("lms_app")
    backend = mail.backend_for(app)
    assert isinstance(backend, mail.SmtpBackend)
    settings = backend.settings
    # The environment parses JSON: a numeric password must still reach login() as text.
    assert (settings.host, settings.port, settings.user, settings.password, settings.starttls) == (
        "mail.semarangkota.go.id", 2525, "lms", "123456", False)


# ------------------------------------------------------------------ a fake SMTP server


class FakeServer:
    """Stands in for smtplib.SMTP: records sessions and messages, fails on demand."""

    def __init__(self):
        self.sessions: list[FakeSession] = []
        self.connect_error: Exception | None = None
        self.send_errors: list[Exception] = []  # raised by the next send_message calls, in order

    @property
    def messages(self):
        return [m for s in self.sessions for m in s.messages]

    def __call__(self, host, port, timeout=None):
        if self.connect_error is not None:
            raise self.connect_error
        session = FakeSession(self, host, port, timeout)
        self.sessions.append(session)
        return session


class FakeSession:
    def __init__(self, server: FakeServer, host, port, timeout):
        self.server, self.host, self.port, self.timeout = server, host, port, timeout
        self.calls: list = []
        self.messages: list = []

    def starttls(self, context=None):
        self.calls.append("starttls")

    def login(self, user, password):
        self.calls.append(("login", user, password))

    def send_message(self, message):
        if self.server.send_errors:
            raise self.server.send_errors.pop(0)
        self.messages.append(message)
        return {}

    def quit(self):
        self.calls.append("quit")

    def close(self):
        self.calls.append("close")


@pytest.fixture
def smtp(monkeypatch) -> FakeServer:
    server = FakeServer()
    monkeypatch.setattr(mail.smtplib, "SMTP", server)
    return server


SMTP_CONFIG = dict(MAIL_BACKEND="smtp", SMTP_HOST="mail.semarangkota.go.id", SMTP_PORT=587,
                   SMTP_USER="lms", SMTP_PASSWORD="rahasia", MAIL_FROM="LMS <lms@semarangkota.go.id>")


@pytest.mark.lms_config(**SMTP_CONFIG)
def test_smtp_sends_a_batch_over_one_session(lms_app, lms_runner, lms_user, smtp):
    learner = lms_user(email="siti@semarangkota.go.id")
    ids = queue_mail(lms_app, learner, 3)
    result = send(lms_runner)
    assert result.exit_code == 0 and result.output.strip() == "3 sent, 0 to retry, 0 failed"
    assert len(smtp.sessions) == 1
    session = smtp.sessions[0]
    assert (session.host, session.port) == ("mail.semarangkota.go.id", 587)
    assert session.calls == ["starttls", ("login", "lms", "rahasia"), "quit"]
    first = session.messages[0]
    assert first["From"] == "LMS <lms@semarangkota.go.id>" and first["To"] == "siti@semarangkota.go.id"
    assert first["Subject"] == "Subject 0" and first["Auto-Submitted"] == "auto-generated"
    assert first["Message-ID"] == f"<lms-notification-{ids[0]}@semarangkota.go.id>"
    assert first.get_content().startswith("Body 0\n\n")
    assert first.get_content_type() == "text/plain"
    assert [(n.status, n.attempts) for n in outbox(lms_app)] == [(NotificationStatus.SENT, 1)] * 3
    assert all(n.sent_at is not None for n in outbox(lms_app))
    again = send(lms_runner)
    assert again.exit_code == 0 and again.output.strip() == "0 sent, 0 to retry, 0 failed"
    assert len(smtp.sessions) == 1  # nothing due: no session opened at all


@pytest.mark.lms_config(**SMTP_CONFIG)
def test_a_failed_send_is_retried_with_back_off(lms_app, lms_runner, lms_user, smtp):
    queue_mail(lms_app, lms_user())
    smtp.send_errors = [smtplib.SMTPServerDisconnected("Connection unexpectedly closed")]
    before = dt.datetime.now(dt.timezone.utc)
    result = send(lms_runner)
    assert result.exit_code == 2
    assert "1 message(s) not sent" in result.stderr and "SMTPServerDisconnected" in result.stderr
    [row] = outbox(lms_app)
    assert (row.status, row.attempts) == (NotificationStatus.PENDING, 1)
    assert "Connection unexpectedly closed" in row.last_error
    next_attempt = row.next_attempt_at.replace(tzinfo=dt.timezone.utc) if row.next_attempt_at.tzinfo is None \
        else row.next_attempt_at
    assert next_attempt >= before + dt.timedelta(seconds=300)  # MAIL_RETRY_SECONDS
    assert send(lms_runner).output.strip() == "0 sent, 0 to retry, 0 failed"  # not due yet
    make_due(lms_app)
    result = send(lms_runner)
    assert result.exit_code == 0 and result.output.strip() == "1 sent, 0 to retry, 0 failed"
    [row] = outbox(lms_app)
    assert (row.status, row.attempts, row.last_error) == (NotificationStatus.SENT, 2, None)


def test_back_off_doubles_and_is_capped(lms_app):
    with lms_app.app_context():
        delays = [notifications.retry_delay(n).total_seconds() for n in (1, 2, 3, 7, 8, 40)]
    assert delays == [300, 600, 1200, 19200, 21600, 21600]


@pytest.mark.lms_config(MAIL_MAX_ATTEMPTS=2, **SMTP_CONFIG)
def test_the_sender_gives_up_after_the_last_attempt(lms_app, lms_runner, lms_user, smtp):
    queue_mail(lms_app, lms_user())
    smtp.send_errors = [smtplib.SMTPResponseException(451, b"try later")] * 2
    assert send(lms_runner).exit_code == 2
    make_due(lms_app)
    result = send(lms_runner)
    assert result.exit_code == 2 and result.output.startswith("0 sent, 0 to retry, 1 failed")
    [row] = outbox(lms_app)
    assert (row.status, row.attempts, row.last_error) == (NotificationStatus.FAILED, 2, "SMTP 451 try later")
    make_due(lms_app)
    assert send(lms_runner).output.strip() == "0 sent, 0 to retry, 0 failed"  # failed stays failed


@pytest.mark.lms_config(**SMTP_CONFIG)
def test_a_refused_address_fails_at_once_and_the_rest_is_sent(lms_app, lms_runner, lms_user, smtp):
    bad, good = lms_user(), lms_user()
    queue_mail(lms_app, bad)
    queue_mail(lms_app, good)
    smtp.send_errors = [smtplib.SMTPRecipientsRefused({bad.email: (550, b"no such user")})]
    result = send(lms_runner)
    assert result.exit_code == 2 and result.output.startswith("1 sent, 0 to retry, 1 failed")
    assert [(n.recipient, n.status, n.attempts) for n in outbox(lms_app)] == [
        (bad.email, NotificationStatus.FAILED, 1), (good.email, NotificationStatus.SENT, 1)]


@pytest.mark.lms_config(**SMTP_CONFIG)
def test_an_unreachable_server_stops_the_run(lms_app, lms_runner, lms_user, smtp):
    queue_mail(lms_app, lms_user(), 3)
    smtp.connect_error = ConnectionRefusedError(111, "Connection refused")
    result = send(lms_runner)
    assert result.exit_code == 2
    assert "cannot open an SMTP session with mail.semarangkota.go.id:587" in result.stderr
    # One attempt is counted; the others wait untouched for the next run.
    assert [(n.status, n.attempts) for n in outbox(lms_app)] == [(NotificationStatus.PENDING, 1),
                                                                (NotificationStatus.PENDING, 0),
                                                                (NotificationStatus.PENDING, 0)]
    smtp.connect_error = None
    make_due(lms_app)
    assert send(lms_runner).output.strip() == "3 sent, 0 to retry, 0 failed"


def test_limit_caps_one_run(lms_app, lms_runner, lms_user):
    queue_mail(lms_app, lms_user(), 3)
    assert send(lms_runner, "--limit", "2").output.strip() == "2 sent, 0 to retry, 0 failed"
    assert send(lms_runner).output.strip() == "1 sent, 0 to retry, 0 failed"


# ------------------------------------------------------------------ claiming


class SlowRecorder:
    """A backend that records which message ids it sent, slowly enough to interleave senders."""

    def __init__(self):
        self.sent: list[str] = []
        self.lock = threading.Lock()

    @contextmanager
    def connect(self):
        yield self

    def send(self, message):
        time.sleep(0.002)
        with self.lock:
            self.sent.append(message.message_id)


def test_two_senders_never_send_the_same_message_twice(lms_app, lms_user):
    """Run on PostgreSQL too (LMS_TEST_DATABASE_URL): there the claims really race."""
    ids = queue_mail(lms_app, lms_user(), 40)
    backend, tallies, errors = SlowRecorder(), [], []
    barrier = threading.Barrier(2)

    def sender():
        try:
            with lms_app.app_context():
                barrier.wait(timeout=10)
                tallies.append(notifications.send_due(backend=backend))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(backend.sent) == sorted(f"<lms-notification-{i}@localhost>" for i in ids)
    assert sum(t.sent for t in tallies) == 40
    assert {(n.status, n.attempts) for n in outbox(lms_app)} == {(NotificationStatus.SENT, 1)}


def test_a_claimed_message_is_not_due_for_another_sender(lms_app, lms_user):
    [mail_id] = queue_mail(lms_app, lms_user())
    with lms_app.app_context():
        claimed = notifications.claim_next()
        assert claimed.id == mail_id and claimed.attempts == 1
        assert notifications.claim_next() is None  # held for MAIL_CLAIM_SECONDS
        assert notifications.record(claimed, None) == "sent"
        # A result for an attempt we no longer hold is not recorded twice.
        assert notifications.record(claimed, mail.MailError("late")) == "retry"
    [row] = outbox(lms_app)
    assert (row.status, row.last_error) == (NotificationStatus.SENT, None)


# ------------------------------------------------------------------ what is queued


def test_an_assignment_queues_one_message_per_learner_in_their_language(lms_app, lms_runner, lms_user,
                                                                        lms_course, today):
    course = lms_course("etika-asn", lessons=1)
    admin = lms_user("admin")
    indonesian, english = lms_user(name="Siti"), lms_user(name="John")
    set_locale(lms_app, english, "en")
    due = dt.date(today.year + 1, 8, 17)
    assign_direct(lms_app, admin, course, due, learners_text=f"{indonesian.email} {english.email}",
                  note="Wajib sebelum penilaian kinerja")
    rows = {n.user_id: n for n in outbox(lms_app)}
    assert set(rows) == {indonesian.id, english.id}
    assert {n.kind for n in rows.values()} == {"assignment"}
    assert f"17 Agustus {due.year}" in rows[indonesian.id].body
    assert f"17 Agustus {due.year}" in rows[indonesian.id].subject
    assert f"August 17, {due.year}" in rows[english.id].body
    english_body = rows[english.id].body
    assert english_body.startswith("Hello John,\n\n")
    assert 'You have been assigned the course "Kursus etika-asn".' in english_body
    assert "Wajib sebelum penilaian kinerja" in english_body
    assert "http://127.0.0.1:5000/learn/etika-asn" in english_body
    result = send(lms_runner)
    assert result.exit_code == 0
    assert sorted(m.to for m in mail.sent_messages(lms_app)) == sorted([indonesian.email, english.email])


def test_inactive_learners_get_no_mail(lms_app, lms_user):
    learner = lms_user()
    with lms_app.app_context():
        user = db.session.get(User, learner.id)
        user.active = False
        assert notifications.queue(user, "test", ("x", {}), []) is None


def test_an_issued_certificate_is_announced(lms_app, lms_client, lms_auth, lms_user, lms_course,
                                            lms_runner):
    course = lms_course("sertifikat", lessons=1, jp=4)
    learner = lms_user(name="Siti")
    set_locale(lms_app, learner, "en")
    lms_auth.login(learner)
    lms_client.submit("/courses/sertifikat/enrol", form_page="/courses/sertifikat")
    key = course.lesson_keys[0]
    lms_client.submit(f"/learn/sertifikat/{key}/complete", form_page=f"/learn/sertifikat/{key}")
    [row] = outbox(lms_app)
    with lms_app.app_context():
        from lms.models import Certificate

        certificate = db.session.scalar(select(Certificate))
    assert (row.kind, row.user_id, row.dedup_key) == ("certificate", learner.id, f"certificate:{certificate.id}")
    assert row.subject == "Your certificate for Kursus sertifikat"
    assert certificate.number in row.body and "credits 4 JP" in row.body
    assert f"http://127.0.0.1:5000/verify/{certificate.code}" in row.body
    assert send(lms_runner).exit_code == 0
    assert [m.subject for m in mail.sent_messages(lms_app)] == ["Your certificate for Kursus sertifikat"]


def test_the_builtin_plugin_is_listed(lms_runner):
    lines = lms_runner.invoke(args=["lms", "plugins"]).output.splitlines()
    assert any(line.startswith("lms.builtin.notifications") and "certificate_issued" in line
               for line in lines)


# ------------------------------------------------------------------ background sending


@pytest.mark.lms_config(MAIL_BACKGROUND=True)
def test_a_request_that_queues_mail_starts_the_background_sender(lms_app, lms_client, lms_auth, lms_user,
                                                                 lms_course, today):
    course = lms_course("latar", lessons=1)
    learner = lms_user()
    lms_auth.login(lms_user("admin"))
    response = lms_client.submit("/admin/assignments/new", {
        "course_id": str(course.id), "unit_id": "", "learners": learner.email,
        "due_on": today.isoformat(), "note": ""}, form_page="/")
    assert response.status_code == 302
    assert notifications.wait_for_sender(lms_app, timeout=30)
    assert [m.to for m in mail.sent_messages(lms_app)] == [learner.email]
    assert [n.status for n in outbox(lms_app)] == [NotificationStatus.SENT]


@pytest.mark.lms_config(MAIL_BACKGROUND=True)
def test_commands_never_start_the_background_sender(lms_app, lms_user, lms_course, today):
    course = lms_course("tanpa-latar", lessons=1)
    assign_direct(lms_app, lms_user("admin"), course, today, learners_text=lms_user().email)
    assert notifications.STATE_KEY not in lms_app.extensions
    assert [n.status for n in outbox(lms_app)] == [NotificationStatus.PENDING]


# ------------------------------------------------------------------ reminders


def test_reminders_are_queued_once_per_due_date(lms_app, lms_client, lms_auth, lms_runner, lms_user,
                                                lms_course, today):
    course = lms_course("tenggat", lessons=2)
    admin = lms_user("admin")
    learners = {name: lms_user(name=name) for name in
                ("soon", "edge", "far", "due_today", "overdue", "done", "left", "inactive")}
    for name, learner in learners.items():
        set_locale(lms_app, learner, "en")
    assign_direct(lms_app, admin, course, today + dt.timedelta(days=30),
                  learners_text=" ".join(u.email for u in learners.values()))
    days = {"soon": 2, "edge": 3, "far": 4, "due_today": 0, "overdue": -1, "done": 1, "left": 1,
            "inactive": 1}
    with lms_app.app_context():
        for name, offset in days.items():
            row = db.session.scalar(select(Enrollment).where(Enrollment.user_id == learners[name].id))
            row.due_on = today + dt.timedelta(days=offset)
        db.session.get(User, learners["inactive"].id).active = False
        db.session.commit()
    lms_auth.login(learners["done"])
    for key in course.lesson_keys:
        lms_client.submit(f"/learn/tenggat/{key}/complete", form_page=f"/learn/tenggat/{key}")
    lms_auth.logout()
    lms_auth.login(learners["left"])
    lms_client.submit("/courses/tenggat/leave", form_page="/courses/tenggat")
    result = lms_runner.invoke(args=["lms", "remind-deadlines", "--days", "3"])
    assert result.exit_code == 0 and result.output.strip() == "3 reminder(s) queued"
    reminders = {n.user_id: n for n in outbox(lms_app) if n.kind == "reminder"}
    assert set(reminders) == {learners[n].id for n in ("soon", "edge", "due_today")}
    soon = reminders[learners["soon"].id]
    assert soon.subject.startswith("Reminder: Kursus tenggat is due ")
    assert "in 2 days." in soon.body and "It is due today" in reminders[learners["due_today"].id].body
    again = lms_runner.invoke(args=["lms", "remind-deadlines", "--days", "3"])
    assert again.output.strip() == "0 reminder(s) queued"
    # A new, earlier due date is worth a new reminder; the same date never twice.
    assign_direct(lms_app, admin, course, today + dt.timedelta(days=1), learners_text=learners["soon"].email)
    assert lms_runner.invoke(args=["lms", "remind-deadlines"]).output.strip() == "1 reminder(s) queued"
    assert lms_runner.invoke(args=["lms", "remind-deadlines"]).output.strip() == "0 reminder(s) queued"
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).where(Notification.kind == "reminder")) == 4


def test_remind_deadlines_rejects_a_negative_window(lms_runner):
    result = lms_runner.invoke(args=["lms", "remind-deadlines", "--days", "-1"])
    assert result.exit_code == 2 and "Invalid value for '--days'" in result.output
