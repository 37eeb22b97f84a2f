"""Quiz attempts through the pages: start, autosave, submit once, deadlines, grading, review."""
from __future__ import annotations

import csv as csv_module
import datetime as dt
import io
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.database import db
from lms.models import Attempt, AttemptQuestion, AttemptState, Enrollment
from lms.services import attempts

SINGLE = {"id": "agenda", "type": "single", "text": "Surat masuk dicatat di buku apa?",
          "options": [{"id": "a", "text": "Buku agenda", "fraction": 1, "feedback": "RAHASIA-BENAR"},
                      {"id": "b", "text": "Buku tamu", "fraction": 0, "feedback": "RAHASIA-SALAH"}]}
TRUEFALSE = {"id": "ttd", "type": "truefalse", "text": "TTE sah secara hukum.", "answer": True}
SHORT = {"id": "srikandi", "type": "short", "text": "Nama aplikasi e-office nasional?",
         "answers": [{"text": "SRIKANDI", "fraction": 1}]}
ESSAY = {"id": "refleksi", "type": "essay", "text": "Ceritakan penerapan e-office di unit Anda."}
QUESTIONS = [SINGLE, TRUEFALSE, SHORT]


@pytest.fixture
def quiz_course(lms_course):
    """A course with one lesson and a quiz of three questions (pass 70%)."""
    def make(slug="berkuis", questions=QUESTIONS, **quiz):
        return lms_course(slug, lessons=1, questions=questions, quiz=quiz)
    return make


@pytest.fixture
def learner(lms_auth, lms_user):
    user = lms_user()
    lms_auth.login(user)
    return user


def start(client, slug="berkuis") -> str:
    """Enrol if needed, start (or resume) the quiz; return the attempt page path."""
    if "/enrol" in client.get(f"/courses/{slug}").get_data(as_text=True):
        client.submit(f"/courses/{slug}/enrol", form_page=f"/courses/{slug}")
    response = client.submit(f"/learn/{slug}/quiz/kuis/start", form_page=f"/learn/{slug}/quiz/kuis")
    assert response.status_code == 302, response.status_code
    return response.location


def option_value(page: str, text: str) -> str:
    """The value the form sends for the option labelled `text` (random per attempt)."""
    match = re.search(r'<input[^>]*value="([^"]+)"[^>]*>\s*(?:<span[^>]*>)?\s*' + re.escape(text), page)
    assert match, f"no option {text!r}"
    return match.group(1)


def right_answers(client, path: str) -> dict:
    page = client.get(path).get_data(as_text=True)
    return {"q0": option_value(page, "Buku agenda"), "q1": "true", "q2": "  srikandi "}


def attempt_row(app, path: str) -> Attempt:
    with app.app_context():
        return db.session.scalar(select(Attempt).where(Attempt.uid == path.rsplit("/", 1)[-1]))


def move_clock(monkeypatch, minutes: float) -> None:
    """Pretend `minutes` have passed for the attempts service."""
    real = attempts.now
    monkeypatch.setattr(attempts, "now", lambda: real() + dt.timedelta(minutes=minutes))


# ------------------------------------------------------------------ taking a quiz


def test_attempt_page_never_contains_the_answers(lms_client, learner, quiz_course):
    quiz_course()
    page = lms_client.get(start(lms_client)).get_data(as_text=True)
    assert "Surat masuk dicatat di buku apa?" in page and "Buku agenda" in page
    for secret in ("RAHASIA-BENAR", "RAHASIA-SALAH", "fraction", "SRIKANDI", 'value="a"', 'value="b"'):
        assert secret not in page


def test_right_answers_pass_and_complete_the_course(lms_app, lms_client, learner, quiz_course, lms_events):
    course = quiz_course()
    lms_client.submit("/courses/berkuis/enrol", form_page="/courses/berkuis")
    lms_client.submit(f"/learn/berkuis/{course.lesson_keys[0]}/complete",
                      form_page=f"/learn/berkuis/{course.lesson_keys[0]}")
    with lms_app.app_context():
        assert db.session.scalar(select(Enrollment.completed_at)) is None  # the quiz is required
    path = start(lms_client)
    review = lms_client.submit(path + "/submit", right_answers(lms_client, path), form_page=path)
    assert review.location == path + "/review"
    page = lms_client.get(review.location).get_data(as_text=True)
    assert "100%" in page and "RAHASIA-BENAR" in page  # feedback shown after submitting
    row = attempt_row(lms_app, path)
    assert (row.state, row.score, row.passed, row.finished_by) == (AttemptState.GRADED, 100.0, True, "submitted")
    with lms_app.app_context():
        assert db.session.scalar(select(Enrollment.completed_at)) is not None
    assert lms_events.names()[-3:] == ["quiz_graded", "course_completed", "certificate_issued"]


def test_wrong_answers_fail_and_partial_scores_add_up(lms_app, lms_client, learner, quiz_course):
    quiz_course()
    path = start(lms_client)
    page = lms_client.get(path).get_data(as_text=True)
    lms_client.submit(path + "/submit", {"q0": option_value(page, "Buku tamu"), "q1": "true",
                                         "q2": "srikandi"}, form_page=path)
    row = attempt_row(lms_app, path)
    assert (round(row.score, 2), row.passed) == (66.67, False)


def test_one_open_attempt_per_learner_and_quiz(lms_app, lms_client, learner, quiz_course):
    quiz_course()
    first, second = start(lms_client), start(lms_client)
    assert first == second
    with lms_app.app_context():
        row = db.session.scalar(select(Attempt))
        twin = Attempt(uid="x" * 32, user_id=row.user_id, course_id=row.course_id, quiz_key=row.quiz_key,
                       quiz_id=row.quiz_id, number=2, started_at=row.started_at, seed=1)
        db.session.add(twin)
        with pytest.raises(IntegrityError):  # the database itself refuses a second open attempt
            db.session.commit()
        db.session.rollback()


def test_autosave_keeps_answers_across_a_reload(lms_app, lms_client, learner, quiz_course):
    quiz_course()
    path = start(lms_client)
    token = lms_client.csrf_token(path)
    saved = lms_client.post(path + "/save", data={"csrf_token": token, "q1": "false", "q2": "e-office"})
    assert saved.status_code == 200 and saved.json["saved"] == 3
    page = lms_client.get(path).get_data(as_text=True)
    assert 'value="e-office"' in page and re.search(r'value="false"[^>]*checked', page)


def test_double_submit_grades_exactly_once(lms_app, lms_client, learner, quiz_course, lms_events):
    quiz_course()
    path = start(lms_client)
    answers = right_answers(lms_client, path)
    token = lms_client.csrf_token(path)
    first = lms_client.post(path + "/submit", data={**answers, "csrf_token": token})
    replay = lms_client.post(path + "/submit", data={"q0": "x", "q1": "false", "csrf_token": token})
    assert first.location == replay.location == path + "/review"
    assert attempt_row(lms_app, path).score == 100.0  # the replay changed nothing
    assert lms_events.names().count("quiz_graded") == 1
    assert lms_client.post(path + "/save", data={"csrf_token": token, "q1": "false"}).status_code == 409


def test_late_submission_counts_only_answers_saved_in_time(lms_app, lms_client, learner, quiz_course,
                                                           monkeypatch):
    quiz_course(time_limit=10)
    path = start(lms_client)
    answers = right_answers(lms_client, path)
    token = lms_client.csrf_token(path)
    # The page autosaves its whole form, so each save carries every answer given so far.
    lms_client.post(path + "/save", data={"csrf_token": token, "q0": answers["q0"]})
    move_clock(monkeypatch, 10.5)  # inside the 60 s grace: still accepted
    in_grace = {"csrf_token": token, "q0": answers["q0"], "q1": "true"}
    assert lms_client.post(path + "/save", data=in_grace).status_code == 200
    move_clock(monkeypatch, 12)  # past deadline + grace
    assert lms_client.post(path + "/save", data={**in_grace, "q2": "srikandi"}).status_code == 409
    lms_client.post(path + "/submit", data={**answers, "csrf_token": token})
    row = attempt_row(lms_app, path)
    assert (row.finished_by, round(row.score, 2)) == ("expired", 66.67)  # q2 came too late


def test_overdue_attempts_are_closed_by_the_job(lms_app, lms_client, lms_runner, learner, quiz_course,
                                                 monkeypatch):
    quiz_course(time_limit=5)
    path = start(lms_client)
    token = lms_client.csrf_token(path)
    lms_client.post(path + "/save", data={"csrf_token": token, "q1": "true"})
    assert lms_runner.invoke(args=["lms", "close-overdue-attempts"]).output == "0 overdue attempt(s) closed\n"
    move_clock(monkeypatch, 7)
    assert lms_runner.invoke(args=["lms", "close-overdue-attempts"]).output == "1 overdue attempt(s) closed\n"
    row = attempt_row(lms_app, path)
    assert (row.state, row.finished_by, round(row.score, 2)) == (AttemptState.GRADED, "expired", 33.33)
    assert lms_client.get(path).location == path + "/review"


def test_attempt_limit_and_waiting_time(lms_client, learner, quiz_course, monkeypatch):
    quiz_course(attempts=2, delay=30)
    for expected in (True, False):
        path = start(lms_client)
        lms_client.submit(path + "/submit", {}, form_page=path)
        page = lms_client.get("/learn/berkuis/quiz/kuis").get_data(as_text=True)
        assert ("30 minutes" in page or "30 menit" in page) is expected
        move_clock(monkeypatch, 31)
    page = lms_client.get("/learn/berkuis/quiz/kuis").get_data(as_text=True)
    assert 'action="/learn/berkuis/quiz/kuis/start"' not in page
    refused = lms_client.post("/learn/berkuis/quiz/kuis/start",
                              data={"csrf_token": lms_client.csrf_token("/learn/berkuis/quiz/kuis")})
    assert refused.location == "/learn/berkuis/quiz/kuis"


@pytest.mark.parametrize("method, scores, counted", [
    ("highest", (100, 0), 100), ("last", (100, 0), 0), ("average", (100, 0), 50)])
def test_grading_method_decides_the_counted_score(lms_client, learner, quiz_course, method, scores, counted):
    quiz_course(grading=method)
    for score in scores:
        path = start(lms_client)
        answers = right_answers(lms_client, path) if score == 100 else {}
        lms_client.submit(path + "/submit", answers, form_page=path)
    page = lms_client.get("/learn/berkuis/quiz/kuis").get_data(as_text=True)
    assert f"<strong>{counted}%</strong>" in page


def test_random_draw_and_shuffle(lms_app, lms_client, learner, lms_course):
    bank = [{"id": f"soal-{n}", "type": "truefalse", "text": f"Pernyataan {n}", "answer": True} for n in range(12)]
    lms_course("acak", lessons=1, questions=bank, quiz={"draw": 4, "shuffle": True})
    drawn = set()
    for _ in range(6):
        path = start(lms_client, "acak")
        with lms_app.app_context():
            keys = db.session.scalars(select(AttemptQuestion.question_key).join(Attempt)
                                      .where(Attempt.uid == path.rsplit("/", 1)[-1])).all()
        assert len(keys) == len(set(keys)) == 4
        drawn.update(keys)
        lms_client.submit(path + "/submit", {}, form_page=path)
    assert len(drawn) > 4  # different attempts draw different questions


def test_another_learner_cannot_see_or_submit_my_attempt(lms_app, lms_client, lms_auth, lms_user, learner,
                                                         quiz_course):
    quiz_course()
    path = start(lms_client)
    lms_auth.logout()
    lms_auth.login(lms_user())
    lms_client.submit("/courses/berkuis/enrol", form_page="/courses/berkuis")
    token = lms_client.csrf_token("/courses/berkuis")
    for url in (path, path + "/review"):
        assert lms_client.get(url).status_code == 404
    for url in (path + "/save", path + "/submit"):
        assert lms_client.post(url, data={"csrf_token": token, "q1": "true"}).status_code == 404
    assert attempt_row(lms_app, path).state == AttemptState.OPEN


def test_quiz_pages_need_an_enrolment(lms_client, learner, quiz_course):
    quiz_course()
    assert lms_client.get("/learn/berkuis/quiz/kuis").status_code == 403
    assert lms_client.get("/learn/berkuis/quiz/tidak-ada").status_code in (403, 404)


def test_review_options_hide_answers(lms_client, learner, quiz_course):
    quiz_course(review=["score"])
    path = start(lms_client)
    lms_client.submit(path + "/submit", {}, form_page=path)
    page = lms_client.get(path + "/review").get_data(as_text=True)
    assert "0%" in page and "Buku agenda" not in page and "RAHASIA" not in page


# ------------------------------------------------------------------ essays and authors


def test_essay_waits_for_an_author_then_counts(lms_app, lms_client, lms_auth, lms_user, quiz_course, lms_events):
    course = quiz_course(questions=[SINGLE, ESSAY])
    author = lms_user("author")
    with lms_app.app_context():
        from lms.models import Course, User
        from lms.services import authoring
        authoring.add_author(db.session.get(Course, course.id), db.session.get(User, author.id))
    learner = lms_user()
    lms_auth.login(learner)
    path = start(lms_client)
    answers = right_answers(lms_client, path)
    lms_client.submit(path + "/submit", {"q0": answers["q0"], "q1": "Kami memakai SRIKANDI."}, form_page=path)
    assert attempt_row(lms_app, path).state == AttemptState.NEEDS_GRADING
    assert "quiz_graded" not in lms_events.names()
    lms_auth.logout()
    lms_auth.login(author)
    uid = path.rsplit("/", 1)[-1]
    form = f"/author/attempts/{uid}/questions/1/grade"
    assert "Kami memakai SRIKANDI." in lms_client.get(form).get_data(as_text=True)
    assert lms_client.submit(form, {"percent": "150"}).status_code == 400
    lms_client.submit(form, {"percent": "50", "feedback": "Tambahkan contoh."})
    row = attempt_row(lms_app, path)
    assert (row.state, row.score) == (AttemptState.GRADED, 75.0)
    assert lms_events.names().count("quiz_graded") == 1


@pytest.mark.parametrize("role, status", [("learner", 403), ("author", 404), ("admin", 200)])
def test_author_pages_are_for_the_course_authors(lms_client, lms_auth, lms_user, quiz_course, role, status):
    quiz_course()
    lms_auth.login(lms_user(role))
    assert lms_client.get("/author/courses/berkuis/quizzes/kuis").status_code == status
    assert lms_client.get("/author/courses/berkuis/quizzes/kuis/attempts.csv").status_code == status


def test_statistics_and_csv(lms_app, lms_client, lms_auth, lms_user, quiz_course):
    quiz_course()
    for n in range(4):
        lms_auth.login(lms_user(name=f"=HYPERLINK(\"x\") {n}"))
        path = start(lms_client)
        answers = right_answers(lms_client, path)
        lms_client.submit(path + "/submit", answers if n % 2 else {"q1": "true"}, form_page=path)
        lms_auth.logout()
    lms_auth.login(lms_user("admin"))
    page = lms_client.get("/author/courses/berkuis/quizzes/kuis").get_data(as_text=True)
    assert "Surat masuk dicatat di buku apa?" in page and "50%" in page and "100%" in page
    csv = lms_client.get("/author/courses/berkuis/quizzes/kuis/attempts.csv").get_data(as_text=True)
    rows = list(csv_module.reader(io.StringIO(csv)))
    assert len(rows) == 5 and rows[0][:4] == ["attempt", "name", "nip", "email"]
    assert all(row[1].startswith("'=HYPERLINK") for row in rows[1:])  # formulas neutralised
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 4
