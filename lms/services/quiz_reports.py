"""What authors learn from attempts: per-question facility and discrimination, CSV export."""
from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.database import db
from lms.models import Attempt, AttemptQuestion, AttemptState, Course


@dataclass
class QuestionStats:
    key: str
    title: str
    attempts: int
    #: Mean score on the question, 0-100: how easy it was.
    facility: float
    #: Correlation (-1..1) between the question and the rest of the quiz: does it separate
    #: learners who know the material from those who do not? None with too few attempts.
    discrimination: float | None


def finished_attempts(course: Course, quiz_key: str) -> list[Attempt]:
    """Every finished attempt at the quiz, with learners and questions (three queries)."""
    return list(db.session.scalars(
        select(Attempt).where(Attempt.course_id == course.id, Attempt.quiz_key == quiz_key,
                              Attempt.state != AttemptState.OPEN)
        .options(selectinload(Attempt.user), selectinload(Attempt.questions))
        .order_by(Attempt.submitted_at, Attempt.id)))


def question_stats(attempts: list[Attempt]) -> list[QuestionStats]:
    """Classical test statistics per question over graded attempts (as Moodle reports them)."""
    graded = [a for a in attempts if a.state == AttemptState.GRADED]
    rows: dict[str, list[tuple[float, float]]] = {}
    titles: dict[str, str] = {}
    for attempt in graded:
        total = sum(q.points * (q.fraction or 0) for q in attempt.questions)
        for question in attempt.questions:
            own = question.points * (question.fraction or 0)
            rest = (total - own) / max(attempt.max_points - question.points, 1e-9)
            rows.setdefault(question.question_key, []).append((question.fraction or 0.0, rest))
            titles.setdefault(question.question_key, _title(question))
    return [QuestionStats(key, titles[key], len(pairs), round(100 * statistics.fmean(p[0] for p in pairs), 1),
                          _correlation(pairs)) for key, pairs in sorted(rows.items())]


def _title(question: AttemptQuestion) -> str:
    definition = question.definition
    return str(definition.get("title") or definition.get("text", ""))[:80]


def _correlation(pairs: list[tuple[float, float]]) -> float | None:
    if len(pairs) < 3:
        return None
    xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    try:
        return round(statistics.correlation(xs, ys), 3)
    except statistics.StatisticsError:  # no variance: everyone scored the same
        return None


def attempts_csv(attempts: list[Attempt]) -> str:
    """One row per attempt: learner, times, how it ended, score, and each question's mark."""
    keys = sorted({q.question_key for a in attempts for q in a.questions})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["attempt", "name", "nip", "email", "started_at", "submitted_at", "finished_by",
                     "state", "score", "passed", *keys])
    for attempt in attempts:
        marks = {q.question_key: q.fraction for q in attempt.questions}
        writer.writerow([_cell(v) for v in (
            attempt.number, attempt.user.name, attempt.user.nip or "", attempt.user.email,
            attempt.started_at.isoformat(), attempt.submitted_at.isoformat() if attempt.submitted_at else "",
            attempt.finished_by or "", attempt.state.value,
            "" if attempt.score is None else attempt.score,
            "" if attempt.passed is None else ("yes" if attempt.passed else "no"),
            *["" if marks.get(k) is None else round(marks[k], 4) for k in keys])])
    return out.getvalue()


def _cell(value):
    """Neutralise spreadsheet formulas in learner-controlled text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
