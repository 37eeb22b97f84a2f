"""Quiz attempts, server-authoritative: start, autosave, submit, expire, grade.

- The server draws and snapshots the questions; the browser only ever gets the inputs.
- One open attempt per learner and quiz: a partial unique index; a concurrent second
  start finds the first one.
- Submission is a guarded state change (``WHERE state = 'open'``) taken with the attempt
  row locked: a double or replayed submit produces exactly one graded attempt.
- Deadlines are the server's: after deadline + grace nothing is saved; a late submit is
  graded with what was saved in time; a job closes attempts left open past their deadline.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from lms import events
from lms.database import db
from lms.errors import LmsError
from lms.models import (Attempt, AttemptQuestion, AttemptState, Course, CourseVersion, Enrollment,
                        Question, Quiz, User, VersionStatus)
from lms.questions import Grade, clamp
from lms.registry import question_types

log = logging.getLogger(__name__)


class AttemptRefused(LmsError):
    """A quiz cannot be started now; the message says why (shown to the learner)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class AttemptClosed(LmsError):
    """The attempt no longer accepts answers (submitted, or past its deadline and grace)."""


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def grace() -> dt.timedelta:
    return dt.timedelta(seconds=int(current_app.config["QUIZ_GRACE_SECONDS"]))


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive datetimes; every stored time is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment


# ------------------------------------------------------------------------- start


def attempts_of(user: User, course: Course, quiz_key: str) -> list[Attempt]:
    """The learner's attempts of this certification cycle (see quizzes.in_current_cycle)."""
    from lms.services.quizzes import in_current_cycle

    return list(db.session.scalars(select(Attempt).where(
        Attempt.user_id == user.id, Attempt.course_id == course.id, Attempt.quiz_key == quiz_key,
        in_current_cycle(user.id, course.id)).order_by(Attempt.number)))


def open_attempt(attempts: list[Attempt]) -> Attempt | None:
    return next((a for a in attempts if a.state == AttemptState.OPEN), None)


def refusal(quiz: Quiz, attempts: list[Attempt], moment: dt.datetime | None = None) -> str | None:
    """Why a new attempt cannot start now (attempt limit, waiting time), or None."""
    finished = [a for a in attempts if a.state != AttemptState.OPEN]
    if quiz.max_attempts is not None and len(finished) >= quiz.max_attempts:
        return _l("You have used all %(n)d attempts.", n=quiz.max_attempts)
    if quiz.attempt_delay and finished:
        ready = aware(finished[-1].submitted_at) + dt.timedelta(minutes=quiz.attempt_delay)
        if (moment or now()) < ready:
            minutes = int((ready - (moment or now())).total_seconds() // 60) + 1
            return _l("You can try again in %(n)d minutes.", n=minutes)
    return None


def start(user: User, course: Course, quiz: Quiz) -> Attempt:
    """Return the learner's open attempt, or start a new one with freshly drawn questions."""
    attempts = attempts_of(user, course, quiz.key)
    current = open_attempt(attempts)
    if current is not None:
        return current
    reason = refusal(quiz, attempts)
    if reason:
        raise AttemptRefused(reason)
    begun = now()
    attempt = Attempt(uid=secrets.token_hex(16), user_id=user.id, course_id=course.id,
                      quiz_key=quiz.key, quiz_id=quiz.id, number=len(attempts) + 1, started_at=begun,
                      deadline=begun + dt.timedelta(minutes=quiz.time_limit) if quiz.time_limit else None,
                      seed=secrets.randbelow(2**31))
    for slot, question in enumerate(draw(quiz, random.Random(attempt.seed))):
        attempt.questions.append(AttemptQuestion(slot=slot, question_key=question.key,
                                                 definition=masked_options(question.definition),
                                                 points=question.points, text_html=question.text_html))
    attempt.max_points = sum(q.points for q in attempt.questions)
    db.session.add(attempt)
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent request opened one first: use that one
        db.session.rollback()
        current = open_attempt(attempts_of(user, course, quiz.key))
        if current is None:
            raise
        return current
    return attempt


def masked_options(definition: dict) -> dict:
    """The definition with option ids replaced by random tokens for this attempt.

    Authors' ids often follow their writing order ("a" is usually the right answer), and
    the ids are the values the browser sends back; random ids reveal nothing.
    """
    options = definition.get("options")
    if not isinstance(options, list):
        return definition
    tokens = set()
    masked = []
    for option in options:
        token = secrets.token_hex(4)
        while token in tokens:
            token = secrets.token_hex(4)
        tokens.add(token)
        masked.append({**option, "id": token} if isinstance(option, dict) else option)
    return {**definition, "options": masked}


def draw(quiz: Quiz, rng: random.Random) -> list[Question]:
    """The questions of a new attempt: the quiz's list or category, sampled and shuffled."""
    query = select(Question).where(Question.version_id == quiz.version_id)
    if quiz.question_keys:
        by_key = {q.key: q for q in db.session.scalars(query.where(Question.key.in_(quiz.question_keys)))}
        pool = [by_key[k] for k in quiz.question_keys if k in by_key]
    else:
        pool = list(db.session.scalars(query.where(Question.category.startswith(quiz.draw_category))
                                       .order_by(Question.key)))
    if quiz.draw_count and quiz.draw_count < len(pool):
        pool = sorted(rng.sample(pool, quiz.draw_count), key=pool.index)
    if quiz.shuffle_questions:
        rng.shuffle(pool)
    return pool


# ------------------------------------------------------------------- save, submit


def load_for_update(uid: str, user: User) -> Attempt | None:
    """The learner's own attempt by public id, row-locked until commit (PostgreSQL), with its
    quiz (read, not locked: grading needs the pass mark)."""
    return db.session.scalar(select(Attempt).where(Attempt.uid == uid, Attempt.user_id == user.id)
                             .options(joinedload(Attempt.quiz)).with_for_update(of=Attempt))


def accepts_answers(attempt: Attempt, moment: dt.datetime | None = None) -> bool:
    """Open, and not past the deadline plus grace."""
    if attempt.state != AttemptState.OPEN:
        return False
    return attempt.deadline is None or (moment or now()) <= aware(attempt.deadline) + grace()


def read_responses(attempt: Attempt, form) -> dict[int, object]:
    """{slot: response} parsed from a submitted form by each question's own type."""
    registry = question_types()
    responses = {}
    for question in attempt.questions:
        kind = question.definition.get("type")
        if kind in registry:
            responses[question.slot] = registry.get(kind).parse_response(
                question.definition, form, field_name(question))
    return responses


def field_name(question: AttemptQuestion) -> str:
    return f"q{question.slot}"


def save(attempt: Attempt, responses: dict[int, object]) -> int:
    """Autosave answers while the attempt is open; returns how many were stored."""
    if not accepts_answers(attempt):
        db.session.rollback()
        raise AttemptClosed(attempt.uid)
    moment = now()
    for question in attempt.questions:
        if question.slot in responses:
            question.response = responses[question.slot]
            question.saved_at = moment
    db.session.commit()
    return len(responses)


def submit(attempt: Attempt, responses: dict[int, object] | None = None) -> Attempt:
    """Finish the attempt and grade it, exactly once.

    In time, the posted answers are saved first; late (past deadline + grace), the posted
    answers are ignored and only what was saved in time is graded. A submit of an attempt
    already finished changes nothing and returns it (idempotent).
    """
    if attempt.state != AttemptState.OPEN:
        db.session.rollback()
        return attempt
    in_time = accepts_answers(attempt)
    if in_time and responses:
        moment = now()
        for question in attempt.questions:
            if question.slot in responses:
                question.response, question.saved_at = responses[question.slot], moment
    return _finish(attempt, "submitted" if in_time else "expired")


def _finish(attempt: Attempt, how: str) -> Attempt:
    """Guarded transition open -> graded/needs_grading, grading every question.

    Grading happens in memory first; then one UPDATE of the attempt, guarded by
    ``state = 'open'``, records the outcome (the questions' answers and grades are flushed
    with it, one row each), so a submit is a handful of statements in one transaction.
    """
    for question in attempt.questions:
        grade = grade_question(question)
        question.fraction, question.feedback = grade.fraction, grade.feedback
    values = {"submitted_at": now(), "finished_by": how}
    if any(q.fraction is None for q in attempt.questions):
        values.update(state=AttemptState.NEEDS_GRADING, score=None, passed=None)
    else:
        values.update(zip(("points", "score", "passed"), _totals(attempt)), state=AttemptState.GRADED)
    won = db.session.scalar(update(Attempt).where(Attempt.id == attempt.id, Attempt.state == AttemptState.OPEN)
                            .values(**values).returning(Attempt.id)
                            .execution_options(synchronize_session=False))
    if won is None:  # another request finished it first
        db.session.rollback()
        db.session.refresh(attempt)
        return attempt
    for name, value in values.items():
        set_committed_value(attempt, name, value)
    if attempt.state == AttemptState.GRADED:
        events.enqueue("quiz_graded", attempt=attempt)
        _evaluate_course(attempt)
    events.commit()
    return attempt


def grade_question(question: AttemptQuestion) -> Grade:
    """Grade one response; an unknown type or a grader that raises scores 0 (and is logged)."""
    kind = question.definition.get("type")
    registry = question_types()
    if kind not in registry:
        log.error("question type %r is not installed; %s scores 0", kind, question.question_key)
        return Grade(0.0)
    try:
        grade = registry.get(kind).grade(question.definition, question.response)
    except Exception:
        log.exception("grader %s failed on %s", kind, question.question_key)
        if current_app.config["PLUGIN_ERRORS"] == "raise":
            raise
        return Grade(0.0)
    return grade if grade.fraction is None else Grade(clamp(grade.fraction), grade.feedback)


def _score(attempt: Attempt) -> None:
    """Total the points; final unless a question waits for a person; then react."""
    if any(q.fraction is None for q in attempt.questions):
        attempt.state = AttemptState.NEEDS_GRADING
        attempt.score = attempt.passed = None
        return
    _total(attempt)
    attempt.state = AttemptState.GRADED
    events.enqueue("quiz_graded", attempt=attempt)
    _evaluate_course(attempt)


def _total(attempt: Attempt) -> None:
    """Points, score (0-100) and pass/fail from the questions' fractions."""
    attempt.points, attempt.score, attempt.passed = _totals(attempt)


def _totals(attempt: Attempt) -> tuple[float, float, bool]:
    points = sum(q.points * (q.fraction or 0) for q in attempt.questions)
    score = round(100 * points / attempt.max_points, 2) if attempt.max_points else 100.0
    return points, score, score >= attempt.quiz.pass_mark


#: The plugin whose completion rules only a passed quiz can newly satisfy.
CORE_COMPLETION = "lms.builtin.completion"


def _evaluate_course(attempt: Attempt) -> None:
    """A passed quiz may complete the course: run the completion rules.

    With only the core rules (required lessons, required quizzes passed), a failed
    attempt cannot complete anything, so it costs no reads; a plugin's rule may look at
    attempts differently, so with one installed every graded attempt is evaluated.
    """
    from lms.registry import completion_rules
    from lms.services import progress

    rules = completion_rules()
    if not attempt.passed and all(rules.owner(key) == CORE_COMPLETION for key in rules.keys()):
        return
    enrollment = db.session.scalar(select(Enrollment).where(
        Enrollment.user_id == attempt.user_id, Enrollment.course_id == attempt.course_id))
    if enrollment is None or enrollment.completed_at is not None:
        return
    version = db.session.scalar(select(CourseVersion).where(
        CourseVersion.course_id == attempt.course_id, CourseVersion.status == VersionStatus.PUBLISHED))
    if version is not None:
        progress.evaluate(enrollment, version)


def grade_manually(question: AttemptQuestion, fraction: float, feedback: str, grader: User) -> Attempt:
    """An author grades an essay; the attempt is scored once no question waits any more."""
    attempt = db.session.scalar(select(Attempt).where(Attempt.id == question.attempt_id).with_for_update())
    if attempt.state == AttemptState.OPEN:
        raise AttemptClosed("attempt is still open")
    question.fraction, question.feedback = clamp(fraction), feedback.strip()
    question.graded_by_id, question.graded_at = grader.id, now()
    if attempt.state == AttemptState.NEEDS_GRADING:
        _score(attempt)
    else:  # regrading an already graded attempt: only its totals change, no new event
        _total(attempt)
    events.commit()
    return attempt


# ------------------------------------------------------------------------- expiry


def close_overdue(moment: dt.datetime | None = None, batch: int = 500) -> int:
    """Grade every open attempt past deadline + grace with its saved answers; returns the count."""
    cutoff = (moment or now()) - grace()
    closed = 0
    while True:
        ids = list(db.session.scalars(select(Attempt.id).where(
            Attempt.state == AttemptState.OPEN, Attempt.deadline.is_not(None), Attempt.deadline < cutoff)
            .order_by(Attempt.id).limit(batch)))
        if not ids:
            return closed
        for attempt_id in ids:
            attempt = db.session.scalar(select(Attempt).where(Attempt.id == attempt_id).with_for_update())
            if attempt.state == AttemptState.OPEN:
                _finish(attempt, "expired")
                closed += 1
