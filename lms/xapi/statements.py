"""Build xAPI 1.0.3 statements from plain values: no database, no Flask.

The react hooks (lms.builtin.xapi) read the rows and call these builders; each returns a
statement as a dict, ready for ``json.dumps``. Identifiers are deterministic: statement
ids are UUIDv5 of the event (an event queued twice is the same statement, which the LRS
keeps once), registrations UUIDv5 of the enrolment, both in a namespace derived from the
site's address so two sites never collide.

Activity ids live under the site's ``BASE_URL`` (docs/xapi.md lists them). Answers to
questions carry the learner's response and its score but never the right answer
(``correctResponsesPattern``): the same questions are drawn by other learners, and an LRS
is read by reporting tools and often by other systems with shared credentials.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import uuid
from dataclasses import dataclass

XAPI_VERSION = "1.0.3"
PLATFORM = "ASN LMS"

ADL_VERB = "http://adlnet.gov/expapi/verbs/"
ADL_ACTIVITY = "http://adlnet.gov/expapi/activities/"
#: Verb: (IRI, English display, Indonesian display).
VERBS = {
    "registered": (ADL_VERB + "registered", "registered", "mendaftar"),
    "launched": (ADL_VERB + "launched", "launched", "membuka"),
    "completed": (ADL_VERB + "completed", "completed", "menyelesaikan"),
    "answered": (ADL_VERB + "answered", "answered", "menjawab"),
    "passed": (ADL_VERB + "passed", "passed", "lulus"),
    "failed": (ADL_VERB + "failed", "failed", "tidak lulus"),
    "earned": ("http://id.tincanapi.com/verb/earned", "earned", "memperoleh"),
    "voided": (ADL_VERB + "voided", "voided", "membatalkan"),
}
COURSE = ADL_ACTIVITY + "course"
LESSON = ADL_ACTIVITY + "lesson"
ASSESSMENT = ADL_ACTIVITY + "assessment"
INTERACTION = ADL_ACTIVITY + "cmi.interaction"
#: The activity type Open edX uses for certificates.
CERTIFICATE = "https://www.opigno.org/en/tincan_registry/activity_type/certificate"
#: Registered extension: the attempt number of an assessment.
ATTEMPT_EXTENSION = "http://id.tincanapi.com/extension/attempt-id"

#: Longest response or description sent; an LRS may refuse larger statements.
MAX_TEXT = 32000
NAME_LENGTH = 120


@dataclass(frozen=True)
class Site:
    """Where statements come from: the site's public address and how learners are named."""

    base_url: str
    #: "account" (user id; the private default), "nip" (account named by NIP), "mbox" (email).
    actor: str = "account"

    @property
    def root(self) -> str:
        return self.base_url.rstrip("/")

    @property
    def namespace(self) -> uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_URL, self.root + "/xapi")

    def iri(self, path: str) -> str:
        return self.root + path

    def extension(self, name: str) -> str:
        """An extension IRI owned by this site (docs/xapi.md lists them)."""
        return self.iri(f"/xapi/extensions/{name}")


@dataclass(frozen=True)
class Learner:
    id: int
    name: str
    email: str | None = None
    nip: str | None = None


@dataclass(frozen=True)
class CourseInfo:
    slug: str
    title: str
    language: str = "id"
    version: int | None = None


@dataclass(frozen=True)
class QuizInfo:
    key: str
    title: str


@dataclass(frozen=True)
class AttemptInfo:
    id: int
    number: int
    points: float
    max_points: float
    score: float  # 0..100
    passed: bool
    started_at: dt.datetime | None
    submitted_at: dt.datetime


@dataclass(frozen=True)
class AnswerInfo:
    slot: int
    question_key: str
    definition: dict
    points: float
    response: object
    fraction: float | None
    #: Graded by a person (essay): no right or wrong, so no "success".
    manual: bool = False


# ----------------------------------------------------------------------- identifiers


def statement_id(site: Site, event_key: str) -> str:
    """The same event always gives the same statement id (UUIDv5)."""
    return str(uuid.uuid5(site.namespace, "statement:" + event_key))


def registration(site: Site, enrollment_id: int) -> str:
    """One UUID per enrolment: xAPI's "registration" groups a learner's course statements."""
    return str(uuid.uuid5(site.namespace, f"enrollment:{enrollment_id}"))


# ------------------------------------------------------------------------- values


def timestamp(moment: dt.datetime) -> str:
    """ISO 8601 in UTC with milliseconds; a naive time is taken as UTC (SQLite)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def duration(seconds: float) -> str:
    """ISO 8601 duration to 0.01 s, as xAPI recommends: 3725.5 -> PT1H2M5.5S."""
    centis = max(0, round(seconds * 100))
    hours, rest = divmod(centis, 360000)
    minutes, rest = divmod(rest, 6000)
    secs = f"{rest // 100}" if rest % 100 == 0 else f"{rest / 100:.2f}".rstrip("0")
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return text + (f"{secs}S" if rest or text == "PT" else "")


def language_tag(language: str | None) -> str:
    """The course's language as an RFC 5646 tag (the catalog stores "id", "en")."""
    tag = (language or "").strip()
    return tag if tag and all(part.isalnum() for part in tag.split("-")) else "und"


def _text(value, limit: int = MAX_TEXT) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _short(text: str) -> str:
    return _text(" ".join(str(text).split()), NAME_LENGTH) or "-"


def _number(value: float) -> float | int:
    """Scores as JSON numbers without float noise (0.30000000000000004 -> 0.3)."""
    rounded = round(float(value), 4)
    return int(rounded) if rounded.is_integer() else rounded


# ------------------------------------------------------------------------ parts


def verb(name: str) -> dict:
    iri, english, indonesian = VERBS[name]
    return {"id": iri, "display": {"en-US": english, "id-ID": indonesian}}


def actor(site: Site, learner: Learner) -> dict:
    """An Agent with exactly one identifier; by default a pseudonymous account (the user id)."""
    if site.actor == "mbox" and learner.email:
        return {"objectType": "Agent", "name": learner.name, "mbox": "mailto:" + learner.email}
    if site.actor == "nip" and learner.nip:
        return {"objectType": "Agent", "name": learner.name,
                "account": {"homePage": site.root, "name": learner.nip}}
    return {"objectType": "Agent", "account": {"homePage": site.root, "name": str(learner.id)}}


def system_agent(site: Site) -> dict:
    """The LMS itself, as the actor of statements no learner made (voiding a certificate)."""
    return {"objectType": "Agent", "name": PLATFORM, "account": {"homePage": site.root, "name": "lms"}}


def activity(iri: str, kind: str, names: dict[str, str], **definition) -> dict:
    return {"objectType": "Activity", "id": iri,
            "definition": {"type": kind, "name": {k: _short(v) for k, v in names.items()}, **definition}}


def course_activity(site: Site, course: CourseInfo) -> dict:
    return activity(site.iri(f"/courses/{course.slug}"), COURSE,
                    {language_tag(course.language): course.title})


def lesson_activity(site: Site, course: CourseInfo, key: str, title: str) -> dict:
    return activity(site.iri(f"/courses/{course.slug}/lessons/{key}"), LESSON,
                    {language_tag(course.language): title or key})


def quiz_activity(site: Site, course: CourseInfo, quiz: QuizInfo) -> dict:
    return activity(site.iri(f"/courses/{course.slug}/quizzes/{quiz.key}"), ASSESSMENT,
                    {language_tag(course.language): quiz.title or quiz.key})


def certificate_activity(site: Site, course: CourseInfo) -> dict:
    return activity(site.iri(f"/courses/{course.slug}/certificate"), CERTIFICATE,
                    {"en-US": f"Certificate: {course.title}", "id-ID": f"Sertifikat: {course.title}"})


def context(site: Site, course: CourseInfo, enrollment_id: int | None, *, parent: tuple | list = (),
            grouping: tuple | list = (), extensions: dict | None = None) -> dict:
    """Registration (the enrolment), the course around the object, platform and language."""
    ctx: dict = {"platform": PLATFORM, "language": language_tag(course.language)}
    if enrollment_id is not None:
        ctx["registration"] = registration(site, enrollment_id)
    activities = {name: [_reference(a) for a in items]
                  for name, items in (("parent", parent), ("grouping", grouping)) if items}
    if activities:
        ctx["contextActivities"] = activities
    if extensions:
        ctx["extensions"] = extensions
    return ctx


def _reference(activity_: dict) -> dict:
    """A context activity: id and definition type (names travel with the main object)."""
    return {"objectType": "Activity", "id": activity_["id"],
            "definition": {"type": activity_["definition"]["type"]}}


def statement(site: Site, event_key: str, agent: dict, verb_name: str, obj: dict,
              moment: dt.datetime, *, ctx: dict | None = None, result: dict | None = None) -> dict:
    built = {"id": statement_id(site, event_key), "actor": agent, "verb": verb(verb_name),
             "object": obj, "timestamp": timestamp(moment)}
    if result is not None:
        built["result"] = result
    if ctx is not None:
        built["context"] = ctx
    return built


# ------------------------------------------------------------------ events


def registered(site: Site, learner: Learner, course: CourseInfo, enrollment_id: int,
               moment: dt.datetime) -> dict:
    return statement(site, f"registered:{enrollment_id}:{timestamp(moment)}", actor(site, learner),
                     "registered", course_activity(site, course), moment,
                     ctx=context(site, course, enrollment_id))


def launched(site: Site, learner: Learner, course: CourseInfo, enrollment_id: int, key: str,
             title: str, moment: dt.datetime) -> dict:
    """The learner opened a lesson (every opening is its own statement)."""
    return statement(site, f"launched:{enrollment_id}:{key}:{timestamp(moment)}",
                     actor(site, learner), "launched", lesson_activity(site, course, key, title),
                     moment, ctx=context(site, course, enrollment_id,
                                         parent=[course_activity(site, course)]))


def lesson_completed(site: Site, learner: Learner, course: CourseInfo, enrollment_id: int,
                     progress_id: int, key: str, title: str, moment: dt.datetime) -> dict:
    return statement(site, f"lesson-completed:{progress_id}", actor(site, learner), "completed",
                     lesson_activity(site, course, key, title), moment,
                     ctx=context(site, course, enrollment_id, parent=[course_activity(site, course)]),
                     result={"completion": True})


def course_completed(site: Site, learner: Learner, course: CourseInfo, enrollment_id: int,
                     moment: dt.datetime, jp: int | None) -> dict:
    """The course is complete; the JP (jam pelajaran) credited travel as a result extension."""
    result: dict = {"completion": True}
    if jp is not None:
        result["extensions"] = {site.extension("jp"): jp}
    return statement(site, f"course-completed:{enrollment_id}:{timestamp(moment)}",
                     actor(site, learner), "completed", course_activity(site, course), moment,
                     ctx=context(site, course, enrollment_id, extensions=_version(site, course)),
                     result=result)


def _version(site: Site, course: CourseInfo) -> dict | None:
    return {site.extension("course-version"): course.version} if course.version is not None else None


def quiz_result(site: Site, learner: Learner, course: CourseInfo, enrollment_id: int | None,
                quiz: QuizInfo, attempt: AttemptInfo) -> dict:
    """Passed or failed, with the attempt's score, and how long it took when known."""
    result: dict = {"score": _score(attempt.score / 100, attempt.points, attempt.max_points),
                    "success": bool(attempt.passed), "completion": True}
    if attempt.started_at is not None:
        result["duration"] = duration(_seconds(attempt.started_at, attempt.submitted_at))
    return statement(site, f"quiz-result:{attempt.id}", actor(site, learner),
                     "passed" if attempt.passed else "failed", quiz_activity(site, course, quiz),
                     attempt.submitted_at, result=result,
                     ctx=context(site, course, enrollment_id, parent=[course_activity(site, course)],
                                 extensions={ATTEMPT_EXTENSION: attempt.number}))


def answered(site: Site, learner: Learner, course: CourseInfo, enrollment_id: int | None,
             quiz: QuizInfo, attempt: AttemptInfo, answer: AnswerInfo) -> dict:
    """One question of an attempt: the response and its score, never the right answer."""
    lang = language_tag(course.language)
    definition, response = interaction(answer.definition, answer.response, lang)
    question = activity(site.iri(f"/courses/{course.slug}/quizzes/{quiz.key}/questions/"
                                 f"{answer.question_key}"), INTERACTION,
                        {lang: _question_name(answer)}, **definition)
    fraction = answer.fraction or 0.0
    result: dict = {"score": _score(fraction, answer.points * fraction, answer.points),
                    "completion": True}
    if not answer.manual:
        result["success"] = fraction >= 1
    if response is not None:
        result["response"] = response
    return statement(site, f"answered:{attempt.id}:{answer.slot}", actor(site, learner), "answered",
                     question, attempt.submitted_at, result=result,
                     ctx=context(site, course, enrollment_id, parent=[quiz_activity(site, course, quiz)],
                                 grouping=[course_activity(site, course)],
                                 extensions={ATTEMPT_EXTENSION: attempt.number}))


def certificate_earned(site: Site, learner: Learner, course: CourseInfo, enrollment_id: int | None,
                       certificate_id: int, number: str, jp: int, moment: dt.datetime) -> dict:
    return statement(site, f"certificate:{certificate_id}", actor(site, learner), "earned",
                     certificate_activity(site, course), moment,
                     result={"completion": True,
                             "extensions": {site.extension("certificate-number"): number,
                                            site.extension("jp"): jp}},
                     ctx=context(site, course, enrollment_id, parent=[course_activity(site, course)]))


def certificate_voided(site: Site, certificate_id: int, moment: dt.datetime) -> dict:
    """Void the "earned" statement of a revoked certificate (the LMS voids, not the learner)."""
    target = statement_id(site, f"certificate:{certificate_id}")
    return statement(site, f"certificate-voided:{certificate_id}", system_agent(site), "voided",
                     {"objectType": "StatementRef", "id": target}, moment)


def _score(scaled: float, raw: float, maximum: float) -> dict:
    """Scaled always; raw/min/max only when there were points to score (xAPI: max > min)."""
    score: dict = {"scaled": _number(min(1.0, max(-1.0, scaled)))}
    if maximum > 0:
        score.update(raw=_number(min(max(0.0, float(raw)), float(maximum))), min=0,
                     max=_number(maximum))
    return score


def _seconds(start: dt.datetime, end: dt.datetime) -> float:
    def aware(moment: dt.datetime) -> dt.datetime:
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)

    return (aware(end) - aware(start)).total_seconds()


def _question_name(answer: AnswerInfo) -> str:
    definition = answer.definition
    return definition.get("title") or definition.get("text") or answer.question_key


# ------------------------------------------------------------------ interactions


def interaction(definition: dict, response, lang: str) -> tuple[dict, str | None]:
    """The interaction part of a question's activity definition, and the response in the
    format its interactionType prescribes (None when unanswered).

    Component ids are hashes of their texts: stable across attempts (each attempt masks
    option ids at random) and listed sorted by id, so neither ids nor order hint at the
    right answer.
    """
    kind = definition.get("type")
    builder = _INTERACTIONS.get(kind, _other)
    parts, answer = builder(definition, response, lang)
    text = definition.get("text")
    if isinstance(text, str) and text.strip():
        parts = {"description": {lang: _text(text.strip())}, **parts}
    return parts, (None if answer is None else _text(answer))


def component_id(text: str) -> str:
    return hashlib.sha256(str(text).encode()).hexdigest()[:12]


def _components(texts, lang: str) -> tuple[list[dict], dict[str, str]]:
    ids = {str(text): component_id(text) for text in texts}
    listed = sorted(ids.items(), key=lambda item: item[1])
    return [{"id": cid, "description": {lang: _short(text)}} for text, cid in listed], ids


def _choice(definition, response, lang):
    options = [o for o in definition.get("options") or [] if isinstance(o, dict)]
    choices, ids = _components([o.get("text", "") for o in options], lang)
    by_option = {o.get("id"): ids[str(o.get("text", ""))] for o in options}
    chosen = [response] if isinstance(response, str) else response if isinstance(response, list) else []
    picked = sorted({by_option[item] for item in chosen if item in by_option})
    return ({"interactionType": "choice", "choices": choices},
            "[,]".join(picked) if picked else None)


def _true_false(definition, response, lang):
    answer = None if not isinstance(response, bool) else ("true" if response else "false")
    return {"interactionType": "true-false"}, answer


def _fill_in(definition, response, lang):
    return {"interactionType": "fill-in"}, response if isinstance(response, str) and response else None


def _numeric(definition, response, lang):
    if isinstance(response, bool) or not isinstance(response, (int, float)) or not math.isfinite(response):
        return {"interactionType": "numeric"}, None
    return {"interactionType": "numeric"}, str(_number(response))


def _matching(definition, response, lang):
    pairs = [p for p in definition.get("pairs") or [] if isinstance(p, dict)]
    source, left_ids = _components([p.get("left", "") for p in pairs], lang)
    target, right_ids = _components(sorted({str(p.get("right", "")) for p in pairs}), lang)
    matched = []
    if isinstance(response, dict):
        for index, pair in enumerate(pairs):
            right = response.get(str(index))
            if isinstance(right, str) and right in right_ids:
                matched.append(f"{left_ids[str(pair.get('left', ''))]}[.]{right_ids[right]}")
    return ({"interactionType": "matching", "source": source, "target": target},
            "[,]".join(matched) if matched else None)


def _sequencing(definition, response, lang):
    items = [str(item) for item in definition.get("items") or []]
    choices, ids = _components(items, lang)
    order = []
    if isinstance(response, list):
        order = [ids[items[i]] for i in response
                 if isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(items)]
    return {"interactionType": "sequencing", "choices": choices}, "[,]".join(order) if order else None


def _long_fill_in(definition, response, lang):
    return {"interactionType": "long-fill-in"}, response if isinstance(response, str) and response else None


def _other(definition, response, lang):
    """A plugin's question type: the response as text (JSON when it is structured)."""
    return {"interactionType": "other"}, None if response is None else response


_INTERACTIONS = {
    "single": _choice, "multiple": _choice, "truefalse": _true_false, "short": _fill_in,
    "numerical": _numeric, "matching": _matching, "ordering": _sequencing, "essay": _long_fill_in,
}
