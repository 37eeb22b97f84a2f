"""Post-training evaluation: the form at course end, the follow-up survey, the results.

The rules (docs/evaluation.md):

* Every course has an evaluation form; without a saved one it is the default (Likert 1-5 on
  relevance, clarity, quality and usefulness, overall satisfaction, two free-text questions).
  Authors change it per course; a question still equal to a default is stored by reference,
  so it keeps speaking the reader's language.
* A learner who completed a course answers its form once per enrolment. The "asked" row
  (EvaluationRequest) is the guard: a guarded UPDATE flips ``responded`` once, so a double
  submit or two tabs store one response. For an anonymous course the response carries no
  user id, request id or time, and results are shown only from ``EVALUATION_ANONYMOUS_MIN``
  responses up.
* ``send_followups`` (a periodic job, also ``flask lms send-followups``) asks the learner and
  their supervisor (User.supervisor) about the training's effect N weeks after completion,
  exactly once per enrolment (unique rows, INSERT ... ON CONFLICT DO NOTHING), and mails
  them through the notification outbox. Completions older than N weeks plus
  ``EVALUATION_FOLLOWUP_WINDOW_WEEKS`` are not asked any more (no survey about a training
  of years ago on the day the feature is switched on).
* Results are aggregated by the database: a fixed number of queries per page or export.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from lms.database import db
from lms.errors import LmsError, ValidationFailed
from lms.i18n import N_
from lms.models import (Course, CourseVersion, Enrollment, EvaluationAnswer, EvaluationForm,
                        EvaluationKind, EvaluationRequest, EvaluationResponse, Role, Unit, User)
from lms.services.jp_reports import Scope

log = logging.getLogger(__name__)

LIKERT, TEXT = "likert", "text"
KINDS = (LIKERT, TEXT)
SCALE = (1, 2, 3, 4, 5)
MAX_QUESTIONS = 30
MAX_QUESTION_LENGTH = 500
MAX_ANSWER_LENGTH = 4000
MAX_WEEKS = 104
#: Free-text answers shown on a results page (the exports carry all of them).
COMMENTS_SHOWN = 300

#: Likert labels, 1 to 5.
SCALE_LABELS = (_l("Strongly disagree"), _l("Disagree"), _l("Neutral"), _l("Agree"),
                _l("Strongly agree"))

#: Built-in questions: key -> (kind, required, English msgid).
BUILTIN: dict[str, tuple[str, bool, str]] = {
    "relevance": (LIKERT, True, N_("The material was relevant to my duties and work.")),
    "clarity": (LIKERT, True, N_("The material was clear and well organised.")),
    "quality": (LIKERT, True, N_("The instructor and the learning content were of good quality.")),
    "usefulness": (LIKERT, True, N_("I can use what I learned in my daily work.")),
    "overall": (LIKERT, True, N_("Overall, I am satisfied with this training.")),
    "best": (TEXT, False, N_("What was most useful in this training?")),
    "improve": (TEXT, False, N_("What should be improved?")),
    "applied": (LIKERT, True, N_("I have applied what I learned in this training in my work.")),
    "improved": (LIKERT, True, N_("The training has improved the quality of my work.")),
    "examples": (TEXT, False, N_("Give examples of how you applied it, or what kept you from applying it.")),
    "observed": (LIKERT, True, N_("Since the training, I have seen a positive change in this employee's work.")),
    "applies": (LIKERT, True, N_("The employee applies what the training taught in their daily tasks.")),
    "observations": (TEXT, False, N_("Examples of the change you observed, or what is still missing.")),
}
DEFAULT_COURSE = ("relevance", "clarity", "quality", "usefulness", "overall", "best", "improve")
#: The follow-up question sets are fixed, so level-3 results compare across courses.
FOLLOWUP_QUESTIONS = {
    EvaluationKind.FOLLOWUP_LEARNER: ("applied", "improved", "examples"),
    EvaluationKind.FOLLOWUP_SUPERVISOR: ("observed", "applies", "observations"),
}
KIND_LABELS = {
    EvaluationKind.COURSE: _l("End-of-course feedback"),
    EvaluationKind.FOLLOWUP_LEARNER: _l("Follow-up: learner"),
    EvaluationKind.FOLLOWUP_SUPERVISOR: _l("Follow-up: supervisor"),
}
FOLLOWUP_NOTICE = "evaluation_followup"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class AlreadyResponded(LmsError):
    """This survey was already answered (one response per enrolment and survey)."""


class NotAvailable(LmsError):
    """There is nothing to answer here (course not completed, evaluation turned off)."""


# ------------------------------------------------------------------------ questions


@dataclass(frozen=True)
class Question:
    key: str
    kind: str
    required: bool
    text: str
    builtin: bool = False


def _question(item: dict) -> Question:
    """A stored question dict as shown now: a built-in one in the reader's language."""
    if item.get("builtin") in BUILTIN:
        kind, _required, msgid = BUILTIN[item["builtin"]]
        return Question(item["key"], kind, bool(item.get("required")), gettext(msgid), True)
    return Question(item["key"], item.get("kind", TEXT), bool(item.get("required")), item.get("text", ""))


def _builtin_item(key: str) -> dict:
    kind, required, _msgid = BUILTIN[key]
    return {"key": key, "kind": kind, "required": required, "builtin": key}


def default_items() -> list[dict]:
    return [_builtin_item(key) for key in DEFAULT_COURSE]


@dataclass
class Settings:
    """A course's evaluation settings, the saved row's or the defaults."""

    enabled: bool
    anonymous: bool
    #: As saved: None means the site default.
    followup_weeks_setting: int | None
    items: list[dict]

    @property
    def followup_weeks(self) -> int:
        """Weeks after completion for the follow-up; 0: none."""
        if self.followup_weeks_setting is not None:
            return self.followup_weeks_setting
        return int(current_app.config["EVALUATION_FOLLOWUP_WEEKS"])

    def questions(self) -> list[Question]:
        return [_question(item) for item in self.items]


def _form(course_id: int) -> EvaluationForm | None:
    return db.session.scalar(select(EvaluationForm).where(EvaluationForm.course_id == course_id))


def settings_for(course_id: int) -> Settings:
    form = _form(course_id)
    if form is None:
        return Settings(True, False, None, default_items())
    return Settings(form.enabled, form.anonymous, form.followup_weeks, list(form.questions or []))


def questions_for(kind: EvaluationKind, settings: Settings) -> list[Question]:
    if kind == EvaluationKind.COURSE:
        return settings.questions()
    return [_question(_builtin_item(key)) for key in FOLLOWUP_QUESTIONS[kind]]


# ------------------------------------------------------------------ author settings


def _form_for_update(course: Course) -> EvaluationForm:
    """The course's row, created with the defaults on the first change."""
    form = _form(course.id)
    if form is None:
        form = EvaluationForm(course_id=course.id, enabled=True, anonymous=False,
                              followup_weeks=None, questions=default_items())
        db.session.add(form)
    return form


def update_settings(course: Course, *, enabled: bool, anonymous: bool, followup_weeks: int | None) -> None:
    """Save the switches; weeks between 0 (no follow-up) and MAX_WEEKS, or None (site default)."""
    if followup_weeks is not None and not 0 <= followup_weeks <= MAX_WEEKS:
        raise ValidationFailed({"followup_weeks": N_("Enter a number of weeks from 0 to 104.")})
    form = _form_for_update(course)
    form.enabled, form.anonymous, form.followup_weeks = bool(enabled), bool(anonymous), followup_weeks
    db.session.commit()


def _clean_text(text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise ValidationFailed({"text": N_("Write the question.")})
    if len(text) > MAX_QUESTION_LENGTH:
        raise ValidationFailed({"text": N_("A question has at most 500 characters.")})
    return text


def add_question(course: Course, *, kind: str, text: str, required: bool) -> str:
    """Append a question; returns its new key (never reused within the course)."""
    if kind not in KINDS:
        raise ValidationFailed({"kind": N_("Choose Likert scale or free text.")})
    text = _clean_text(text)
    form = _form_for_update(course)
    items = list(form.questions or [])
    if len(items) >= MAX_QUESTIONS:
        raise ValidationFailed({"text": N_("A form has at most 30 questions.")})
    taken = {item["key"] for item in items} | set(_answered_keys(course.id))
    number = len(items) + 1
    while f"q{number}" in taken:
        number += 1
    key = f"q{number}"
    items.append({"key": key, "kind": kind, "required": bool(required), "text": text})
    form.questions = items
    db.session.commit()
    return key


def _answered_keys(course_id: int) -> list[str]:
    """Keys with stored answers: a new question must not inherit a removed one's answers."""
    return list(db.session.scalars(
        select(EvaluationAnswer.question_key).join(EvaluationResponse)
        .where(EvaluationResponse.course_id == course_id,
               EvaluationResponse.kind == EvaluationKind.COURSE).distinct()))


def _items_and_index(course: Course, key: str) -> tuple[EvaluationForm, list[dict], int]:
    form = _form_for_update(course)
    items = [dict(item) for item in form.questions or []]
    index = next((i for i, item in enumerate(items) if item["key"] == key), None)
    if index is None:
        raise ValidationFailed({"key": N_("That question is not on the form.")})
    return form, items, index


def update_question(course: Course, key: str, *, text: str, required: bool) -> None:
    """Change a question's text and required flag (its kind stays: answers must stay comparable).

    A built-in question whose text is sent back unchanged stays built-in (translated)."""
    form, items, index = _items_and_index(course, key)
    item = items[index]
    text = _clean_text(text)
    if not (item.get("builtin") in BUILTIN and text == _question(item).text):
        item.pop("builtin", None)
        item["text"] = text
    item["required"] = bool(required)
    form.questions = items
    db.session.commit()


def move_question(course: Course, key: str, step: int) -> None:
    """Move a question one place up (-1) or down (+1); at an end nothing changes."""
    form, items, index = _items_and_index(course, key)
    target = index + (1 if step > 0 else -1)
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
        form.questions = items
        db.session.commit()


def delete_question(course: Course, key: str) -> None:
    """Remove a question (its past answers stay in the exports); one question must remain."""
    form, items, index = _items_and_index(course, key)
    if len(items) == 1:
        raise ValidationFailed({"key": N_("A form needs at least one question.")})
    del items[index]
    form.questions = items
    db.session.commit()


def reset_questions(course: Course) -> None:
    form = _form_for_update(course)
    form.questions = default_items()
    db.session.commit()


def apply_manifest(course: Course, section: dict) -> None:
    """Set the course's form from course.yaml's ``evaluation:`` (in the import's transaction;
    the course may be new). Questions absent from the section keep the current ones."""
    form = _form(course.id) if course.id else None
    if form is None:
        form = EvaluationForm(course=course, questions=default_items())
        db.session.add(form)
    form.enabled, form.anonymous = section["enabled"], section["anonymous"]
    form.followup_weeks = section["followup_weeks"]
    if section["questions"] is not None:
        form.questions = section["questions"]


def manifest_section(course_id: int) -> dict | None:
    """The course's ``evaluation:`` for an export; None while it uses the defaults."""
    from lms.packages.evaluation_spec import export_evaluation

    form = _form(course_id)
    if form is None:
        return None
    return export_evaluation({"enabled": form.enabled, "anonymous": form.anonymous,
                              "followup_weeks": form.followup_weeks, "questions": form.questions or []})


# ---------------------------------------------------------------------- answering


def _insert_request(values: dict) -> int | None:
    """INSERT ... ON CONFLICT (enrolment, kind) DO NOTHING: the new id, or None if it existed."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return db.session.scalar(
        dialect.insert(EvaluationRequest)
        .values(created_at=utcnow(), responded=False, **values)
        .on_conflict_do_nothing(index_elements=["enrollment_id", "kind"])
        .returning(EvaluationRequest.id))


def invite_course(enrollment: Enrollment) -> None:
    """Record that the learner is asked for end-of-course feedback (the course_completed
    reaction; commits). Idempotent."""
    settings = settings_for(enrollment.course_id)
    if not settings.enabled:
        return
    user = db.session.get(User, enrollment.user_id)
    _insert_request({"kind": EvaluationKind.COURSE, "enrollment_id": enrollment.id,
                     "course_id": enrollment.course_id, "respondent_id": enrollment.user_id,
                     "subject_id": enrollment.user_id, "unit_id": user.unit_id if user else None})
    db.session.commit()


@dataclass
class CourseFormState:
    """What the end-of-course form page needs."""

    course: Course
    title: str
    settings: Settings
    enrollment: Enrollment | None
    responded: bool

    @property
    def open(self) -> bool:
        return (self.settings.enabled and self.enrollment is not None
                and self.enrollment.completed_at is not None and not self.responded)


def course_form_state(user: User, course: Course) -> CourseFormState:
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id,
                                                            Enrollment.course_id == course.id))
    responded = enrollment is not None and bool(db.session.scalar(select(EvaluationRequest.responded).where(
        EvaluationRequest.enrollment_id == enrollment.id, EvaluationRequest.kind == EvaluationKind.COURSE)))
    title_version = enrollment.completed_version if enrollment and enrollment.completed_version else None
    title = title_version.title if title_version else course_title(course.id)
    return CourseFormState(course, title, settings_for(course.id), enrollment, responded)


def course_title(course_id: int) -> str:
    from lms.services.assignments import course_titles

    return course_titles({course_id}).get(course_id, ("", ""))[0]


def parse_answers(questions: list[Question], form) -> dict[str, tuple[int | None, str | None]]:
    """Read ``q-<key>`` fields; raise ValidationFailed naming each bad answer."""
    answers, problems = {}, {}
    for question in questions:
        raw = (form.get(f"q-{question.key}") or "").strip()
        if question.kind == LIKERT:
            if raw == "":
                if question.required:
                    problems[question.key] = N_("Choose an answer from 1 to 5.")
                continue
            if raw not in {str(n) for n in SCALE}:
                problems[question.key] = N_("Choose an answer from 1 to 5.")
                continue
            answers[question.key] = (int(raw), None)
        else:
            raw = raw.replace("\x00", "")
            if not raw:
                if question.required:
                    problems[question.key] = N_("This question needs an answer.")
                continue
            if len(raw) > MAX_ANSWER_LENGTH:
                problems[question.key] = N_("An answer has at most 4000 characters.")
                continue
            answers[question.key] = (None, raw)
    if problems:
        raise ValidationFailed(problems)
    return answers


def submit_course(user: User, course: Course, form) -> None:
    """Store the learner's end-of-course feedback, once (AlreadyResponded otherwise)."""
    state = course_form_state(user, course)
    if not (state.settings.enabled and state.enrollment is not None
            and state.enrollment.completed_at is not None):
        raise NotAvailable()
    answers = parse_answers(state.settings.questions(), form)
    _insert_request({"kind": EvaluationKind.COURSE, "enrollment_id": state.enrollment.id,
                     "course_id": course.id, "respondent_id": user.id, "subject_id": user.id,
                     "unit_id": user.unit_id})
    request = db.session.scalar(select(EvaluationRequest).where(
        EvaluationRequest.enrollment_id == state.enrollment.id,
        EvaluationRequest.kind == EvaluationKind.COURSE))
    _store(request, state.settings.anonymous, answers)


def _store(request: EvaluationRequest, anonymous: bool, answers: dict) -> None:
    """Flip the request to responded (exactly once) and add the response, in one transaction."""
    now = utcnow()
    won = db.session.scalar(
        update(EvaluationRequest)
        .where(EvaluationRequest.id == request.id, EvaluationRequest.responded.is_(False))
        .values(responded=True, responded_at=None if anonymous else now)
        .returning(EvaluationRequest.id).execution_options(synchronize_session=False))
    if won is None:
        db.session.rollback()
        raise AlreadyResponded()
    response = EvaluationResponse(kind=request.kind, course_id=request.course_id, anonymous=anonymous,
                                  request_id=None if anonymous else request.id, unit_id=request.unit_id,
                                  submitted_at=None if anonymous else now)
    response.answers = [EvaluationAnswer(question_key=key, value=value, text=text)
                        for key, (value, text) in answers.items()]
    db.session.add(response)
    db.session.commit()


@dataclass
class FollowupState:
    request: EvaluationRequest
    title: str
    subject_name: str
    anonymous: bool
    questions: list[Question]


def followup_for(user: User, request_id: int) -> FollowupState | None:
    """A follow-up request addressed to `user` (None for anyone else's: no existence leak)."""
    row = db.session.execute(
        select(EvaluationRequest, CourseVersion.title, User.name)
        .join(Enrollment, Enrollment.id == EvaluationRequest.enrollment_id)
        .outerjoin(CourseVersion, CourseVersion.id == Enrollment.completed_version_id)
        .join(User, User.id == EvaluationRequest.subject_id)
        .where(EvaluationRequest.id == request_id, EvaluationRequest.respondent_id == user.id,
               EvaluationRequest.kind != EvaluationKind.COURSE)).first()
    if row is None:
        return None
    request, title, subject_name = row
    settings = settings_for(request.course_id)
    return FollowupState(request, title or "", subject_name, settings.anonymous,
                         questions_for(request.kind, settings))


def submit_followup(state: FollowupState, form) -> None:
    if state.request.responded:
        raise AlreadyResponded()
    _store(state.request, state.anonymous, parse_answers(state.questions, form))


@dataclass
class Pending:
    """A survey waiting for the user's answer (dashboard to-do, follow-up list)."""

    request_id: int
    kind: EvaluationKind
    slug: str
    title: str
    subject_name: str
    created_at: dt.datetime


def pending_for(user: User) -> list[Pending]:
    """Open surveys for `user` (as learner or supervisor), oldest first, in one query."""
    subject = aliased(User)
    rows = db.session.execute(
        select(EvaluationRequest.id, EvaluationRequest.kind, Course.slug, CourseVersion.title,
               subject.name, EvaluationRequest.created_at)
        .join(Course, Course.id == EvaluationRequest.course_id)
        .join(Enrollment, Enrollment.id == EvaluationRequest.enrollment_id)
        .outerjoin(CourseVersion, CourseVersion.id == Enrollment.completed_version_id)
        .join(subject, subject.id == EvaluationRequest.subject_id)
        .where(EvaluationRequest.respondent_id == user.id, EvaluationRequest.responded.is_(False))
        .order_by(EvaluationRequest.created_at, EvaluationRequest.id)).all()
    return [Pending(rid, kind, slug, title or slug, name, created) for rid, kind, slug, title, name, created in rows]


# ---------------------------------------------------------------------- follow-up job


def send_followups(now: dt.datetime | None = None) -> int:
    """Ask learners and supervisors about the training's effect, N weeks after completion.

    Run by the background worker (a periodic job) or ``flask lms send-followups``; never in
    a request. Idempotent: the unique (enrolment, kind) rows and ON CONFLICT DO NOTHING make
    a second run, or two at once, ask nobody twice. Returns the requests created. Commits.
    """
    now = now or utcnow()
    config = current_app.config
    default_weeks = int(config["EVALUATION_FOLLOWUP_WEEKS"])
    window = dt.timedelta(weeks=int(config["EVALUATION_FOLLOWUP_WINDOW_WEEKS"]))
    forms = db.session.execute(select(EvaluationForm.course_id, EvaluationForm.enabled,
                                      EvaluationForm.followup_weeks)).all()
    custom: dict[int, list[int]] = {}
    for course_id, enabled, weeks in forms:
        effective = 0 if not enabled else (default_weeks if weeks is None else weeks)
        if effective != default_weeks:
            custom.setdefault(effective, []).append(course_id)
    excluded = [cid for ids in custom.values() for cid in ids]
    groups = [(weeks, Enrollment.course_id.in_(ids)) for weeks, ids in custom.items() if weeks > 0]
    if default_weeks > 0:
        groups.append((default_weeks, Enrollment.course_id.not_in(excluded) if excluded else True))
    created = 0
    for weeks, course_filter in groups:
        latest = now - dt.timedelta(weeks=weeks)
        created += _followups_for(course_filter, latest - window, latest)
    return created


def _followups_for(course_filter, earliest: dt.datetime, latest: dt.datetime) -> int:
    """Requests (and mail) for the completions between `earliest` and `latest` not yet asked."""
    from lms.services import notifications

    supervisor = aliased(User)
    asked = exists().where(EvaluationRequest.enrollment_id == Enrollment.id,
                           EvaluationRequest.kind == EvaluationKind.FOLLOWUP_LEARNER)
    rows = db.session.execute(
        select(Enrollment, User, supervisor, Course.slug, CourseVersion.title)
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(supervisor, and_(supervisor.id == User.supervisor_id, supervisor.active.is_(True)))
        .join(Course, Course.id == Enrollment.course_id)
        .outerjoin(CourseVersion, CourseVersion.id == Enrollment.completed_version_id)
        .where(course_filter, Enrollment.completed_at.is_not(None), Enrollment.completed_at <= latest,
               Enrollment.completed_at > earliest, User.active.is_(True), ~asked)
        .order_by(Enrollment.completed_at, Enrollment.id)).all()
    created = 0
    for enrollment, learner, boss, slug, title in rows:
        base = {"enrollment_id": enrollment.id, "course_id": enrollment.course_id,
                "subject_id": learner.id, "unit_id": learner.unit_id}
        people = [(EvaluationKind.FOLLOWUP_LEARNER, learner)]
        if boss is not None and boss.id != learner.id:
            people.append((EvaluationKind.FOLLOWUP_SUPERVISOR, boss))
        for kind, person in people:
            request_id = _insert_request({**base, "kind": kind, "respondent_id": person.id})
            if request_id is None:
                continue  # a concurrent run asked first
            created += 1
            _notify(notifications, kind, request_id, person, learner, title or slug)
        db.session.commit()  # per enrolment: a failure later never loses what was sent
    return created


def _notify(notifications, kind: EvaluationKind, request_id: int, person: User, learner: User,
            title: str) -> None:
    """Queue the invitation mail (the outbox sends it); the link needs a sign-in."""
    params = {"name": person.name, "learner": learner.name, "course": title,
              "url": notifications._site_url(f"/evaluation/follow-ups/{request_id}")}
    if kind == EvaluationKind.FOLLOWUP_LEARNER:
        subject = (N_("How has %(course)s helped your work?"), params)
        lines = [(N_("Hello %(name)s,"), params),
                 (N_('Some weeks ago you completed "%(course)s". Please tell us in a few minutes '
                     'whether and how you use it in your work.'), params)]
    else:
        subject = (N_("Follow-up on the training of %(learner)s: %(course)s"), params)
        lines = [(N_("Hello %(name)s,"), params),
                 (N_('%(learner)s, whom you supervise, completed "%(course)s" some weeks ago. '
                     'Please tell us whether you have seen a change in their work.'), params)]
    lines.append((N_("Answer here (sign in first): %(url)s"), params))
    notifications.queue(person, FOLLOWUP_NOTICE, subject, lines, dedup_key=f"evaluation:{request_id}")


# --------------------------------------------------------------------------- results


def _in_units(column, scope: Scope):
    """`column` (a unit id) inside the scope's subtree; everything for the whole agency."""
    if scope.unit is None:
        return True
    return column.in_(select(Unit.id).where(Unit.path.startswith(scope.prefix)))


@dataclass
class Rate:
    invited: int = 0
    responded: int = 0

    @property
    def percent(self) -> float:
        return round(100 * self.responded / self.invited, 1) if self.invited else 0.0


@dataclass
class Comment:
    text: str
    #: The respondent, for viewers allowed to see names of named responses; else None.
    name: str | None = None
    #: Supervisor follow-ups: the employee the comment is about (same rule).
    about: str | None = None


@dataclass
class QuestionResult:
    question: Question
    counts: list[int] = field(default_factory=lambda: [0] * len(SCALE))
    comments: list[Comment] = field(default_factory=list)

    @property
    def n(self) -> int:
        return sum(self.counts) if self.question.kind == LIKERT else len(self.comments)

    @property
    def mean(self) -> float | None:
        total = sum(self.counts)
        return round(sum(v * c for v, c in zip(SCALE, self.counts)) / total, 2) if total else None

    def percent(self, index: int) -> float:
        total = sum(self.counts)
        return round(100 * self.counts[index] / total, 1) if total else 0.0


@dataclass
class KindResult:
    kind: EvaluationKind
    rate: Rate
    responses: int = 0
    anonymous_responses: int = 0
    questions: list[QuestionResult] = field(default_factory=list)
    #: Anonymous answers below the minimum: only the rate is shown.
    withheld: bool = False

    @property
    def label(self):
        return KIND_LABELS[self.kind]


@dataclass
class UnitRates:
    code: str | None
    name: str
    rates: dict[EvaluationKind, Rate]


@dataclass
class Results:
    course: Course
    title: str
    scope: Scope
    settings: Settings
    show_names: bool
    kinds: list[KindResult]
    units: list[UnitRates]
    minimum: int


def may_see_names(viewer: User) -> bool:
    """Names next to (non-anonymous) answers: admins and unit admins (their own people),
    never authors, who design courses and do not appraise staff."""
    return viewer.role in (Role.ADMIN, Role.UNIT_ADMIN)


def results(course: Course, scope: Scope, viewer: User) -> Results:
    """The course's evaluation results in `scope`: five queries whatever the responses."""
    settings = settings_for(course.id)
    show_names = may_see_names(viewer)
    minimum = int(current_app.config["EVALUATION_ANONYMOUS_MIN"])
    rates = {kind: Rate() for kind in EvaluationKind}
    for kind, invited, responded in db.session.execute(
            select(EvaluationRequest.kind, func.count(),
                   func.coalesce(func.sum(case((EvaluationRequest.responded.is_(True), 1), else_=0)), 0))
            .where(EvaluationRequest.course_id == course.id, _in_units(EvaluationRequest.unit_id, scope))
            .group_by(EvaluationRequest.kind)):
        rates[EvaluationKind(kind)] = Rate(invited, int(responded))
    kinds = {kind: KindResult(kind, rates[kind]) for kind in EvaluationKind}
    response_filter = and_(EvaluationResponse.course_id == course.id,
                           _in_units(EvaluationResponse.unit_id, scope))
    for kind, total, anonymous in db.session.execute(
            select(EvaluationResponse.kind, func.count(),
                   func.coalesce(func.sum(case((EvaluationResponse.anonymous.is_(True), 1), else_=0)), 0))
            .where(response_filter).group_by(EvaluationResponse.kind)):
        result = kinds[EvaluationKind(kind)]
        result.responses, result.anonymous_responses = total, int(anonymous)
        # fewer anonymous answers than the minimum: withhold the whole survey, since named
        # answers shown beside them could be subtracted from the totals
        result.withheld = 0 < result.anonymous_responses < minimum
    by_key: dict[tuple, QuestionResult] = {}
    for kind, result in kinds.items():
        for question in questions_for(kind, settings):
            by_key[(kind, question.key)] = QuestionResult(question)
            result.questions.append(by_key[(kind, question.key)])
    for kind, key, value, count in db.session.execute(
            select(EvaluationResponse.kind, EvaluationAnswer.question_key, EvaluationAnswer.value, func.count())
            .join(EvaluationResponse, EvaluationResponse.id == EvaluationAnswer.response_id)
            .where(response_filter, EvaluationAnswer.value.is_not(None))
            .group_by(EvaluationResponse.kind, EvaluationAnswer.question_key, EvaluationAnswer.value)):
        item = _result_for(by_key, kinds, EvaluationKind(kind), key, LIKERT)
        if value in SCALE:
            item.counts[value - 1] += count
    for row in db.session.execute(_comments_query(response_filter).limit(COMMENTS_SHOWN)):
        item = _result_for(by_key, kinds, EvaluationKind(row.kind), row.question_key, TEXT)
        named = show_names and not row.anonymous
        item.comments.append(Comment(row.text, row.respondent if named else None,
                                     row.subject if named and row.kind == EvaluationKind.FOLLOWUP_SUPERVISOR
                                     else None))
    for result in kinds.values():
        if result.withheld:
            result.questions = []
    return Results(course, course_title(course.id), scope, settings, show_names, list(kinds.values()),
                   _unit_rates(course.id, scope), minimum)


def _result_for(by_key: dict, kinds: dict, kind: EvaluationKind, key: str, qkind: str) -> QuestionResult:
    """The result row of a question, or one for a question since removed from the form."""
    if (kind, key) not in by_key:
        by_key[(kind, key)] = QuestionResult(Question(key, qkind, False, gettext("Removed question %(key)s", key=key)))
        kinds[kind].questions.append(by_key[(kind, key)])
    return by_key[(kind, key)]


def _comments_query(response_filter):
    respondent, subject = aliased(User), aliased(User)
    return (select(EvaluationResponse.kind, EvaluationResponse.anonymous, EvaluationAnswer.question_key,
                   EvaluationAnswer.text, respondent.name.label("respondent"), subject.name.label("subject"))
            .join(EvaluationResponse, EvaluationResponse.id == EvaluationAnswer.response_id)
            .outerjoin(EvaluationRequest, EvaluationRequest.id == EvaluationResponse.request_id)
            .outerjoin(respondent, respondent.id == EvaluationRequest.respondent_id)
            .outerjoin(subject, subject.id == EvaluationRequest.subject_id)
            .where(response_filter, EvaluationAnswer.text.is_not(None))
            # anonymous answers in text order, not in the order they came in
            .order_by(EvaluationResponse.anonymous, _named_order(), EvaluationAnswer.text))


def _named_order():
    """Named responses in the order they came; anonymous ones all equal (no arrival order)."""
    return case((EvaluationResponse.anonymous.is_(True), 0), else_=EvaluationResponse.id)


def _unit_rates(course_id: int, scope: Scope) -> list[UnitRates]:
    """Rates per unit of the learners asked (their unit when asked), by unit name."""
    units: dict = {}
    for unit_id, code, name, kind, invited, responded in db.session.execute(
            select(EvaluationRequest.unit_id, Unit.code, Unit.name, EvaluationRequest.kind, func.count(),
                   func.coalesce(func.sum(case((EvaluationRequest.responded.is_(True), 1), else_=0)), 0))
            .outerjoin(Unit, Unit.id == EvaluationRequest.unit_id)
            .where(EvaluationRequest.course_id == course_id, _in_units(EvaluationRequest.unit_id, scope))
            .group_by(EvaluationRequest.unit_id, Unit.code, Unit.name, EvaluationRequest.kind)):
        row = units.setdefault(unit_id, UnitRates(code, name or gettext("No unit"),
                                                  {k: Rate() for k in EvaluationKind}))
        row.rates[EvaluationKind(kind)] = Rate(invited, int(responded))
    return sorted(units.values(), key=lambda u: (u.code is None, u.name.lower()))


@dataclass
class CourseRates:
    course_id: int
    slug: str
    title: str
    rates: dict[EvaluationKind, Rate]


def overview(scope: Scope, course_ids: list[int] | None = None) -> list[CourseRates]:
    """Every course with someone asked in scope (or the given courses): rates per survey;
    two queries."""
    query = (select(EvaluationRequest.course_id, EvaluationRequest.kind, func.count(),
                    func.coalesce(func.sum(case((EvaluationRequest.responded.is_(True), 1), else_=0)), 0))
             .where(_in_units(EvaluationRequest.unit_id, scope))
             .group_by(EvaluationRequest.course_id, EvaluationRequest.kind))
    if course_ids is not None:
        query = query.where(EvaluationRequest.course_id.in_(course_ids))
    found: dict[int, dict] = {}
    for course_id, kind, invited, responded in db.session.execute(query):
        found.setdefault(course_id, {k: Rate() for k in EvaluationKind})[EvaluationKind(kind)] = \
            Rate(invited, int(responded))
    from lms.services.assignments import course_titles

    titles = course_titles(set(found))
    rows = [CourseRates(cid, titles[cid][1], titles[cid][0], rates) for cid, rates in found.items() if cid in titles]
    return sorted(rows, key=lambda r: r.title.lower())


# --------------------------------------------------------------------------- exports


def summary_rows(result: Results) -> list[list]:
    """Rates and per-question figures, a header row first (the XLSX summary sheet, CSV summary)."""
    rows: list[list] = [["survey", "invited", "responded", "response_rate_percent", "question_key",
                         "question", "answers", "mean", *[f"count_{n}" for n in SCALE]]]
    for kind in result.kinds:
        rows.append([kind.kind.value, kind.rate.invited, kind.rate.responded, kind.rate.percent,
                     "", "", kind.responses, None, *[None] * len(SCALE)])
        for q in kind.questions:
            if q.question.kind == LIKERT:
                rows.append([kind.kind.value, None, None, None, q.question.key, q.question.text, q.n,
                             q.mean, *q.counts])
    return rows


def unit_rows(result: Results) -> list[list]:
    rows: list[list] = [["unit_code", "unit", *[f"{k.value}_{part}" for k in EvaluationKind
                                                 for part in ("invited", "responded")]]]
    for unit in result.units:
        rows.append([unit.code or "", unit.name, *[v for k in EvaluationKind
                                                   for v in (unit.rates[k].invited, unit.rates[k].responded)]])
    return rows


def response_rows(result: Results):
    """One row per answer (long format), header first; anonymous answers without unit or
    name, and none of a survey whose anonymous answers are withheld. Names and NIP only for
    viewers who may see them. Streams: one query, read in batches."""
    names = result.show_names
    header = ["survey", "response", "submitted_at", "unit_code"]
    header += ["respondent", "respondent_nip", "about", "about_nip"] if names else []
    header += ["question_key", "question", "value", "text"]
    yield header
    withheld = {k.kind for k in result.kinds if k.withheld}
    texts = {(k.kind, q.question.key): q.question.text for k in result.kinds for q in k.questions}
    respondent, subject = aliased(User), aliased(User)
    query = (select(EvaluationResponse, EvaluationAnswer, Unit.code, respondent.name, respondent.nip,
                    subject.name, subject.nip)
             .join(EvaluationAnswer, EvaluationAnswer.response_id == EvaluationResponse.id)
             .outerjoin(Unit, Unit.id == EvaluationResponse.unit_id)
             .outerjoin(EvaluationRequest, EvaluationRequest.id == EvaluationResponse.request_id)
             .outerjoin(respondent, respondent.id == EvaluationRequest.respondent_id)
             .outerjoin(subject, subject.id == EvaluationRequest.subject_id)
             .where(EvaluationResponse.course_id == result.course.id,
                    _in_units(EvaluationResponse.unit_id, result.scope))
             .order_by(EvaluationResponse.kind, EvaluationResponse.anonymous, _named_order(),
                       EvaluationAnswer.question_key, EvaluationAnswer.value, EvaluationAnswer.text))
    for response, answer, code, r_name, r_nip, s_name, s_nip in db.session.execute(
            query.execution_options(yield_per=500)):
        if response.kind in withheld:
            continue
        anonymous = response.anonymous
        row = [response.kind.value, response.id if not anonymous else "",
               response.submitted_at if not anonymous else "", "" if anonymous else (code or "")]
        if names:
            row += ["", "", "", ""] if anonymous else [r_name or "", r_nip or "", s_name or "", s_nip or ""]
        row += [answer.question_key, texts.get((response.kind, answer.question_key), ""),
                answer.value, answer.text or ""]
        yield row
