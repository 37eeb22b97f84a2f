"""API quiz attempts: list, start, read (no answer leaks), save, submit, review options, roles."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from api_schema import bearer, call, checked
from lms.database import db
from lms.models import Course, User
from lms.services import attempts, enrollment, tokens

SINGLE = {"id": "pilih", "type": "single", "text": "Surat masuk dicatat di buku apa?",
          "feedback": "UMUM-RAHASIA",
          "options": [{"id": "a", "text": "Buku agenda", "fraction": 1, "feedback": "FB-SINGLE-BENAR"},
                      {"id": "b", "text": "Buku tamu", "fraction": 0, "feedback": "FB-SINGLE-SALAH"}]}
MULTIPLE = {"id": "banyak", "type": "multiple", "text": "Mana yang naskah dinas?",
            "options": [{"id": "a", "text": "Nota dinas", "fraction": 0.5, "feedback": "FB-MULTI-A"},
                        {"id": "b", "text": "Surat edaran", "fraction": 0.5},
                        {"id": "c", "text": "Memo pribadi", "fraction": -1, "feedback": "FB-MULTI-C"}]}
TRUEFALSE = {"id": "benar", "type": "truefalse", "text": "TTE sah secara hukum.", "answer": True,
             "feedback_true": "FB-TF-TRUE", "feedback_false": "FB-TF-FALSE"}
SHORT = {"id": "singkat", "type": "short", "text": "Nama aplikasi e-office nasional?",
         "answers": [{"text": "SRIKANDIQ", "fraction": 1, "feedback": "FB-SHORT"}]}
NUMERICAL = {"id": "angka", "type": "numerical", "text": "Berapa hari kerja seminggu?",
             "answers": [{"value": 31415, "tolerance": 0.5, "fraction": 1, "feedback": "FB-NUM"}]}
MATCHING = {"id": "pasang", "type": "matching", "text": "Pasangkan.",
            "pairs": [{"left": "Disposisi", "right": "Instruksi atasan"},
                      {"left": "Agenda", "right": "Pencatatan surat"},
                      {"left": "Arsip", "right": "Penyimpanan dokumen"}]}
ORDERING = {"id": "urut", "type": "ordering", "text": "Urutkan langkahnya.",
            "items": ["Tulis konsep", "Periksa atasan", "Kirim surat"]}
ESSAY = {"id": "esai", "type": "essay", "text": "Ceritakan.", "rubric": "RUBRIK-RAHASIA", "min_words": 5}
GRADED = [SINGLE, MULTIPLE, TRUEFALSE, SHORT, NUMERICAL, MATCHING, ORDERING]
ALL = [*GRADED, ESSAY]
#: What the API takes as the right answer of each graded question (option ids are looked up).
RIGHT = {"benar": True, "singkat": " srikandiq ", "angka": "31415,2",
         "pasang": {"0": "Instruksi atasan", "1": "Pencatatan surat", "2": "Penyimpanan dokumen"},
         "urut": ["Tulis konsep", "Periksa atasan", "Kirim surat"]}
LIST = "/courses/{slug}/quizzes/{key}/attempts"


# ----------------------------------------------------------------------- helpers




def make_token(app, user_id: int, write: bool = True) -> str:
    with app.app_context():
        return tokens.create(db.session.get(User, user_id), name="uji", write=write, days=7)[1]


def enrol(app, user_id: int, slug: str) -> None:
    with app.app_context():
        course = db.session.scalar(db.select(Course).where(Course.slug == slug))
        enrollment.enroll_self(db.session.get(User, user_id), course)


def move_clock(monkeypatch, minutes: float) -> None:
    real = attempts.now
    monkeypatch.setattr(attempts, "now", lambda: real() + dt.timedelta(minutes=minutes))


@pytest.fixture
def quiz_course(lms_course):
    def make(slug="berkuis", questions=ALL, **quiz):
        return lms_course(slug, lessons=1, questions=questions, quiz=quiz)
    return make


@pytest.fixture
def learner(lms_app, lms_user):
    """An enrolled learner's read-write token, once a course is made: call with the slug."""
    user = lms_user()

    def make(slug="berkuis", write=True):
        enrol(lms_app, user.id, slug)
        return make_token(lms_app, user.id, write)
    make.user = user
    return make


def start(app, client, secret, slug="berkuis") -> dict:
    return call(app, client, "POST", f"/api/v1/courses/{slug}/quizzes/kuis/attempts", LIST, 201,
                secret=secret)


def right_answers(attempt: dict) -> dict:
    """{question key: the right answer}, option ids read from the attempt by their texts."""
    options = {q["key"]: {o["text"]: o["id"] for o in q["options"] or []} for q in attempt["questions"]}
    answers = dict(RIGHT)
    if "pilih" in options:
        answers["pilih"] = options["pilih"]["Buku agenda"]
    if "banyak" in options:
        answers["banyak"] = [options["banyak"]["Nota dinas"], options["banyak"]["Surat edaran"]]
    return {k: v for k, v in answers.items() if k in options}


# ----------------------------------------------------------------------- auth


@pytest.mark.parametrize("method,url,template", [
    ("GET", "/api/v1/courses/berkuis/quizzes/kuis/attempts", LIST),
    ("POST", "/api/v1/courses/berkuis/quizzes/kuis/attempts", LIST),
    ("GET", "/api/v1/attempts/abc", "/attempts/{uid}"),
    ("PUT", "/api/v1/attempts/abc/responses", "/attempts/{uid}/responses"),
    ("POST", "/api/v1/attempts/abc/submit", "/attempts/{uid}/submit"),
])
def test_anonymous_callers_get_401(lms_app, lms_client, quiz_course, method, url, template):
    quiz_course()
    data = call(lms_app, lms_client, method, url, template, 401,
                body={"responses": {}} if method != "GET" else None)
    assert data["error"]["code"] == "unauthenticated"


def test_quiz_needs_enrolment_and_existence(lms_app, lms_client, lms_user, quiz_course):
    quiz_course()
    secret = make_token(lms_app, lms_user().id)
    for method in ("GET", "POST"):
        data = call(lms_app, lms_client, method, "/api/v1/courses/berkuis/quizzes/kuis/attempts", LIST,
                    403, secret=secret)
        assert data["error"]["code"] == "not_enrolled"
    for url in ("/api/v1/courses/nope/quizzes/kuis/attempts", "/api/v1/courses/berkuis/quizzes/nope/attempts"):
        assert call(lms_app, lms_client, "GET", url, LIST, 404, secret=secret)["error"]["code"] == "not_found"


def test_read_only_token_cannot_start_save_or_submit(lms_app, lms_client, quiz_course, learner):
    quiz_course()
    uid = start(lms_app, lms_client, learner())["uid"]
    reader = make_token(lms_app, learner.user.id, write=False)
    for method, url, template in (("POST", "/api/v1/courses/berkuis/quizzes/kuis/attempts", LIST),
                                  ("PUT", f"/api/v1/attempts/{uid}/responses", "/attempts/{uid}/responses"),
                                  ("POST", f"/api/v1/attempts/{uid}/submit", "/attempts/{uid}/submit")):
        data = call(lms_app, lms_client, method, url, template, 403, secret=reader, body={"responses": {}})
        assert data["error"]["code"] == "insufficient_scope"
    call(lms_app, lms_client, "GET", f"/api/v1/attempts/{uid}", "/attempts/{uid}", 200, secret=reader)


def test_session_writes_need_the_csrf_header(lms_app, lms_client, lms_auth, lms_user, quiz_course):
    quiz_course()
    user = lms_user()
    enrol(lms_app, user.id, "berkuis")
    lms_auth.login(user)
    url = "/api/v1/courses/berkuis/quizzes/kuis/attempts"
    assert call(lms_app, lms_client, "POST", url, LIST, 403)["error"]["code"] == "csrf_failed"
    token = lms_client.csrf_token("/")
    attempt = call(lms_app, lms_client, "POST", url, LIST, 201, headers={"X-CSRFToken": token})
    call(lms_app, lms_client, "GET", f"/api/v1/attempts/{attempt['uid']}", "/attempts/{uid}", 200)


def test_someone_elses_attempt_is_404_even_for_an_admin(lms_app, lms_client, lms_user, quiz_course, learner):
    quiz_course()
    uid = start(lms_app, lms_client, learner())["uid"]
    for role in ("learner", "author", "admin"):
        other = lms_user(role)
        enrol(lms_app, other.id, "berkuis")
        secret = make_token(lms_app, other.id)
        for method, url, template in (("GET", f"/api/v1/attempts/{uid}", "/attempts/{uid}"),
                                      ("PUT", f"/api/v1/attempts/{uid}/responses", "/attempts/{uid}/responses"),
                                      ("POST", f"/api/v1/attempts/{uid}/submit", "/attempts/{uid}/submit")):
            data = call(lms_app, lms_client, method, url, template, 404, secret=secret,
                        body=None if method == "GET" else {"responses": {}})
            assert data["error"]["code"] == "not_found"


@pytest.mark.parametrize("role", ["author", "unit_admin", "admin"])
def test_every_role_takes_quizzes_like_a_learner(lms_app, lms_client, lms_user, quiz_course, role):
    quiz_course(questions=[SINGLE])
    user = lms_user(role)
    enrol(lms_app, user.id, "berkuis")
    secret = make_token(lms_app, user.id)
    attempt = start(lms_app, lms_client, secret)
    done = call(lms_app, lms_client, "POST", f"/api/v1/attempts/{attempt['uid']}/submit",
                "/attempts/{uid}/submit", 200, secret=secret, body={"responses": right_answers(attempt)})
    assert (done["state"], done["score"], done["passed"]) == ("graded", 100.0, True)


# ----------------------------------------------------------------------- no leaks


def _strings(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif value is not None:
        yield str(value)


@pytest.mark.parametrize("shuffle", [True, False])
def test_an_open_attempt_never_gives_an_answer_away(lms_app, lms_client, quiz_course, learner, shuffle):
    quiz_course(shuffle_options=shuffle)
    secret = learner()
    attempt = start(lms_app, lms_client, secret)
    for data in (attempt, call(lms_app, lms_client, "GET", f"/api/v1/attempts/{attempt['uid']}",
                               "/attempts/{uid}", 200, secret=secret)):
        text = json.dumps(data, ensure_ascii=False)
        for secret_text in ("FB-", "UMUM-RAHASIA", "RUBRIK-RAHASIA", "SRIKANDIQ", "31415", "fraction",
                            "rubric", "pairs", "\"answer\"", "tolerance"):
            assert secret_text not in text, secret_text
        assert "Buku agenda" in text and "Disposisi" in text  # the learner-facing texts are there
        questions = {q["key"]: q for q in data["questions"]}
        assert {o["id"] for o in questions["pilih"]["options"]}.isdisjoint({"a", "b"})
        assert {o["id"] for o in questions["banyak"]["options"]}.isdisjoint({"a", "b", "c"})
        if not shuffle:  # sorted, not the author's (answer) order; shuffled, any order may come up
            assert questions["urut"]["items"] == sorted(ORDERING["items"]) != ORDERING["items"]
        assert sorted(questions["urut"]["items"]) == sorted(ORDERING["items"])
        assert questions["esai"]["min_words"] == 5
        for q in data["questions"]:
            assert (q["awarded"], q["feedback"], q["right_answer"], q["response"]) == (None,) * 4
            assert q["inputs_html"] and "RAHASIA" not in q["inputs_html"]
        assert data["score"] is None and data["points"] is None and data["state"] == "open"


def test_option_order_matches_the_attempt_page(lms_app, lms_client, lms_auth, quiz_course, learner):
    quiz_course()
    secret = learner()
    attempt = start(lms_app, lms_client, secret)
    lms_auth.login(learner.user)
    page = lms_client.get(f"/learn/attempts/{attempt['uid']}").get_data(as_text=True)
    for q in attempt["questions"]:
        for field in ("options", "rights", "items"):
            shown = [o["text"] if isinstance(o, dict) else o for o in q[field] or []]
            positions = [page.index(text) for text in shown]
            assert positions == sorted(positions), (q["key"], field)


# ----------------------------------------------------------------------- taking a quiz


def test_start_list_resume_and_etag(lms_app, lms_client, quiz_course, learner):
    quiz_course(time_limit=10, attempts=3)
    secret = learner()
    url = "/api/v1/courses/berkuis/quizzes/kuis/attempts"
    before = call(lms_app, lms_client, "GET", url, LIST, 200, secret=secret)
    assert (before["attempts"], before["can_start"], before["open_attempt"]) == ([], True, None)
    assert before["quiz"]["max_attempts"] == 3 and before["quiz"]["time_limit"] == 10
    first = start(lms_app, lms_client, secret)
    assert first["state"] == "open" and first["number"] == 1 and 590 <= first["seconds_left"] <= 600
    assert [q["key"] for q in first["questions"]] == [q["id"] for q in ALL]
    assert start(lms_app, lms_client, secret)["uid"] == first["uid"]  # never two open attempts
    listed = call(lms_app, lms_client, "GET", url, LIST, 200, secret=secret)
    assert listed["open_attempt"] == first["uid"] and [a["uid"] for a in listed["attempts"]] == [first["uid"]]
    assert listed["attempts"][0]["url"].endswith(f"/api/v1/attempts/{first['uid']}")
    response = lms_client.get(url, headers=bearer(secret))
    assert response.headers["ETag"]
    again = lms_client.get(url, headers={**bearer(secret), "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    checked(lms_app, again, LIST)
    one = lms_client.get(f"/api/v1/attempts/{first['uid']}", headers=bearer(secret))
    etag = one.headers["ETag"]
    assert lms_client.get(f"/api/v1/attempts/{first['uid']}",
                          headers={**bearer(secret), "If-None-Match": etag}).status_code in (200, 304)


def test_save_reads_every_core_type_and_shows_it_back(lms_app, lms_client, quiz_course, learner):
    quiz_course()
    secret = learner()
    attempt = start(lms_app, lms_client, secret)
    answers = {**right_answers(attempt), "esai": "Saya menerapkan e-office setiap hari."}
    answers["0"] = answers.pop("pilih")  # by slot works as well as by key
    saved = call(lms_app, lms_client, "PUT", f"/api/v1/attempts/{attempt['uid']}/responses",
                 "/attempts/{uid}/responses", 200, secret=secret, body={"responses": answers})
    assert saved["saved"] == len(ALL) and saved["seconds_left"] is None
    data = call(lms_app, lms_client, "GET", f"/api/v1/attempts/{attempt['uid']}", "/attempts/{uid}", 200,
                secret=secret)
    shown = {q["key"]: q["response"] for q in data["questions"]}
    assert shown["urut"] == ORDERING["items"] and shown["pasang"] == RIGHT["pasang"]
    assert shown["benar"] is True and shown["singkat"] == "srikandiq" and shown["angka"] == 31415.2
    assert shown["pilih"] == answers["0"] and sorted(shown["banyak"]) == sorted(answers["banyak"])
    assert all(q["saved_at"] for q in data["questions"])
    cleared = call(lms_app, lms_client, "PUT", f"/api/v1/attempts/{attempt['uid']}/responses",
                   "/attempts/{uid}/responses", 200, secret=secret, body={"responses": {"benar": None}})
    assert cleared["saved"] == 1


def test_answers_that_do_not_fit_are_409_with_a_detail_each(lms_app, lms_client, quiz_course, learner):
    quiz_course()
    secret = learner()
    uid = start(lms_app, lms_client, secret)["uid"]
    url, template = f"/api/v1/attempts/{uid}/responses", "/attempts/{uid}/responses"
    data = call(lms_app, lms_client, "PUT", url, template, 409, secret=secret, body={"responses": {
        "nope": "x", "99": "x", "pilih": "a", "banyak": "not a list", "benar": "true",
        "angka": "tiga", "pasang": {"0": "Bukan pilihan"}, "urut": ["Tulis konsep", "Tulis konsep"],
        "singkat": 5}})
    assert data["error"]["code"] == "invalid_answers"  # the body fits its schema: 409, not 422
    assert set(data["error"]["details"]) == {f"responses.{k}" for k in (
        "nope", "99", "pilih", "banyak", "benar", "angka", "pasang", "urut", "singkat")}
    submit = call(lms_app, lms_client, "POST", f"/api/v1/attempts/{uid}/submit", "/attempts/{uid}/submit", 409,
                  secret=secret, body={"responses": {"pilih": "a"}})
    assert submit["error"]["details"] == {"responses.pilih": "Not a valid answer to this question."}
    assert call(lms_app, lms_client, "PUT", url, template, 422, secret=secret,
                body={"responses": {}, "extra": 1})["error"]["details"]
    assert call(lms_app, lms_client, "PUT", url, template, 422, secret=secret,
                body={"answers": {}})["error"]["code"] == "validation_failed"
    response = lms_client.put(url, data="{", headers={**bearer(secret), "Content-Type": "application/json"})
    assert response.status_code == 400 and checked(lms_app, response, template)["error"]["code"] == "invalid_json"
    response = lms_client.put(url, data="x=1", headers=bearer(secret))
    assert response.status_code == 400 and checked(lms_app, response, template)["error"]["code"] == "json_required"
    # nothing was stored (nor graded) by the refused requests
    data = call(lms_app, lms_client, "GET", f"/api/v1/attempts/{uid}", "/attempts/{uid}", 200, secret=secret)
    assert all(q["response"] is None for q in data["questions"]) and data["state"] == "open"


def test_submit_grades_once_and_shows_the_review(lms_app, lms_client, quiz_course, learner):
    quiz_course(questions=GRADED)
    secret = learner()
    attempt = start(lms_app, lms_client, secret)
    url, template = f"/api/v1/attempts/{attempt['uid']}/submit", "/attempts/{uid}/submit"
    done = call(lms_app, lms_client, "POST", url, template, 200, secret=secret,
                body={"responses": right_answers(attempt)})
    assert (done["state"], done["score"], done["passed"], done["finished_by"]) == ("graded", 100.0, True, "submitted")
    assert done["points"] == done["max_points"] == len(GRADED) and done["seconds_left"] is None
    questions = {q["key"]: q for q in done["questions"]}
    assert questions["pilih"]["feedback"] == "FB-SINGLE-BENAR\nUMUM-RAHASIA"
    assert questions["pilih"]["right_answer"] == "Buku agenda" and questions["pilih"]["awarded"] == 1
    assert all(q["inputs_html"] is None for q in done["questions"])
    again = call(lms_app, lms_client, "POST", url, template, 200, secret=secret, body={"responses": {}})
    assert (again["uid"], again["score"], again["submitted_at"]) == (done["uid"], 100.0, done["submitted_at"])
    closed = call(lms_app, lms_client, "PUT", f"/api/v1/attempts/{attempt['uid']}/responses",
                  "/attempts/{uid}/responses", 409, secret=secret, body={"responses": {"benar": False}})
    assert closed["error"]["code"] == "attempt_closed"
    listed = call(lms_app, lms_client, "GET", "/api/v1/courses/berkuis/quizzes/kuis/attempts", LIST, 200,
                  secret=secret)
    assert listed["attempts"][0]["score"] == 100.0 and listed["can_start"] is True


def test_wrong_answers_and_an_essay_waiting_for_a_person(lms_app, lms_client, quiz_course, learner):
    quiz_course()
    secret = learner()
    attempt = start(lms_app, lms_client, secret)
    done = call(lms_app, lms_client, "POST", f"/api/v1/attempts/{attempt['uid']}/submit",
                "/attempts/{uid}/submit", 200, secret=secret,
                body={"responses": {"benar": False, "esai": "Jawaban panjang saya di sini."}})
    assert (done["state"], done["score"], done["passed"]) == ("needs_grading", None, None)
    questions = {q["key"]: q for q in done["questions"]}
    assert questions["benar"]["awarded"] == 0 and questions["benar"]["feedback"] == "FB-TF-FALSE"
    assert questions["esai"]["awarded"] is None and questions["esai"]["right_answer"] is None


@pytest.mark.parametrize("review", [[], ["score"], ["answers"]])
def test_review_options_limit_what_a_finished_attempt_shows(lms_app, lms_client, quiz_course, learner, review):
    quiz_course(questions=[SINGLE, TRUEFALSE], review=review)
    secret = learner()
    attempt = start(lms_app, lms_client, secret)
    done = call(lms_app, lms_client, "POST", f"/api/v1/attempts/{attempt['uid']}/submit",
                "/attempts/{uid}/submit", 200, secret=secret, body={"responses": right_answers(attempt)})
    assert done["quiz"]["review"] == review
    scored = "score" in review
    assert (done["score"], done["passed"], done["points"]) == ((100.0, True, 2.0) if scored else (None,) * 3)
    text = json.dumps(done["questions"])
    assert "FB-" not in text and "UMUM-RAHASIA" not in text  # no feedback without "feedback"
    for q in done["questions"]:
        assert q["feedback"] is None
        assert (q["right_answer"] is not None) == ("answers" in review)
        assert (q["awarded"] is not None) == ("answers" in review)
    listed = call(lms_app, lms_client, "GET", "/api/v1/courses/berkuis/quizzes/kuis/attempts", LIST, 200,
                  secret=secret)
    assert listed["attempts"][0]["score"] == (100.0 if scored else None)


def test_attempt_limit_and_delay_refuse_with_409(lms_app, lms_client, quiz_course, learner, monkeypatch):
    quiz_course(questions=[TRUEFALSE], attempts=2, delay=30)
    secret = learner()
    url = "/api/v1/courses/berkuis/quizzes/kuis/attempts"
    first = start(lms_app, lms_client, secret)
    call(lms_app, lms_client, "POST", f"/api/v1/attempts/{first['uid']}/submit", "/attempts/{uid}/submit",
         200, secret=secret, body={})
    listed = call(lms_app, lms_client, "GET", url, LIST, 200, secret=secret)
    assert listed["can_start"] is False and "30" in listed["refusal"]
    refused = call(lms_app, lms_client, "POST", url, LIST, 409, secret=secret)
    assert refused["error"]["code"] == "attempt_refused" and refused["error"]["message"] == listed["refusal"]
    move_clock(monkeypatch, 31)
    second = start(lms_app, lms_client, secret)
    call(lms_app, lms_client, "POST", f"/api/v1/attempts/{second['uid']}/submit", "/attempts/{uid}/submit",
         200, secret=secret, body={})
    move_clock(monkeypatch, 31)
    refused = call(lms_app, lms_client, "POST", url, LIST, 409, secret=secret)
    assert refused["error"]["code"] == "attempt_refused"
    assert call(lms_app, lms_client, "GET", url, LIST, 200, secret=secret)["refusal"] == refused["error"]["message"]


def test_deadline_closes_saving_and_a_late_submit_keeps_what_was_saved(lms_app, lms_client, quiz_course,
                                                                        learner, monkeypatch):
    quiz_course(questions=[TRUEFALSE, SHORT], time_limit=5)
    secret = learner()
    uid = start(lms_app, lms_client, secret)["uid"]
    call(lms_app, lms_client, "PUT", f"/api/v1/attempts/{uid}/responses", "/attempts/{uid}/responses", 200,
         secret=secret, body={"responses": {"benar": True}})
    move_clock(monkeypatch, 30)
    data = call(lms_app, lms_client, "GET", f"/api/v1/attempts/{uid}", "/attempts/{uid}", 200, secret=secret)
    assert data["seconds_left"] == 0
    closed = call(lms_app, lms_client, "PUT", f"/api/v1/attempts/{uid}/responses", "/attempts/{uid}/responses",
                  409, secret=secret, body={"responses": {"singkat": "srikandiq", "nope": 1}})
    assert closed["error"]["code"] == "attempt_closed"  # closed, whatever the answers
    done = call(lms_app, lms_client, "POST", f"/api/v1/attempts/{uid}/submit", "/attempts/{uid}/submit", 200,
                secret=secret, body={"responses": {"singkat": "srikandiq", "nope": 1}})  # ignored: late
    assert (done["finished_by"], done["score"]) == ("expired", 50.0)


def test_listing_attempts_costs_the_same_for_one_or_many(lms_app, lms_client, quiz_course, learner, lms_queries):
    quiz_course(questions=[TRUEFALSE])
    secret = learner()
    url = "/api/v1/courses/berkuis/quizzes/kuis/attempts"

    def finish_one():
        uid = start(lms_app, lms_client, secret)["uid"]
        call(lms_app, lms_client, "POST", f"/api/v1/attempts/{uid}/submit", "/attempts/{uid}/submit", 200,
             secret=secret, body={})

    def cost() -> int:
        with lms_queries() as counter:
            call(lms_app, lms_client, "GET", url, LIST, 200, secret=secret)
        return counter.count

    finish_one()
    one = cost()
    for _ in range(4):
        finish_one()
    assert cost() == one


def test_reading_an_attempt_costs_the_same_whatever_its_length(lms_app, lms_client, lms_user, lms_course,
                                                               lms_queries):
    costs = []
    for slug, questions in (("pendek", [SINGLE]), ("panjang", GRADED)):
        lms_course(slug, lessons=1, questions=questions)
        user = lms_user()
        enrol(lms_app, user.id, slug)
        secret = make_token(lms_app, user.id)
        uid = start(lms_app, lms_client, secret, slug)["uid"]
        with lms_queries() as counter:
            call(lms_app, lms_client, "GET", f"/api/v1/attempts/{uid}", "/attempts/{uid}", 200, secret=secret)
        costs.append(counter.count)
    assert costs[0] == costs[1]
