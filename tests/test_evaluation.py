"""Post-training evaluation: the end-of-course form, anonymity, the author's form editor, the
follow-up job (learner and supervisor, exactly once), results per course and unit, exports,
and who may see what (docs/evaluation.md).

World: units PEMKOT > DISDIK, PEMKOT > DINKES; course "evaluasi" (one lesson) of `penulis`;
`atasan` (DISDIK) supervises `ani` (DISDIK); `budi` is in DINKES; unit admins of both units.
"""
from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from lms.database import db
from lms.models import (Enrollment, EvaluationForm, EvaluationKind, EvaluationRequest,
                        EvaluationResponse, Notification, User)
from lms.reports import xlsx
from lms.services import evaluation

SLUG = "evaluasi"
FORM = f"/evaluation/courses/{SLUG}"
SETUP = f"/author/courses/{SLUG}/evaluation"
RESULTS = f"{SETUP}/results"
ADMIN_RESULTS = f"/admin/reports/evaluations/{SLUG}"
GOOD = {"q-relevance": "5", "q-clarity": "4", "q-quality": "4", "q-usefulness": "5", "q-overall": "5",
        "q-best": "Contoh praktik naskah dinas", "q-improve": "=HYPERLINK(\"http://x\")"}


@pytest.fixture
def world(lms_app, lms_user, lms_course, units):
    course = lms_course(SLUG, title="Pelatihan Evaluasi", lessons=1)
    people = SimpleNamespace(
        course=course,
        atasan=lms_user(name="Atasan Langsung", unit=units.disdik),
        ani=lms_user(name="Ani Wulandari", unit=units.disdik),
        budi=lms_user(name="Budi Santoso", unit=units.dinkes),
        citra=lms_user(name="Citra Lestari", unit=units.dinkes),
        dedi=lms_user(name="Dedi Kurnia", unit=units.dinkes),
        penulis=lms_user("author", name="Penulis Kursus"),
        lain=lms_user("author", name="Penulis Lain"),
        admin=lms_user("admin", name="Admin Pusat"),
        ua_disdik=lms_user("unit_admin", name="Admin Disdik", unit=units.disdik),
        ua_dinkes=lms_user("unit_admin", name="Admin Dinkes", unit=units.dinkes),
        units=units)
    with lms_app.app_context():
        from lms.models import Course
        from lms.services import authoring

        db.session.get(User, people.ani.id).supervisor_id = people.atasan.id
        db.session.commit()
        authoring.add_author(db.session.get(Course, course.id), db.session.get(User, people.penulis.id))
    return people


def complete(client, auth, user) -> None:
    """Sign `user` in, enrol in the course and complete its lesson (through the pages)."""
    auth.logout()
    auth.login(user)
    client.submit(f"/courses/{SLUG}/enrol", form_page=f"/courses/{SLUG}")
    client.submit(f"/learn/{SLUG}/pelajaran-1/complete", form_page=f"/learn/{SLUG}/pelajaran-1")


def answer(client, data=GOOD, url=FORM):
    return client.submit(url, data, form_page=url)


def as_user(client, auth, user):
    auth.logout()
    auth.login(user)
    return client


def set_anonymous(app, course_id: int, anonymous: bool = True) -> None:
    with app.app_context():
        from lms.models import Course

        evaluation.update_settings(db.session.get(Course, course_id), enabled=True, anonymous=anonymous,
                                   followup_weeks=None)


def age_completions(app, weeks: float) -> None:
    """Move every completion `weeks` into the past."""
    with app.app_context():
        when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(weeks=weeks)
        for enrollment in db.session.scalars(select(Enrollment).where(Enrollment.completed_at.is_not(None))):
            enrollment.completed_at = when
        db.session.commit()


# ------------------------------------------------------------------ end-of-course form


def test_completion_puts_the_form_on_the_dashboard_and_it_is_answered_once(lms_app, lms_client, lms_auth, world):
    complete(lms_client, lms_auth, world.ani)
    me = lms_client.get("/me").get_data(as_text=True)
    assert "Surveys to answer" in me or "Survei" in me
    assert FORM in me
    assert FORM in lms_client.get(f"/courses/{SLUG}").get_data(as_text=True)
    page = lms_client.get(FORM).get_data(as_text=True)
    assert 'name="q-relevance"' in page and 'name="q-best"' in page
    response = answer(lms_client)
    assert response.status_code == 302 and response.location == "/me"
    assert FORM not in lms_client.get("/me").get_data(as_text=True)
    again = answer(lms_client)  # a second tab, a double click
    assert again.status_code == 302
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EvaluationResponse)) == 1
        response = db.session.scalar(select(EvaluationResponse))
        assert not response.anonymous and response.request_id is not None and response.submitted_at
        request = db.session.get(EvaluationRequest, response.request_id)
        assert request.respondent_id == world.ani.id and request.responded
        assert {a.question_key: (a.value, a.text) for a in response.answers}["relevance"] == (5, None)
    assert "already" in lms_client.get(FORM).get_data(as_text=True) or "sudah" in lms_client.get(FORM).get_data(as_text=True)


def test_the_form_opens_only_after_completion_and_checks_each_answer(lms_app, lms_client, lms_auth, world):
    lms_auth.login(world.budi)
    lms_client.submit(f"/courses/{SLUG}/enrol", form_page=f"/courses/{SLUG}")
    assert lms_client.get(FORM).status_code == 200
    assert answer(lms_client).status_code == 403  # enrolled, not completed
    complete(lms_client, lms_auth, world.budi)
    bad = dict(GOOD, **{"q-relevance": "9", "q-clarity": ""})
    response = answer(lms_client, bad)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert page.count('class="error"') == 2 and "Contoh praktik naskah dinas" in page  # kept
    long = dict(GOOD, **{"q-best": "x" * 4001})
    assert answer(lms_client, long).status_code == 400
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EvaluationResponse)) == 0
    optional_left_out = {k: v for k, v in GOOD.items() if k not in ("q-best", "q-improve")}
    assert answer(lms_client, optional_left_out).status_code == 302


def test_a_disabled_evaluation_asks_nothing(lms_app, lms_client, lms_auth, world):
    with lms_app.app_context():
        from lms.models import Course

        evaluation.update_settings(db.session.get(Course, world.course.id), enabled=False, anonymous=False,
                                   followup_weeks=None)
    complete(lms_client, lms_auth, world.ani)
    assert FORM not in lms_client.get("/me").get_data(as_text=True)
    assert answer(lms_client).status_code == 403
    age_completions(lms_app, 9)
    with lms_app.app_context():
        assert evaluation.send_followups() == 0


# ------------------------------------------------------------------------- anonymity


def test_anonymous_answers_carry_no_person_and_show_only_from_three(lms_app, lms_client, lms_auth, world):
    set_anonymous(lms_app, world.course.id)
    for person in (world.budi, world.citra):
        complete(lms_client, lms_auth, person)
        assert answer(lms_client).status_code == 302
        assert answer(lms_client).status_code == 302  # refused politely: still one response each
    with lms_app.app_context():
        responses = db.session.scalars(select(EvaluationResponse)).all()
        assert len(responses) == 2
        assert all(r.anonymous and r.request_id is None and r.submitted_at is None for r in responses)
        markers = db.session.scalars(select(EvaluationRequest).where(EvaluationRequest.responded)).all()
        assert len(markers) == 2 and all(m.responded_at is None for m in markers)
    as_user(lms_client, lms_auth, world.admin)
    page = lms_client.get(ADMIN_RESULTS).get_data(as_text=True)
    assert "Contoh praktik naskah dinas" not in page
    exported = lms_client.get(f"{ADMIN_RESULTS}/results.csv").get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(exported)))) == 1  # header only: withheld
    complete(lms_client, lms_auth, world.dedi)
    answer(lms_client)
    as_user(lms_client, lms_auth, world.admin)
    page = lms_client.get(ADMIN_RESULTS).get_data(as_text=True)
    assert "Contoh praktik naskah dinas" in page
    for name in ("Budi Santoso", "Citra Lestari", "Dedi Kurnia"):
        assert name not in page
    rows = list(csv.reader(io.StringIO(lms_client.get(f"{ADMIN_RESULTS}/results.csv").get_data(as_text=True))))
    header, body = rows[0], rows[1:]
    assert len(body) == 3 * len(GOOD)
    assert all(row[header.index("respondent")] == "" and row[header.index("unit_code")] == "" for row in body)
    # a unit admin's view of DINKES alone has all three; DISDIK has none
    as_user(lms_client, lms_auth, world.ua_disdik)
    assert "Contoh praktik naskah dinas" not in lms_client.get(ADMIN_RESULTS).get_data(as_text=True)


# ----------------------------------------------------------------------- the author


def test_the_author_edits_the_questions(lms_app, lms_client, lms_auth, world):
    lms_auth.login(world.penulis)
    page = lms_client.get(SETUP).get_data(as_text=True)
    assert "relevance" in page
    response = lms_client.submit(f"{SETUP}/questions", {"kind": "likert", "text": "Narasumber menguasai materi.",
                                                         "required": "y"}, form_page=SETUP)
    assert response.status_code == 302
    assert lms_client.submit(f"{SETUP}/questions", {"kind": "likert", "text": "  "}, form_page=SETUP).status_code == 400
    assert lms_client.submit(f"{SETUP}/questions", {"kind": "pilihan", "text": "x"}, form_page=SETUP).status_code == 400
    lms_client.submit(f"{SETUP}/questions/q8", {"action": "up"}, form_page=SETUP)
    lms_client.submit(f"{SETUP}/questions/best", {"action": "delete"}, form_page=SETUP)
    lms_client.submit(f"{SETUP}/questions/relevance", {"action": "save", "text": "Materi relevan bagi saya.",
                                                       "required": ""}, form_page=SETUP)
    shown = re.search(r'id="text-clarity"[^>]*>([^<]*)</textarea>', lms_client.get(SETUP).get_data(as_text=True))
    lms_client.submit(f"{SETUP}/questions/clarity", {"action": "save", "required": "y",
                                                     "text": html.unescape(shown.group(1))}, form_page=SETUP)
    assert lms_client.submit(f"{SETUP}/questions/tidak-ada", {"action": "delete"}, form_page=SETUP).status_code == 400
    assert lms_client.submit(SETUP, {"enabled": "y", "anonymous": "y", "followup_weeks": "12"}).status_code == 302
    assert lms_client.submit(SETUP, {"enabled": "y", "followup_weeks": "500"}).status_code == 400
    with lms_app.app_context():
        form = db.session.scalar(select(EvaluationForm))
        items = form.questions
        assert [q["key"] for q in items] == ["relevance", "clarity", "quality", "usefulness", "overall", "q8",
                                            "improve"]
        assert items[0] == {"key": "relevance", "kind": "likert", "required": False, "text": "Materi relevan bagi saya."}
        assert items[1]["builtin"] == "clarity"  # unchanged text: still translated per reader
        assert form.anonymous and form.followup_weeks == 12
    # the learner gets the new form
    complete(lms_client, lms_auth, world.budi)
    page = lms_client.get(FORM).get_data(as_text=True)
    assert "Narasumber menguasai materi." in page and 'name="q-best"' not in page
    lms_client.submit(f"{SETUP}/reset", form_page=SETUP)  # budi is no author
    as_user(lms_client, lms_auth, world.penulis)
    assert lms_client.submit(f"{SETUP}/reset", form_page=SETUP).status_code == 302
    with lms_app.app_context():
        assert [q["key"] for q in db.session.scalar(select(EvaluationForm)).questions] == list(evaluation.DEFAULT_COURSE)


def test_a_new_question_never_takes_the_key_of_a_removed_answered_one(lms_app, lms_client, lms_auth, world):
    lms_auth.login(world.penulis)
    lms_client.submit(f"{SETUP}/questions", {"kind": "text", "text": "Saran lain?"}, form_page=SETUP)
    complete(lms_client, lms_auth, world.budi)
    answer(lms_client, dict(GOOD, **{"q-q8": "Tambah studi kasus"}))
    as_user(lms_client, lms_auth, world.penulis)
    lms_client.submit(f"{SETUP}/questions/q8", {"action": "delete"}, form_page=SETUP)
    lms_client.submit(f"{SETUP}/questions", {"kind": "likert", "text": "Baru?"}, form_page=SETUP)
    with lms_app.app_context():
        keys = [q["key"] for q in db.session.scalar(select(EvaluationForm)).questions]
        assert "q8" not in keys and "q9" in keys
    page = lms_client.get(RESULTS).get_data(as_text=True)
    assert "Tambah studi kasus" in page  # the removed question's answers are still reported


# ------------------------------------------------------------------------ follow-up


def test_the_follow_up_job_asks_learner_and_supervisor_exactly_once(lms_app, lms_client, lms_auth, world):
    complete(lms_client, lms_auth, world.ani)
    complete(lms_client, lms_auth, world.budi)  # no supervisor
    with lms_app.app_context():
        assert evaluation.send_followups() == 0  # too early
    age_completions(lms_app, 8.1)
    with lms_app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Notification))
        assert evaluation.send_followups() == 3
        assert evaluation.send_followups() == 0  # idempotent
        requests = db.session.scalars(select(EvaluationRequest).where(
            EvaluationRequest.kind != EvaluationKind.COURSE)).all()
        assert sorted((r.kind.value, r.respondent_id, r.subject_id) for r in requests) == sorted([
            ("followup_learner", world.ani.id, world.ani.id),
            ("followup_supervisor", world.atasan.id, world.ani.id),
            ("followup_learner", world.budi.id, world.budi.id)])
        notes = db.session.scalars(select(Notification).where(Notification.kind == "evaluation_followup")).all()
        assert len(notes) == 3 == db.session.scalar(select(func.count()).select_from(Notification)) - before
        boss_note = next(n for n in notes if n.user_id == world.atasan.id)
        boss_request = next(r for r in requests if r.respondent_id == world.atasan.id)
        assert "Ani Wulandari" in boss_note.body and f"/evaluation/follow-ups/{boss_request.id}" in boss_note.body
    # the supervisor sees the pending follow-up about her subordinate and answers it
    as_user(lms_client, lms_auth, world.atasan)
    listing = lms_client.get("/evaluation/follow-ups").get_data(as_text=True)
    assert "Ani Wulandari" in listing and f"/evaluation/follow-ups/{boss_request.id}" in listing
    assert f"/evaluation/follow-ups/{boss_request.id}" in lms_client.get("/me").get_data(as_text=True)
    url = f"/evaluation/follow-ups/{boss_request.id}"
    assert answer(lms_client, {"q-observed": "4"}, url).status_code == 400  # "applies" is required
    assert answer(lms_client, {"q-observed": "4", "q-applies": "5", "q-observations": "Surat lebih rapi"},
                  url).status_code == 302
    assert answer(lms_client, {"q-observed": "1", "q-applies": "1"}, url).status_code == 302  # once only
    assert f"/evaluation/follow-ups/{boss_request.id}" not in lms_client.get("/evaluation/follow-ups").get_data(as_text=True)
    # nobody else can open it, not even the learner it is about
    as_user(lms_client, lms_auth, world.ani)
    assert lms_client.get(url).status_code == 404
    as_user(lms_client, lms_auth, world.admin)
    assert lms_client.get(url).status_code == 404
    page = lms_client.get(ADMIN_RESULTS).get_data(as_text=True)
    assert "Surat lebih rapi" in page and "Atasan Langsung" in page and "Ani Wulandari" in page
    with lms_app.app_context():
        stored = db.session.scalars(select(EvaluationResponse).where(
            EvaluationResponse.kind == EvaluationKind.FOLLOWUP_SUPERVISOR)).all()
        assert len(stored) == 1 and {a.question_key: a.value for a in stored[0].answers}["observed"] == 4


def test_follow_up_timing_per_course_and_old_completions(lms_app, lms_client, lms_auth, world):
    complete(lms_client, lms_auth, world.budi)
    age_completions(lms_app, 20)  # long before: past the window
    with lms_app.app_context():
        assert evaluation.send_followups() == 0
    age_completions(lms_app, 3)
    with lms_app.app_context():
        assert evaluation.send_followups() == 0
        from lms.models import Course

        course = db.session.get(Course, world.course.id)
        evaluation.update_settings(course, enabled=True, anonymous=False, followup_weeks=2)
        assert evaluation.send_followups() == 1
        evaluation.update_settings(course, enabled=True, anonymous=False, followup_weeks=0)
    complete(lms_client, lms_auth, world.citra)
    age_completions(lms_app, 9)
    with lms_app.app_context():
        assert evaluation.send_followups() == 0  # 0 weeks: no follow-up for this course


def test_the_command_runs_the_job(lms_app, lms_client, lms_auth, lms_runner, world):
    complete(lms_client, lms_auth, world.ani)
    age_completions(lms_app, 8.5)
    result = lms_runner.invoke(args=["lms", "send-followups"])
    assert result.exit_code == 0 and "2 follow-up request(s) created" in result.output
    assert "0 follow-up" in lms_runner.invoke(args=["lms", "send-followups"]).output


def test_the_worker_queues_the_job(lms_app):
    from lms.cli.worker import periodic_jobs

    assert evaluation.send_followups in [job.func for job in periodic_jobs(lms_app)]


# ---------------------------------------------------------------- results and access


def test_who_sees_which_results(lms_app, lms_client, lms_auth, world):
    complete(lms_client, lms_auth, world.ani)  # DISDIK
    answer(lms_client)
    complete(lms_client, lms_auth, world.budi)  # DINKES
    answer(lms_client, dict(GOOD, **{"q-best": "Jawaban Budi dari Dinkes"}))
    # the author: everything, no names
    as_user(lms_client, lms_auth, world.penulis)
    page = lms_client.get(RESULTS).get_data(as_text=True)
    assert "Jawaban Budi dari Dinkes" in page and "Budi Santoso" not in page and "Ani Wulandari" not in page
    rows = list(csv.reader(io.StringIO(lms_client.get(f"{RESULTS}.csv").get_data(as_text=True))))
    assert "respondent" not in rows[0] and len(rows) == 1 + 2 * len(GOOD)
    assert lms_client.get(ADMIN_RESULTS).status_code == 403
    # another author, learners, unit admins: not the author pages
    for person, status in ((world.lain, 404), (world.ani, 403), (world.ua_disdik, 403)):
        as_user(lms_client, lms_auth, person)
        assert lms_client.get(RESULTS).status_code == status
        assert lms_client.get(f"{RESULTS}.xlsx").status_code == status
        assert lms_client.get(SETUP).status_code == status
    as_user(lms_client, lms_auth, world.ani)
    assert lms_client.get(ADMIN_RESULTS).status_code == 403
    assert lms_client.get("/admin/reports/evaluations").status_code == 403
    # a unit admin: their own unit's people, with names; another unit refused
    as_user(lms_client, lms_auth, world.ua_disdik)
    page = lms_client.get(ADMIN_RESULTS).get_data(as_text=True)
    assert "Ani Wulandari" in page and "Jawaban Budi dari Dinkes" not in page and "Budi Santoso" not in page
    assert lms_client.get(f"{ADMIN_RESULTS}?unit=DINKES").status_code == 403
    assert lms_client.get(f"{ADMIN_RESULTS}/results.csv?unit=DINKES").status_code == 403
    assert lms_client.get(f"{ADMIN_RESULTS}/results.xlsx?unit=DINKES").status_code == 403
    assert "Budi" not in lms_client.get(f"{ADMIN_RESULTS}/results.csv").get_data(as_text=True)
    overview = lms_client.get("/admin/reports/evaluations").get_data(as_text=True)
    assert "Pelatihan Evaluasi" in overview and "1 / 1" in overview
    # the admin: everyone, with names, per unit
    as_user(lms_client, lms_auth, world.admin)
    page = lms_client.get(ADMIN_RESULTS).get_data(as_text=True)
    assert "Ani Wulandari" in page and "Budi Santoso" in page and "Dinas Kesehatan" in page
    assert "Budi Santoso" not in lms_client.get(f"{ADMIN_RESULTS}?unit=DISDIK").get_data(as_text=True)
    assert lms_client.get("/admin/reports/evaluations/tidak-ada").status_code == 404
    assert lms_client.get(f"{ADMIN_RESULTS}?unit=NOPE").status_code == 404


def test_results_figures_and_exports(lms_app, lms_client, lms_auth, world):
    for person, value in ((world.ani, "5"), (world.budi, "3"), (world.citra, "4")):
        complete(lms_client, lms_auth, person)
        answer(lms_client, dict(GOOD, **{"q-relevance": value}))
    complete(lms_client, lms_auth, world.dedi)  # asked, never answered
    with lms_app.app_context():
        from lms.models import Course
        from lms.services.jp_reports import Scope

        result = evaluation.results(db.session.get(Course, world.course.id), Scope(None),
                                    db.session.get(User, world.admin.id))
        course = result.kinds[0]
        assert course.kind == EvaluationKind.COURSE
        assert (course.rate.invited, course.rate.responded, course.rate.percent) == (4, 3, 75.0)
        relevance = course.questions[0]
        assert relevance.question.key == "relevance" and relevance.counts == [0, 0, 1, 1, 1]
        assert relevance.mean == 4.0 and relevance.n == 3
        assert {u.code: (u.rates[EvaluationKind.COURSE].invited, u.rates[EvaluationKind.COURSE].responded)
                for u in result.units} == {"DISDIK": (1, 1), "DINKES": (3, 2)}
    as_user(lms_client, lms_auth, world.admin)
    response = lms_client.get(f"{ADMIN_RESULTS}/results.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header = rows[0]
    assert header[:4] == ["survey", "response", "submitted_at", "unit_code"]
    improve = [r for r in rows[1:] if r[header.index("question_key")] == "improve"]
    assert improve and all(r[header.index("text")].startswith("'=") for r in improve)  # formula-safe
    assert {r[header.index("respondent")] for r in rows[1:]} == {"Ani Wulandari", "Budi Santoso", "Citra Lestari"}
    summary = list(csv.reader(io.StringIO(lms_client.get(f"{ADMIN_RESULTS}/results.csv?part=summary").get_data(as_text=True))))
    relevance_row = next(r for r in summary if r[4] == "relevance")
    assert relevance_row[6:] == ["3", "4.0", "0", "0", "1", "1", "1"]
    assert lms_client.get(f"{ADMIN_RESULTS}/results.csv?part=nope").status_code == 400
    book = xlsx.read_rows(lms_client.get(f"{ADMIN_RESULTS}/results.xlsx").get_data())
    sheets = list(book.values())
    assert len(sheets) == 3
    assert sheets[0][1][:4] == ["course", 4, 3, 75]  # survey, invited, responded, rate
    assert any(row[:2] == ["DINKES", "Dinas Kesehatan"] for row in sheets[1])
    assert any("=HYPERLINK" in str(cell) for row in sheets[2] for cell in row)  # text cell, never a formula


def test_results_run_a_fixed_number_of_queries(lms_app, lms_client, lms_auth, lms_queries, world):
    def count(url):
        as_user(lms_client, lms_auth, world.admin)
        with lms_queries() as queries:
            assert lms_client.get(url).status_code == 200
        return queries.count

    complete(lms_client, lms_auth, world.ani)
    answer(lms_client)
    one = (count(ADMIN_RESULTS), count(f"{ADMIN_RESULTS}/results.xlsx"), count("/admin/reports/evaluations"),
           count("/evaluation/follow-ups"))
    for person in (world.budi, world.citra, world.dedi):
        complete(lms_client, lms_auth, person)
        answer(lms_client)
    age_completions(lms_app, 8.1)
    with lms_app.app_context():
        evaluation.send_followups()
    many = (count(ADMIN_RESULTS), count(f"{ADMIN_RESULTS}/results.xlsx"), count("/admin/reports/evaluations"),
            count("/evaluation/follow-ups"))
    assert many == one


def test_pages_need_a_sign_in(lms_client, world):
    for url in (FORM, "/evaluation/follow-ups", "/evaluation/follow-ups/1", SETUP, RESULTS, ADMIN_RESULTS,
                "/admin/reports/evaluations"):
        assert lms_client.get(url).status_code == 302, url


# ------------------------------------------------------------------------- course.yaml


SECTION = {"anonymous": True, "followup_weeks": 12,
           "questions": [{"default": "relevance"},
                         {"id": "narasumber", "type": "likert", "text": "Narasumber menguasai materi.",
                          "required": True},
                         {"id": "saran", "type": "text", "text": "Saran Anda?"}]}


def test_course_yaml_sets_the_form_and_exports_it_back(lms_app):
    from lms.packages.manifest import parse_manifest
    from lms.services import courses, packages
    from lms.testing import course_manifest

    manifest, bodies = course_manifest("dari-paket", lessons=1)
    manifest["evaluation"] = SECTION
    spec, problems = parse_manifest(manifest)
    assert not problems
    with lms_app.app_context():
        version = courses.import_version(spec, bodies)
        settings = evaluation.settings_for(version.course_id)
        assert settings.anonymous and settings.followup_weeks == 12 and settings.enabled
        assert [(q.key, q.kind, q.required, q.builtin) for q in settings.questions()] == [
            ("relevance", "likert", True, True), ("narasumber", "likert", True, False),
            ("saran", "text", False, False)]
        exported, _files = packages.export_version(version)
        assert exported["evaluation"] == {"enabled": True, "anonymous": True, "followup_weeks": 12, "questions": [
            {"default": "relevance", "required": True},
            {"id": "narasumber", "type": "likert", "text": "Narasumber menguasai materi.", "required": True},
            {"id": "saran", "type": "text", "text": "Saran Anda?", "required": False}]}
        again, problems = parse_manifest(exported)
        assert not problems and again.evaluation == spec.evaluation  # lossless
        plain, _ = parse_manifest(course_manifest("tanpa-evaluasi", lessons=1)[0])
        assert plain.evaluation is None


@pytest.mark.parametrize("section, where", [
    ("ya", "evaluation"),
    ({"anonim": True}, "evaluation"),
    ({"followup_weeks": 500}, "evaluation.followup_weeks"),
    ({"anonymous": "ya"}, "evaluation.anonymous"),
    ({"questions": []}, "evaluation.questions"),
    ({"questions": [{"default": "tidak-ada"}]}, "evaluation.questions[0].default"),
    ({"questions": [{"id": "A B", "text": "x"}]}, "evaluation.questions[0].id"),
    ({"questions": [{"id": "a", "type": "pilihan", "text": "x"}]}, "evaluation.questions[0].type"),
    ({"questions": [{"id": "a", "text": ""}]}, "evaluation.questions[0].text"),
    ({"questions": [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}]}, "evaluation.questions[1]"),
])
def test_a_bad_evaluation_section_is_named(lms_app, section, where):
    from lms.packages.manifest import parse_manifest
    from lms.testing import course_manifest

    manifest, _bodies = course_manifest("salah", lessons=1)
    manifest["evaluation"] = section
    spec, problems = parse_manifest(manifest)
    assert spec is None and where in [p.where for p in problems]


def test_someone_not_enrolled_gets_no_form(lms_client, lms_auth, world):
    lms_auth.login(world.budi)
    assert lms_client.get(FORM).status_code == 404
    assert answer(lms_client).status_code == 404
    assert lms_client.get("/evaluation/courses/tidak-ada").status_code == 404
