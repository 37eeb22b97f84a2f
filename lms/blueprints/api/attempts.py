"""Quiz attempts of the caller: list, start, read, save answers, submit.

The rules are lms.services.attempts' (one open attempt, deadlines, exactly-once grading);
this module only translates. While an attempt is open a question shows what the attempt
page shows (its text, its inputs, the options' texts under their per-attempt random ids),
never a fraction, a feedback or the answer. After submission it shows what the quiz's
``review`` options let the review page show. Another learner's attempt is a plain 404.

Answers travel as JSON, one per question, and are read by the question type's own
``parse_response`` (the HTML form's reader) after being laid out as the form's fields, so
the API accepts exactly what the quiz page accepts.
"""
from __future__ import annotations

import random
from typing import Literal

from flask import url_for
from flask_login import current_user
from pydantic import Field, JsonValue
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from lms.api.errors import ApiError, not_found
from lms.api.spec import Body, Schema, Timestamp
from lms.blueprints.api import bp
from lms.database import db
from lms.models import Attempt, AttemptQuestion, AttemptState, Quiz
from lms.registry import question_types
from lms.services import attempts, courses, enrollment
from lms.services.courses import CourseNotFound

TAGS = ("attempts",)
State = Literal["open", "graded", "needs_grading"]
ReviewPart = Literal["score", "feedback", "answers"]
#: Most answers one request may carry (a quiz rarely has more than a hundred questions).
MAX_RESPONSES = 500


# ----------------------------------------------------------------------------- models


class QuizInfo(Schema):
    key: str
    title: str
    pass_mark: float = Field(description="Score (0-100) needed to pass.")
    time_limit: int | None = Field(description="Minutes per attempt; null: untimed.")
    max_attempts: int | None = Field(description="Null: unlimited.")
    attempt_delay: int = Field(description="Minutes to wait after an attempt before the next.")
    grading_method: Literal["highest", "last", "average"] = Field(
        description="Which attempt counts when there are several.")
    review: list[ReviewPart] = Field(description="What a finished attempt shows: the score, "
                                                 "per-question feedback, the right answers.")


class AttemptSummary(Schema):
    uid: str = Field(description="The attempt's public id.")
    number: int = Field(description="1 for the first attempt at this quiz, and so on.")
    state: State = Field(description="open; graded (final score); needs_grading (an essay "
                                     "waits for a person).")
    started_at: Timestamp
    deadline: Timestamp | None = Field(description="Answers are accepted until then (plus a short "
                                                   "grace); null: untimed.")
    submitted_at: Timestamp | None
    finished_by: Literal["submitted", "expired"] | None = Field(
        description="submitted by the learner, or expired (closed at the deadline).")
    score: float | None = Field(description="0-100, once graded and if the quiz shows scores.")
    passed: bool | None = Field(description="Once graded and if the quiz shows scores.")
    url: str = Field(description="This attempt in the API.")


class AttemptList(Schema):
    quiz: QuizInfo
    attempts: list[AttemptSummary] = Field(description="The caller's attempts, oldest first.")
    open_attempt: str | None = Field(description="Uid of the attempt in progress, if any: starting "
                                                 "again returns it.")
    can_start: bool = Field(description="Whether a new attempt may start now (or the open one resume).")
    refusal: str | None = Field(description="Why no new attempt may start now (attempt limit, "
                                            "waiting time), in the caller's language.")


class OptionOut(Schema):
    id: str = Field(description="Random per attempt: send it back as the answer.")
    text: str


class QuestionOut(Schema):
    slot: int = Field(description="Position in the attempt, from 0; answers may be keyed by it.")
    key: str = Field(description="The question's key; answers may be keyed by it too.")
    type: str = Field(description="Question type: single, multiple, truefalse, short, numerical, "
                                  "matching, ordering, essay, or a plugin's type.")
    points: float
    text_html: str = Field(description="The question, as sanitised HTML.")
    options: list[OptionOut] | None = Field(
        description="single/multiple: the choices in display order. Answer single with one id, "
                    "multiple with a list of ids.")
    lefts: list[str] | None = Field(description="matching: the items to match, in order. Answer "
                                                "with {\"<index of left>\": \"<right>\"}.")
    rights: list[str] | None = Field(description="matching: the possible matches.")
    items: list[str] | None = Field(description="ordering: the items, shuffled. Answer with the "
                                                "list of item texts in your order.")
    min_words: int | None = Field(description="essay: the least number of words expected.")
    inputs_html: str | None = Field(description="The attempt page's inputs for this question "
                                                "(HTML), while open; null once finished or when "
                                                "its type is not installed.")
    response: JsonValue = Field(description="The caller's saved answer, in the shape they send "
                                            "it (null: unanswered, or a plugin type's answer).")
    saved_at: Timestamp | None
    awarded: float | None = Field(description="Points earned: after submission, when the quiz "
                                              "shows feedback or answers (null until graded).")
    feedback: str | None = Field(description="Feedback on the answer and on the question, after "
                                             "submission when the quiz shows feedback.")
    right_answer: str | None = Field(description="The right answer in words, after submission "
                                                 "when the quiz shows answers.")


class AttemptOut(AttemptSummary):
    quiz: QuizInfo
    course: str = Field(description="Slug of the course.")
    seconds_left: int | None = Field(description="Until the deadline, while open; null: untimed "
                                                 "or finished.")
    points: float | None = Field(description="Points earned, once graded and if the quiz shows scores.")
    max_points: float
    questions: list[QuestionOut]


class ResponsesBody(Body):
    responses: dict[str, JsonValue] = Field(
        max_length=MAX_RESPONSES,
        description="Question slot (\"0\", \"1\", ...) or key -> answer; null clears an answer. "
                    "Shapes: single \"<option id>\"; multiple [\"<id>\", ...]; truefalse true/false; "
                    "short and essay \"text\"; numerical 3.14 or \"3,14\"; matching "
                    "{\"<left index>\": \"<right>\"}; ordering [\"<item>\", ...] in order.")


class SubmitBody(Body):
    responses: dict[str, JsonValue] = Field(
        default_factory=dict, max_length=MAX_RESPONSES,
        description="Final answers saved before grading (same shape as saving); send {} for none. "
                    "Ignored once past the deadline: then what was saved in time is graded.")


class SaveResult(Schema):
    saved: int = Field(description="How many answers were stored.")
    deadline: Timestamp | None
    seconds_left: int | None = Field(description="Until the deadline; null: untimed.")


# ------------------------------------------------------------------------ operations


@bp.operation("/courses/<slug>/quizzes/<key>/attempts", summary="My attempts at a quiz", tags=TAGS,
              response=AttemptList)
def list_attempts(slug: str, key: str):
    """Only for enrolled learners, like the quiz page; says whether a new attempt may start."""
    version, quiz = _quiz(slug, key)
    mine = attempts.attempts_of(current_user, version.course, key)
    current = attempts.open_attempt(mine)
    reason = attempts.refusal(quiz, mine) if current is None else None
    return {"quiz": _quiz_info(quiz), "attempts": [_summary(a, quiz) for a in mine],
            "open_attempt": current.uid if current else None, "can_start": reason is None,
            "refusal": str(reason) if reason else None}


@bp.operation("/courses/<slug>/quizzes/<key>/attempts", "POST", summary="Start an attempt",
              tags=TAGS, auth="write", response=AttemptOut, status=201, errors=(409,))
def start_attempt(slug: str, key: str):
    """Draws the questions; an attempt already open is returned instead (never two open).
    409 ``attempt_refused`` when the attempt limit or the waiting time forbids a new one."""
    version, quiz = _quiz(slug, key)
    try:
        attempt = attempts.start(current_user, version.course, quiz)
    except attempts.AttemptRefused as exc:
        raise ApiError(409, "attempt_refused", str(exc.message)) from None
    return _attempt_out(attempt)


@bp.operation("/attempts/<uid>", summary="An attempt", tags=TAGS, response=AttemptOut)
def get_attempt(uid: str):
    """Open: the questions and inputs, nothing that gives an answer away. Finished: the
    result, as much as the quiz's review options show."""
    return _attempt_out(_own(uid))


@bp.operation("/attempts/<uid>/responses", "PUT", summary="Save answers", tags=TAGS, auth="write",
              body=ResponsesBody, response=SaveResult, errors=(409,))
def save_responses(uid: str, body: ResponsesBody):
    """Autosave: stores the given answers (others stay as they were). 409 ``attempt_closed``
    once the attempt is submitted or past its deadline and grace; 409 ``invalid_answers``
    (one message per answer in details) when an answer does not fit its question."""
    attempt = _own(uid, lock=True)
    if not attempts.accepts_answers(attempt):  # closed whatever the answers say
        db.session.rollback()
        raise ApiError(409, "attempt_closed", "This attempt is closed.")
    responses = _parse(attempt, body.responses)
    try:
        saved = attempts.save(attempt, responses)
    except attempts.AttemptClosed:
        raise ApiError(409, "attempt_closed", "This attempt is closed.") from None
    return {"saved": saved, "deadline": attempt.deadline, "seconds_left": _seconds_left(attempt)}


@bp.operation("/attempts/<uid>/submit", "POST", summary="Submit an attempt", tags=TAGS,
              auth="write", body=SubmitBody, response=AttemptOut, errors=(409,))
def submit_attempt(uid: str, body: SubmitBody):
    """Grades the attempt exactly once; submitting a finished attempt again changes nothing
    and returns it. Past the deadline only the answers saved in time are graded. 409
    ``invalid_answers`` as when saving (nothing is saved nor graded then)."""
    attempt = _own(uid, lock=True)
    responses = None
    if body.responses and attempts.accepts_answers(attempt):  # late answers are ignored anyway
        responses = _parse(attempt, body.responses)
    return _attempt_out(attempts.submit(attempt, responses))


# --------------------------------------------------------------------------- lookups


def _quiz(slug: str, key: str):
    """The quiz of the published version, for an enrolled learner (as the quiz pages)."""
    try:
        version = courses.published_version(slug, with_lessons=False)
    except CourseNotFound:
        raise not_found("course") from None
    quiz = db.session.scalar(select(Quiz).where(Quiz.version_id == version.id, Quiz.key == key))
    if quiz is None:
        raise not_found("quiz")
    if not enrollment.is_active(enrollment.get_enrollment(current_user, version.course)):
        raise ApiError(403, "not_enrolled", "Enrol in the course first.")
    return version, quiz


def _own(uid: str, lock: bool = False) -> Attempt:
    """The caller's attempt; anyone else's is a 404, exactly like an unknown one."""
    found = attempts.load_for_update(uid, current_user) if lock else db.session.scalar(
        select(Attempt).where(Attempt.uid == uid, Attempt.user_id == current_user.id))
    if found is None:
        raise not_found("attempt")
    return found


# --------------------------------------------------------------------------- output


def _quiz_info(quiz: Quiz) -> dict:
    return {"key": quiz.key, "title": quiz.title, "pass_mark": quiz.pass_mark,
            "time_limit": quiz.time_limit, "max_attempts": quiz.max_attempts,
            "attempt_delay": quiz.attempt_delay or 0, "grading_method": quiz.grading_method.value,
            "review": [part for part in quiz.review or [] if part in ("score", "feedback", "answers")]}


def _shows(quiz: Quiz, part: str) -> bool:
    return part in (quiz.review or [])


def _summary(attempt: Attempt, quiz: Quiz) -> dict:
    scored = attempt.state == AttemptState.GRADED and _shows(quiz, "score")
    return {"uid": attempt.uid, "number": attempt.number, "state": attempt.state.value,
            "started_at": attempt.started_at, "deadline": attempt.deadline,
            "submitted_at": attempt.submitted_at, "finished_by": attempt.finished_by,
            "score": attempt.score if scored else None, "passed": attempt.passed if scored else None,
            "url": url_for("api.get_attempt", uid=attempt.uid, _external=True)}


def _attempt_out(attempt: Attempt) -> dict:
    quiz = attempt.quiz
    scored = attempt.state == AttemptState.GRADED and _shows(quiz, "score")
    return {**_summary(attempt, quiz), "quiz": _quiz_info(quiz), "course": quiz.version.course.slug,
            "seconds_left": _seconds_left(attempt), "points": attempt.points if scored else None,
            "max_points": attempt.max_points,
            "questions": [_question(attempt, q) for q in attempt.questions]}


def _seconds_left(attempt: Attempt) -> int | None:
    if attempt.state != AttemptState.OPEN or attempt.deadline is None:
        return None
    left = (attempts.aware(attempt.deadline) - attempts.now()).total_seconds()
    return max(0, int(left))


def _question(attempt: Attempt, question: AttemptQuestion) -> dict:
    definition = question.definition
    kind = definition.get("type") or ""
    out = {"slot": question.slot, "key": question.question_key, "type": kind,
           "points": question.points, "text_html": question.text_html, "options": None,
           "lefts": None, "rights": None, "items": None, "min_words": None, "inputs_html": None,
           "response": _shown_response(definition, question.response), "saved_at": question.saved_at,
           "awarded": None, "feedback": None, "right_answer": None}
    out.update(_shown_inputs(definition, _rng(attempt, question)))
    if attempt.state == AttemptState.OPEN:
        out["inputs_html"] = _inputs_html(attempt, question)
    else:
        out.update(_review(attempt.quiz, question))
    return out


class _Unshuffled(random.Random):
    """An rng whose shuffle keeps the author's order (quizzes with shuffle_options off)."""

    def shuffle(self, x):  # noqa: D102 - keeps order on purpose
        return None


def _rng(attempt: Attempt, question: AttemptQuestion) -> random.Random:
    """The attempt page's rng for this question, so the API lists options in the page's order."""
    if attempt.quiz.shuffle_options:
        return random.Random(f"{attempt.seed}:{question.slot}")
    return _Unshuffled()


def _shown_inputs(definition: dict, rng: random.Random) -> dict:
    """The learner-facing parts of a core definition: texts only, never fractions,
    feedback, answers or the author's (answer) order of matching rights and ordering items."""
    kind = definition.get("type")
    if kind in ("single", "multiple"):
        options = list(definition.get("options") or [])
        rng.shuffle(options)
        return {"options": [{"id": o["id"], "text": o["text"]} for o in options]}
    if kind == "matching":
        pairs = definition.get("pairs") or []
        rights = sorted({p["right"] for p in pairs})
        rng.shuffle(rights)
        return {"lefts": [p["left"] for p in pairs], "rights": rights}
    if kind == "ordering":
        items = sorted(definition.get("items") or [])
        rng.shuffle(items)
        return {"items": items}
    if kind == "essay":
        minimum = definition.get("min_words")
        return {"min_words": minimum if isinstance(minimum, int) else None}
    return {}


def _inputs_html(attempt: Attempt, question: AttemptQuestion) -> str | None:
    """What the attempt page renders for this question (the type promises no answer in it)."""
    registry = question_types()
    kind = question.definition.get("type")
    if kind not in registry:
        return None
    return str(registry.get(kind).render(question.definition, attempts.field_name(question),
                                         question.response, _rng(attempt, question)))


def _shown_response(definition: dict, response):
    """A saved response in the shape clients send it; ordering is shown as item texts (its
    stored indexes are the author's order, that is the answer). Plugin types' responses are
    not shown: their shape is theirs; inputs_html carries them."""
    kind = definition.get("type")
    if response is None or kind not in _CORE:
        return None
    if kind == "ordering":
        items = definition.get("items") or []
        return [items[i] if isinstance(i, int) and 0 <= i < len(items) else None for i in response]
    return response


def _review(quiz: Quiz, question: AttemptQuestion) -> dict:
    """What the review page shows of one finished question, per the quiz's review options."""
    shown: dict = {}
    if _shows(quiz, "feedback") or _shows(quiz, "answers"):
        shown["awarded"] = round(question.points * question.fraction, 4) \
            if question.fraction is not None else None
    if _shows(quiz, "feedback"):
        general = question.definition.get("feedback")
        parts = [question.feedback, general if isinstance(general, str) else ""]
        shown["feedback"] = "\n".join(p for p in parts if p) or None
    if _shows(quiz, "answers"):
        registry = question_types()
        kind = question.definition.get("type")
        if kind in registry:
            shown["right_answer"] = str(registry.get(kind).describe_answer(question.definition)) or None
    return shown


# ---------------------------------------------------------------------------- input

#: JSON shape each core type accepts (checked before the type reads it).
_CORE = {"single": "text", "multiple": "texts", "truefalse": "bool", "short": "text",
         "numerical": "number", "matching": "mapping", "ordering": "texts", "essay": "text"}
_SHAPE_MESSAGES = {"text": "Send a string.", "texts": "Send a list of strings.",
                   "bool": "Send true or false.", "number": "Send a number or a string.",
                   "mapping": "Send an object of strings."}


def _parse(attempt: Attempt, sent: dict) -> dict[int, object]:
    """{slot: response} read by each question's type from `sent`; 409 with every problem.

    409, not 422: the body matches its schema; it is the attempt's questions that refuse it."""
    by_slot = {q.slot: q for q in attempt.questions}
    by_key = {q.question_key: q for q in attempt.questions}
    registry = question_types()
    responses, problems = {}, {}
    for name, value in sent.items():
        question = by_slot.get(int(name)) if name.isdecimal() and len(name) < 6 else None
        question = question or by_key.get(name)
        where = f"responses.{name}"
        if question is None:
            problems[where] = "No such question in this attempt."
            continue
        kind = question.definition.get("type")
        if kind not in registry:
            problems[where] = "This question cannot be answered (its type is not installed)."
            continue
        problem, parsed = _read(registry.get(kind), question, value)
        if problem:
            problems[where] = problem
        else:
            responses[question.slot] = parsed
    if problems:
        db.session.rollback()  # release the attempt's row lock
        raise ApiError(409, "invalid_answers", "Some answers do not fit their question; see details.",
                       problems)
    return responses


def _read(qtype, question: AttemptQuestion, value) -> tuple[str | None, object]:
    """(problem, response): the value laid out as the form's fields, read by the type."""
    if _blank(value):
        return None, None
    kind = question.definition.get("type")
    shape = _CORE.get(kind)
    if shape and not _has_shape(shape, value):
        return _SHAPE_MESSAGES[shape], None
    name = attempts.field_name(question)
    parsed = qtype.parse_response(question.definition, _as_form(kind, name, value), name)
    if parsed is None or _dropped(kind, value, parsed):
        return "Not a valid answer to this question.", None
    return None, parsed


def _blank(value) -> bool:
    return value is None or value in ("", [], {}) or (isinstance(value, str) and not value.strip())


def _has_shape(shape: str, value) -> bool:
    if shape == "text":
        return isinstance(value, str)
    if shape == "texts":
        return isinstance(value, list) and all(v is None or isinstance(v, str) for v in value)
    if shape == "bool":
        return isinstance(value, bool)
    if shape == "number":
        return isinstance(value, (int, float, str)) and not isinstance(value, bool)
    return isinstance(value, dict) and all(v is None or isinstance(v, str) for v in value.values())


def _as_form(kind: str | None, name: str, value) -> MultiDict:
    """The form fields the attempt page would post for this answer."""
    if kind == "truefalse":
        return MultiDict({name: "true" if value else "false"})
    if kind == "ordering":
        fields = MultiDict()
        for k, text in enumerate(value):
            if text is not None:
                fields.add(f"{name}-{k}-item", text)
                fields.add(f"{name}-{k}", str(k + 1))
        return fields
    if isinstance(value, dict):  # matching (and plugin types with several inputs)
        return MultiDict({f"{name}-{k}": v for k, v in value.items() if v is not None})
    if isinstance(value, list):
        return MultiDict([(name, v) for v in value])
    return MultiDict({name: value})


def _dropped(kind: str | None, value, parsed) -> bool:
    """Whether the type dropped part of the answer (an unknown option id, right or item)."""
    if kind == "multiple":
        return len(parsed) != len(set(value))
    if kind == "matching":
        return len(parsed) != sum(v is not None for v in value.values())
    if kind == "ordering":
        return sum(i is not None for i in parsed) != sum(t is not None for t in value)
    return False
