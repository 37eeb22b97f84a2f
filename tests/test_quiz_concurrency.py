"""An exam burst: 200 learners submit at the same moment, with double submits and late posts.

Runs on the database under test: SQLite by default (no unhandled "database is locked")
and PostgreSQL in CI's second pass.
"""
from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import func, select, update

from lms.database import db
from lms.models import Attempt, AttemptState, Course, User
from lms.services import attempts, enrollment

LEARNERS = 200
DOUBLE_SUBMITS = 20  # learners whose submit is sent twice, at the same moment
LATE = 20  # learners whose deadline (and grace) passed before they submit
QUESTIONS = [
    {"id": "tf-1", "type": "truefalse", "text": "Disposisi dicatat.", "answer": True},
    {"id": "tf-2", "type": "truefalse", "text": "Arsip boleh dibuang.", "answer": False},
]


@pytest.mark.lms_config(SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "pool_size": 20,
                                                   "max_overflow": 20, "pool_timeout": 120})
def test_two_hundred_learners_submit_at_once(lms_app, lms_course, lms_user, lms_events):
    course = lms_course("ujian", lessons=1, questions=QUESTIONS, quiz={"time_limit": 30})
    learners = [lms_user(name=f"Peserta {n}", nip=f"19900101201501{1 + n % 2}{n + 1:03d}")
                for n in range(LEARNERS)]
    uids = _start_attempts(lms_app, course.id, learners)
    late = set(uids[:LATE])
    with lms_app.app_context():  # their time is up, grace included
        db.session.execute(update(Attempt).where(Attempt.uid.in_(late))
                           .values(deadline=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)))
        db.session.commit()
    clients = [_logged_in(lms_app, user) for user in learners]
    jobs = [(client, uid) for client, uid in zip(clients, uids)]
    jobs += jobs[LATE:LATE + DOUBLE_SUBMITS]  # the same learners again: double submits
    statuses = _burst(jobs)

    assert statuses == {302: len(jobs)}  # no server error, no "database is locked"
    with lms_app.app_context():
        rows = db.session.scalars(select(Attempt)).all()
        assert len(rows) == LEARNERS  # nothing duplicated
        assert all(row.state == AttemptState.GRADED for row in rows)  # nothing lost
        on_time = [row for row in rows if row.uid not in late]
        assert all(row.score == 100.0 and row.finished_by == "submitted" for row in on_time)
        late_rows = [row for row in rows if row.uid in late]
        assert all(row.score == 0.0 and row.finished_by == "expired" for row in late_rows)  # late posts refused
        assert db.session.scalar(select(func.count()).select_from(Attempt)
                                 .where(Attempt.state == AttemptState.OPEN)) == 0
    assert lms_events.names().count("quiz_graded") == LEARNERS  # exactly once each


def _start_attempts(app, course_id: int, learners) -> list[str]:
    with app.app_context():
        course = db.session.get(Course, course_id)
        users = [db.session.get(User, learner.id) for learner in learners]
        enrollment.enroll_users(course, users, users[0])
        from lms.models import Quiz
        quiz = db.session.scalar(select(Quiz))
        return [attempts.start(user, course, quiz).uid for user in users]


def _logged_in(app, user):
    client = app.test_client()
    client.submit("/login", {"login": user.email, "password": user.password})
    return client


def _burst(jobs) -> dict[int, int]:
    """Send every submit at the same moment from its own thread; count the status codes."""
    gate = threading.Barrier(len(jobs))
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def submit(client, uid):
        page = f"/learn/attempts/{uid}"
        token = client.csrf_token("/")
        gate.wait()
        response = client.post(page + "/submit", data={"csrf_token": token, "q0": "true", "q1": "false"})
        with lock:
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    threads = [threading.Thread(target=submit, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return statuses


def test_concurrent_starts_open_one_attempt(lms_app, lms_course, lms_user):
    """Ten simultaneous "start" clicks by one learner open exactly one attempt."""
    course = lms_course("mulai", lessons=1, questions=QUESTIONS)
    user = lms_user()
    client = _logged_in(lms_app, user)
    client.submit("/courses/mulai/enrol", form_page="/courses/mulai")
    token = client.csrf_token("/learn/mulai/quiz/kuis")
    gate = threading.Barrier(10)
    locations = []

    def click():
        local = lms_app.test_client()
        with client.session_transaction() as shared, local.session_transaction() as mine:
            mine.update(shared)
        gate.wait()
        response = local.post("/learn/mulai/quiz/kuis/start", data={"csrf_token": token})
        locations.append(response.location)

    threads = [threading.Thread(target=click) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(locations) == 10 and len(set(locations)) == 1
    assert re.fullmatch(r"/learn/attempts/[0-9a-f]{32}", locations[0])
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1
    assert course.slug == "mulai"
