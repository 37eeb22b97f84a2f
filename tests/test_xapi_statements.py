"""xAPI statements: the builders, checked by an independent schema that rejects broken ones."""
from __future__ import annotations

import copy
import datetime as dt
import json
import sys
from pathlib import Path

import pytest

from lms import create_app
from lms.errors import StartupError
from lms.xapi import statements as xs
from lms.xapi.settings import XapiConfigError, XapiSettings

sys.path.insert(0, str(Path(__file__).parent / "xapi"))
from xapi_checker import assert_valid, problems  # noqa: E402

SITE = xs.Site("https://lms.semarangkota.go.id/")
RINA = xs.Learner(7, "Rina Wulandari", "rina@semarangkota.go.id", "199001012015012001")
COURSE = xs.CourseInfo("dasar-e-office", "Dasar-dasar E-Office", "id", 2)
QUIZ = xs.QuizInfo("kuis-1", "Kuis Bagian 1")
NOW = dt.datetime(2026, 11, 24, 3, 4, 5, 678000, tzinfo=dt.timezone.utc)
ATTEMPT = xs.AttemptInfo(11, 2, 2.5, 3.0, 83.33, True, NOW - dt.timedelta(minutes=12, seconds=3.5), NOW)

SINGLE = {"type": "single", "text": "Surat masuk dicatat di buku apa?",
          "options": [{"id": "f00d", "text": "Buku agenda", "fraction": 1, "feedback": "RAHASIA"},
                      {"id": "beef", "text": "Buku tamu", "fraction": 0}]}
QUESTIONS = {
    "single": (SINGLE, "f00d"),
    "multiple": ({"type": "multiple", "options": [
        {"id": "a1", "text": "Nota dinas", "fraction": 0.5}, {"id": "a2", "text": "Surat edaran", "fraction": 0.5},
        {"id": "a3", "text": "Memo pribadi", "fraction": -1}]}, ["a2", "a1"]),
    "truefalse": ({"type": "truefalse", "text": "TTE sah.", "answer": True}, False),
    "short": ({"type": "short", "answers": [{"text": "SRIKANDI", "fraction": 1}]}, "srikandi"),
    "numerical": ({"type": "numerical", "answers": [{"value": 3.14, "tolerance": 0.01, "fraction": 1}]}, 3.1),
    "matching": ({"type": "matching", "pairs": [{"left": "Disposisi", "right": "Instruksi"},
                                                {"left": "Agenda", "right": "Pencatatan"}]},
                 {"0": "Instruksi", "1": "Instruksi"}),
    "ordering": ({"type": "ordering", "items": ["Diterima", "Dicatat", "Disposisi"]}, [1, None, 0]),
    "essay": ({"type": "essay", "rubric": "RUBRIK-RAHASIA"}, "Di unit kami ..."),
    "letter": ({"type": "letter", "required": ["kop", "nomor"]}, {"kop": "Pemkot", "nomor": "1"}),
}
INTERACTION_TYPES = {"single": "choice", "multiple": "choice", "truefalse": "true-false",
                     "short": "fill-in", "numerical": "numeric", "matching": "matching",
                     "ordering": "sequencing", "essay": "long-fill-in", "letter": "other"}


def answered(kind: str, response="default", fraction=0.5, site=SITE, definition=None):
    question, default = QUESTIONS[kind]
    answer = xs.AnswerInfo(0, f"q-{kind}", definition or question, 2.0,
                           default if response == "default" else response, fraction, kind == "essay")
    return xs.answered(site, RINA, COURSE, 5, QUIZ, ATTEMPT, answer)


def every_statement() -> list[dict]:
    return [xs.registered(SITE, RINA, COURSE, 5, NOW),
            xs.launched(SITE, RINA, COURSE, 5, "apa-itu", "Apa itu e-office", NOW),
            xs.lesson_completed(SITE, RINA, COURSE, 5, 31, "apa-itu", "Apa itu e-office", NOW),
            xs.quiz_result(SITE, RINA, COURSE, 5, QUIZ, ATTEMPT),
            xs.course_completed(SITE, RINA, COURSE, 5, NOW, 8),
            xs.certificate_earned(SITE, RINA, COURSE, 5, 3, "LMS-2026-000003", 8, NOW),
            xs.certificate_voided(SITE, 3, NOW),
            *(answered(kind) for kind in QUESTIONS),
            *(answered(kind, response=None, fraction=0.0) for kind in QUESTIONS)]


# ------------------------------------------------------------------ the builders


@pytest.mark.parametrize("statement", every_statement(), ids=lambda s: s["verb"]["display"]["en-US"])
def test_every_statement_is_valid_xapi(statement):
    assert_valid(statement)
    assert json.loads(json.dumps(statement)) == statement  # plain JSON


@pytest.mark.parametrize("mode", ["account", "nip", "mbox"])
def test_actor_identifies_the_learner_one_way(mode):
    site = xs.Site(SITE.base_url, mode)
    statement = xs.registered(site, RINA, COURSE, 5, NOW)
    assert_valid(statement)
    agent = statement["actor"]
    expected = {"account": {"account": {"homePage": "https://lms.semarangkota.go.id", "name": "7"}},
                "nip": {"account": {"homePage": "https://lms.semarangkota.go.id",
                                    "name": "199001012015012001"}, "name": "Rina Wulandari"},
                "mbox": {"mbox": "mailto:rina@semarangkota.go.id", "name": "Rina Wulandari"}}[mode]
    assert agent == {"objectType": "Agent", **expected}


def test_the_default_actor_carries_no_name_email_or_nip():
    text = json.dumps(every_statement())
    for private in (RINA.name, RINA.email, RINA.nip):
        assert private not in text


def test_nip_mode_falls_back_to_the_user_id_without_a_nip():
    agent = xs.actor(xs.Site(SITE.base_url, "nip"), xs.Learner(9, "Tamu", "t@x.id", None))
    assert agent["account"]["name"] == "9" and "name" not in agent


def test_statement_ids_are_deterministic_per_event_and_site():
    first = xs.lesson_completed(SITE, RINA, COURSE, 5, 31, "apa-itu", "A", NOW)
    again = xs.lesson_completed(SITE, RINA, COURSE, 5, 31, "apa-itu", "A", NOW + dt.timedelta(hours=1))
    other_site = xs.lesson_completed(xs.Site("https://lms.palembang.go.id"), RINA, COURSE, 5, 31,
                                     "apa-itu", "A", NOW)
    assert first["id"] == again["id"] != other_site["id"]
    ids = [s["id"] for s in every_statement()[:8]]  # seven kinds of event and one answer
    assert len(ids) == len(set(ids))


def test_one_registration_per_enrolment():
    statements = [xs.registered(SITE, RINA, COURSE, 5, NOW), answered("single"),
                  xs.quiz_result(SITE, RINA, COURSE, 5, QUIZ, ATTEMPT)]
    assert {s["context"]["registration"] for s in statements} == {xs.registration(SITE, 5)}
    assert xs.registration(SITE, 5) != xs.registration(SITE, 6)


def test_activity_ids_live_under_the_site():
    root = "https://lms.semarangkota.go.id/courses/dasar-e-office"
    assert xs.registered(SITE, RINA, COURSE, 5, NOW)["object"]["id"] == root
    assert xs.launched(SITE, RINA, COURSE, 5, "apa-itu", "A", NOW)["object"]["id"] == root + "/lessons/apa-itu"
    result = xs.quiz_result(SITE, RINA, COURSE, 5, QUIZ, ATTEMPT)
    assert result["object"]["id"] == root + "/quizzes/kuis-1"
    assert result["context"]["contextActivities"]["parent"][0]["id"] == root
    question = answered("single")
    assert question["object"]["id"] == root + "/quizzes/kuis-1/questions/q-single"
    assert question["context"]["contextActivities"] == {
        "parent": [{"objectType": "Activity", "id": root + "/quizzes/kuis-1",
                    "definition": {"type": xs.ASSESSMENT}}],
        "grouping": [{"objectType": "Activity", "id": root, "definition": {"type": xs.COURSE}}]}


def test_quiz_result_carries_score_success_and_duration():
    passed = xs.quiz_result(SITE, RINA, COURSE, 5, QUIZ, ATTEMPT)
    assert passed["verb"]["id"] == "http://adlnet.gov/expapi/verbs/passed"
    assert passed["result"] == {"score": {"scaled": 0.8333, "raw": 2.5, "min": 0, "max": 3},
                                "success": True, "completion": True, "duration": "PT12M3.5S"}
    assert passed["context"]["extensions"] == {xs.ATTEMPT_EXTENSION: 2}
    failed = xs.quiz_result(SITE, RINA, COURSE, 5, QUIZ, xs.AttemptInfo(
        12, 3, 0.0, 3.0, 0.0, False, None, NOW))
    assert failed["verb"]["id"] == "http://adlnet.gov/expapi/verbs/failed"
    assert failed["result"]["success"] is False and "duration" not in failed["result"]
    assert_valid(failed)


@pytest.mark.parametrize("kind", sorted(QUESTIONS))
def test_each_question_type_has_its_interaction_and_response(kind):
    statement = answered(kind)
    definition = statement["object"]["definition"]
    assert definition["type"] == xs.INTERACTION
    assert definition["interactionType"] == INTERACTION_TYPES[kind]
    assert statement["result"]["score"] == {"scaled": 0.5, "raw": 1, "min": 0, "max": 2}
    assert ("success" in statement["result"]) is (kind != "essay")  # a person graded the essay
    assert isinstance(statement["result"]["response"], str)


def test_responses_use_the_interaction_formats():
    def ids(texts):
        return [xs.component_id(t) for t in texts]

    assert answered("single")["result"]["response"] == ids(["Buku agenda"])[0]
    assert answered("multiple")["result"]["response"] == "[,]".join(sorted(ids(["Nota dinas", "Surat edaran"])))
    assert answered("truefalse")["result"]["response"] == "false"
    assert answered("short")["result"]["response"] == "srikandi"
    assert answered("numerical")["result"]["response"] == "3.1"
    left, right = ids(["Disposisi", "Agenda"]), ids(["Instruksi"])[0]
    assert answered("matching")["result"]["response"] == f"{left[0]}[.]{right}[,]{left[1]}[.]{right}"
    assert answered("ordering")["result"]["response"] == "[,]".join(ids(["Dicatat", "Diterima"]))
    assert json.loads(answered("letter")["result"]["response"]) == {"kop": "Pemkot", "nomor": "1"}


def test_unanswered_questions_have_no_response():
    for kind in QUESTIONS:
        statement = answered(kind, response=None, fraction=None)
        assert "response" not in statement["result"]
        assert statement["result"]["score"]["scaled"] == 0


def test_answers_never_reveal_the_right_answer():
    """Other learners draw the same questions: no correctResponsesPattern, no fractions or
    feedback, and choices listed by a hash of their text, so neither order nor ids hint."""
    for kind in QUESTIONS:
        text = json.dumps(answered(kind))
        for secret in ("correctResponsesPattern", "fraction", "feedback", "RAHASIA", "RUBRIK", "tolerance"):
            assert secret not in text, (kind, secret)
    choices = answered("single")["object"]["definition"]["choices"]
    assert [c["id"] for c in choices] == sorted(c["id"] for c in choices)
    swapped = copy.deepcopy(SINGLE)
    swapped["options"].reverse()
    assert answered("single", definition=swapped)["object"]["definition"]["choices"] == choices


def test_choices_stay_the_same_across_attempts_with_masked_ids():
    """Each attempt masks option ids at random; the activity definition must not change."""
    other = copy.deepcopy(SINGLE)
    other["options"][0]["id"], other["options"][1]["id"] = "1234", "5678"
    first = answered("single")
    second = answered("single", definition=other, response="1234")
    assert first["object"] == second["object"]
    assert first["result"]["response"] == second["result"]["response"]


def test_course_completion_and_certificate_carry_the_jp():
    completed = xs.course_completed(SITE, RINA, COURSE, 5, NOW, 8)
    assert completed["result"] == {"completion": True, "extensions": {SITE.extension("jp"): 8}}
    assert completed["context"]["extensions"] == {SITE.extension("course-version"): 2}
    earned = xs.certificate_earned(SITE, RINA, COURSE, 5, 3, "LMS-2026-000003", 8, NOW)
    assert earned["verb"]["id"] == "http://id.tincanapi.com/verb/earned"
    assert earned["result"]["extensions"][SITE.extension("certificate-number")] == "LMS-2026-000003"


def test_voiding_refers_to_the_earned_statement():
    voided = xs.certificate_voided(SITE, 3, NOW)
    earned = xs.certificate_earned(SITE, RINA, COURSE, 5, 3, "LMS-2026-000003", 8, NOW)
    assert voided["object"] == {"objectType": "StatementRef", "id": earned["id"]}
    assert voided["verb"]["id"] == "http://adlnet.gov/expapi/verbs/voided"


@pytest.mark.parametrize("seconds, text", [(0, "PT0S"), (59.5, "PT59.5S"), (60, "PT1M"),
                                           (3725.25, "PT1H2M5.25S"), (7200, "PT2H"), (0.004, "PT0S")])
def test_durations_are_iso_8601(seconds, text):
    assert xs.duration(seconds) == text


def test_timestamps_are_utc_with_a_zone():
    assert xs.timestamp(NOW) == "2026-11-24T03:04:05.678Z"
    assert xs.timestamp(dt.datetime(2026, 11, 24, 10, 0)) == "2026-11-24T10:00:00.000Z"  # SQLite: naive UTC
    jakarta = dt.timezone(dt.timedelta(hours=7))
    assert xs.timestamp(dt.datetime(2026, 11, 24, 10, 0, tzinfo=jakarta)) == "2026-11-24T03:00:00.000Z"


def test_a_quiz_without_points_sends_only_the_scaled_score():
    empty = xs.quiz_result(SITE, RINA, COURSE, 5, QUIZ, xs.AttemptInfo(1, 1, 0, 0, 100.0, True, NOW, NOW))
    assert empty["result"]["score"] == {"scaled": 1}
    assert_valid(empty)


# ------------------------------------------------------------------ the checker


def spec_examples() -> list[dict]:
    """Statements shaped like the specification's examples: what a valid LRS accepts."""
    return [
        {"actor": {"mbox": "mailto:xapi@adlnet.gov"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/created",
         "display": {"en-US": "created"}}, "object": {"id": "http://example.adlnet.gov/xapi/example/activity"}},
        {"id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0", "timestamp": "2015-11-18T12:17:00+00:00",
         "actor": {"objectType": "Group", "name": "Team PB",
                   "member": [{"name": "Andrew Downes", "account": {"homePage": "http://www.example.com",
                                                                    "name": "13936749"}},
                              {"name": "Toby Nichols", "openid": "http://toby.openid.example.org/"},
                              {"name": "Ena Hills", "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}]},
         "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
         "object": {"objectType": "SubStatement", "actor": {"mbox": "mailto:test@example.com"},
                    "verb": {"id": "http://example.com/visited"},
                    "object": {"id": "http://example.com/website"}},
         "context": {"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7", "language": "en-GB",
                     "instructor": {"name": "Andrew Downes", "mbox": "mailto:andrew@example.com"},
                     "contextActivities": {"parent": {"id": "http://www.example.com/meetings/series/267"}}}},
        {"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
         "object": {"id": "http://example.com/q1", "definition": {
             "interactionType": "likert", "scale": [{"id": "likert_0", "description": {"en-US": "Bad"}},
                                                    {"id": "likert_1", "description": {"en-US": "Good"}}],
             "correctResponsesPattern": ["likert_1"]}},
         "result": {"score": {"scaled": -0.5, "raw": -5, "min": -10, "max": 10}, "response": "likert_0",
                    "duration": "P1DT2H", "success": False}},
    ]


@pytest.mark.parametrize("statement", spec_examples())
def test_checker_accepts_statements_from_the_specification(statement):
    assert problems(statement) == []


def broken(change) -> dict:
    statement = copy.deepcopy(answered("single"))
    change(statement)
    return statement


def _set(path: str, value):
    def change(statement):
        *parents, last = path.split(".")
        target = statement
        for key in parents:
            target = target[key]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
    return change


DELETE = object()
BROKEN = {
    "no actor": _set("actor", DELETE),
    "no verb": _set("verb", DELETE),
    "unknown property": _set("mood", "happy"),
    "statement id not a UUID": _set("id", "statement-1"),
    "agent with two identifiers": _set("actor.mbox", "mailto:rina@example.go.id"),
    "agent without identifier": _set("actor", {"objectType": "Agent", "name": "Rina"}),
    "account without homePage": _set("actor.account", {"name": "7"}),
    "account homePage not a URL": _set("actor.account.homePage", "lms"),
    "mbox without mailto": _set("actor", {"mbox": "rina@example.go.id"}),
    "group without members or identifier": _set("actor", {"objectType": "Group", "name": "Tim"}),
    "verb id not an IRI": _set("verb.id", "answered"),
    "verb display with a bad language tag": _set("verb.display", {"en US": "answered"}),
    "verb display not a map": _set("verb.display", "answered"),
    "activity id with spaces": _set("object.id", "https://lms.example/q 1"),
    "activity without id": _set("object", {"objectType": "Activity"}),
    "unknown interaction type": _set("object.definition.interactionType", "essay"),
    "choices without interactionType": _set("object.definition.interactionType", DELETE),
    "true-false with choices": _set("object.definition.interactionType", "true-false"),
    "matching with choices": _set("object.definition.interactionType", "matching"),
    "duplicate component ids": lambda s: s["object"]["definition"]["choices"].append(
        s["object"]["definition"]["choices"][0]),
    "response with an unknown choice": _set("result.response", "nope"),
    "scaled above 1": _set("result.score.scaled", 1.5),
    "scaled below -1": _set("result.score.scaled", -2),
    "raw above max": _set("result.score.raw", 3),
    "raw below min": _set("result.score.raw", -1),
    "max not above min": _set("result.score.max", 0),
    "score property unknown": _set("result.score.percent", 50),
    "success not boolean": _set("result.success", "yes"),
    "bad duration": _set("result.duration", "12 minutes"),
    "duration without components": _set("result.duration", "PT"),
    "timestamp without zone": _set("timestamp", "2026-11-24T10:00:00"),
    "timestamp with -00:00": _set("timestamp", "2026-11-24T10:00:00-00:00"),
    "timestamp not a date": _set("timestamp", "yesterday"),
    "registration not a UUID": _set("context.registration", "enrolment-5"),
    "context activity not an activity": _set("context.contextActivities.parent", [{"name": "kuis"}]),
    "unknown context activities key": _set("context.contextActivities.siblings", []),
    "extension key not an IRI": _set("context.extensions", {"attempt": 1}),
    "bad language": _set("context.language", "bahasa indonesia"),
    "version 2": _set("version", "2.0.0"),
    "voiding an activity": _set("verb.id", "http://adlnet.gov/expapi/verbs/voided"),
    "platform with a StatementRef object": _set("object", {"objectType": "StatementRef",
                                                           "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"}),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_checker_rejects_broken_statements(name):
    statement = broken(BROKEN[name])
    assert problems(statement), f"{name} was accepted"


def test_checker_rejects_non_objects():
    assert problems([]) and problems("statement") and problems(None)


# ------------------------------------------------------------------ settings


def config(**values) -> dict:
    base = {"XAPI_ENDPOINT": "https://lrs.example.go.id/xapi", "XAPI_USERNAME": "lms",
            "XAPI_PASSWORD": "rahasia", "XAPI_TIMEOUT": 10, "XAPI_ACTOR": "account",
            "XAPI_BATCH_SIZE": 50, "XAPI_MAX_ATTEMPTS": 12, "XAPI_RETRY_SECONDS": 60,
            "XAPI_RETRY_MAX_SECONDS": 21600, "XAPI_CLAIM_SECONDS": 300,
            "BASE_URL": "https://lms.semarangkota.go.id"}
    return {**base, **values}


def test_settings_from_the_environment_are_coerced():
    settings = XapiSettings.from_config(config(XAPI_PASSWORD=123456, XAPI_TIMEOUT="2.5",
                                               XAPI_BATCH_SIZE="20", XAPI_ACTOR="MBOX"))
    assert (settings.password, settings.timeout, settings.batch_size, settings.actor) == ("123456", 2.5, 20, "mbox")
    assert settings.statements_url == "https://lrs.example.go.id/xapi/statements"
    assert XapiSettings.from_config(config(XAPI_ENDPOINT="https://lrs/xapi/")).statements_url == \
        "https://lrs/xapi/statements"


@pytest.mark.parametrize("values, message", [
    ({"XAPI_ENDPOINT": "lrs.example.go.id"}, "LMS_XAPI_ENDPOINT must be an http(s) URL"),
    ({"XAPI_ENDPOINT": "ftp://lrs.example.go.id"}, "LMS_XAPI_ENDPOINT must be an http(s) URL"),
    ({"XAPI_ENDPOINT": "https://lrs/xapi?key=1"}, "must not have a query"),
    ({"XAPI_ACTOR": "name"}, "LMS_XAPI_ACTOR must be one of account, nip, mbox"),
    ({"XAPI_TIMEOUT": 0}, "LMS_XAPI_TIMEOUT must be above 0"),
    ({"XAPI_TIMEOUT": "soon"}, "LMS_XAPI_TIMEOUT must be a number"),
    ({"XAPI_BATCH_SIZE": "many"}, "LMS_XAPI_BATCH_SIZE must be a whole number"),
    ({"XAPI_MAX_ATTEMPTS": -1}, "LMS_XAPI_MAX_ATTEMPTS must be above 0"),
    ({"XAPI_USERNAME": None}, "LMS_XAPI_PASSWORD is set but LMS_XAPI_USERNAME is empty"),
    ({"BASE_URL": "lms.local"}, "LMS_BASE_URL"),
    ({"XAPI_CLAIM_SECONDS": 5}, "LMS_XAPI_CLAIM_SECONDS must be longer than LMS_XAPI_TIMEOUT"),
])
def test_bad_settings_are_named(values, message):
    with pytest.raises(XapiConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        XapiSettings.from_config(config(**values))


def test_off_needs_no_endpoint_settings():
    settings = XapiSettings.from_config(config(XAPI_ENDPOINT="", XAPI_USERNAME=None, XAPI_PASSWORD=None,
                                               BASE_URL="whatever"))
    assert not settings.enabled


def test_the_app_refuses_to_start_with_bad_xapi_settings(tmp_path):
    with pytest.raises(StartupError, match="xAPI settings: LMS_XAPI_ACTOR must be one of"):
        create_app("testing", {"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
                               "XAPI_ENDPOINT": "https://lrs.example.go.id/xapi", "XAPI_ACTOR": "email"})
