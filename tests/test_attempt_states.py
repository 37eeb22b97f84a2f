"""The attempt life cycle as a state machine: start, save, submit, time passing, expiry.

Invariants checked after every step: never two open attempts for a learner and quiz;
nothing is accepted after the deadline plus grace; a finished attempt never changes;
every finished attempt was graded exactly once.
"""
from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import func, select

from lms import create_app
from lms.database import db
from lms.hookspecs import hookimpl
from lms.models import Attempt, AttemptState, Course, Quiz
from lms.packages.manifest import parse_manifest
from lms.services import accounts, attempts, courses, enrollment
from lms.testing import course_manifest

QUESTIONS = [{"id": "a", "type": "truefalse", "text": "Satu?", "answer": True},
             {"id": "b", "type": "short", "text": "Dua?", "answers": [{"text": "dua", "fraction": 1}]}]
GRACE = dt.timedelta(seconds=60)
RESPONSES = st.fixed_dictionaries({0: st.sampled_from([True, False, None]),
                                   1: st.sampled_from(["dua", " DUA ", "tiga", None])})


class Graded:
    """Counts quiz_graded per attempt."""

    lms_api = "1.0"

    def __init__(self):
        self.count: dict[int, int] = {}

    @hookimpl
    def quiz_graded(self, attempt):
        self.count[attempt.id] = self.count.get(attempt.id, 0) + 1


class AttemptLifecycle(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.graded = Graded()
        self.app = create_app("testing", {"DATABASE_URL": "sqlite://",  # in memory: fast
                                          "PLUGIN_OBJECTS": {"graded": self.graded}})
        self.ctx = self.app.test_request_context()
        self.ctx.push()
        db.create_all()
        self.clock = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.timezone.utc)
        self.real_now, attempts.now = attempts.now, lambda: self.clock
        manifest, bodies = course_manifest("mesin", lessons=1, questions=QUESTIONS,
                                           quiz={"time_limit": 10, "attempts": 4})
        courses.publish(courses.import_version(parse_manifest(manifest)[0], bodies))
        self.user = accounts.register_user(name="Uji", email="uji@example.go.id", password="rahasia-ASN-1")
        self.course = db.session.scalar(select(Course))
        enrollment.enroll_self(self.user, self.course)
        self.quiz = db.session.scalar(select(Quiz))
        self.frozen: dict[int, tuple] = {}

    def teardown(self):
        attempts.now = self.real_now
        db.session.remove()
        db.engine.dispose()
        self.ctx.pop()

    def _open(self) -> Attempt | None:
        return attempts.open_attempt(attempts.attempts_of(self.user, self.course, self.quiz.key))

    @rule()
    def start(self):
        try:
            attempts.start(self.user, self.course, self.quiz)
        except attempts.AttemptRefused:
            assert len(attempts.attempts_of(self.user, self.course, self.quiz.key)) >= 4

    def _in_time(self, attempt: Attempt) -> bool:
        """The test's own oracle: the deadline plus 60 s of grace, by the test's clock."""
        return attempt.deadline is None or self.clock <= attempts.aware(attempt.deadline) + GRACE

    @rule(responses=RESPONSES)
    def save(self, responses):
        attempt = self._open()
        if attempt is None:
            return
        in_time = self._in_time(attempt)
        try:
            attempts.save(attempt, responses)
            assert in_time, "saved after the deadline plus grace"
        except attempts.AttemptClosed:
            assert not in_time

    @rule(responses=RESPONSES)
    def submit(self, responses):
        attempt = self._open()
        if attempt is None:
            return
        before = [q.response for q in attempt.questions]
        late = not self._in_time(attempt)
        attempts.submit(attempt, responses)
        assert attempt.state != AttemptState.OPEN
        if late:  # nothing posted after the deadline plus grace is recorded
            assert [q.response for q in attempt.questions] == before
            assert attempt.finished_by == "expired"

    @rule(responses=RESPONSES)
    def replay_a_finished_attempt(self, responses):
        finished = [a for a in attempts.attempts_of(self.user, self.course, self.quiz.key)
                    if a.state != AttemptState.OPEN]
        if finished:
            attempts.submit(finished[-1], responses)

    @rule(minutes=st.integers(min_value=0, max_value=15))
    def time_passes(self, minutes):
        self.clock += dt.timedelta(minutes=minutes)

    @rule()
    def expiry_job(self):
        attempts.close_overdue()

    @invariant()
    def never_two_open_attempts(self):
        assert db.session.scalar(select(func.count()).select_from(Attempt)
                                 .where(Attempt.state == AttemptState.OPEN)) <= 1

    @invariant()
    def finished_attempts_never_change(self):
        for attempt in db.session.scalars(select(Attempt).where(Attempt.state != AttemptState.OPEN)):
            snapshot = (attempt.score, attempt.finished_by, attempts.aware(attempt.submitted_at),
                        tuple((q.response, q.fraction) for q in attempt.questions))
            assert self.frozen.setdefault(attempt.id, snapshot) == snapshot
            assert self.graded.count.get(attempt.id) == 1  # graded exactly once

    @invariant()
    def scores_stay_in_range(self):
        for score in db.session.scalars(select(Attempt.score).where(Attempt.score.is_not(None))):
            assert 0 <= score <= 100


AttemptLifecycle.TestCase.settings = settings(
    max_examples=20, stateful_step_count=20, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_attempt_lifecycle = AttemptLifecycle.TestCase
