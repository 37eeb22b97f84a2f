"""Course reports (/admin/reports/courses[/<slug>]) against hand-counted enrolments and attempts.

Course "kursus-a" (quiz "kuis", pass mark 70), everyone enrolled on 1 January 2026 00:00 UTC:

    ani   DISDIK  completed after 2 days   graded 60, graded 90 (best 90, passed), one open attempt
    budi  DISDIK  completed after 4 days   graded 50 (not passed)
    citra DINKES  completed after 10 days  graded 80 (passed), one waiting for essay grading
    dedi  DINKES  enrolled, not completed
    eka   DINKES  withdrawn (not counted)
    hadi  no unit completed after 1 day

Course "kursus-b" has nobody.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from lms.database import db
from lms.models import Attempt, AttemptState, Enrollment, EnrollmentStatus, Quiz
from lms.services import course_reports, orgs
from lms.services.jp_reports import Scope

START = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
DAY = 86400
QUESTION = {"id": "agenda", "type": "truefalse", "text": "Surat masuk dicatat.", "answer": True}
LIST_URL = "/admin/reports/courses"
URL = "/admin/reports/courses/kursus-a"


def enrol(app, user, course, *, days: float | None = None, status: str = "active") -> None:
    """An enrolment made on START, completed `days` later (None: not completed)."""
    with app.app_context():
        completed = START + dt.timedelta(days=days) if days is not None else None
        db.session.add(Enrollment(user_id=user.id, course_id=course.id, enrolled_at=START, completed_at=completed,
                                  status=EnrollmentStatus.COMPLETED if completed else EnrollmentStatus(status)))
        db.session.commit()


def attempt(app, user, course, score: float | None, *, passed: bool = False, state: str = "graded") -> None:
    with app.app_context():
        quiz = db.session.scalar(select(Quiz).where(Quiz.version_id == course.version_id))
        number = 1 + len(db.session.scalars(select(Attempt.id).where(Attempt.user_id == user.id)).all())
        db.session.add(Attempt(uid=secrets.token_hex(16), user_id=user.id, course_id=course.id, quiz_key=quiz.key,
                               quiz_id=quiz.id, number=number, state=AttemptState(state), started_at=START,
                               seed=1, score=score, passed=passed if score is not None else None))
        db.session.commit()


@pytest.fixture
def org(lms_app, lms_user, lms_course):
    with lms_app.app_context():
        root = orgs.create_unit(code="PEMKOT", name="Pemerintah Kota", kind="instansi")
        disdik = orgs.create_unit(code="DISDIK", name="Dinas Pendidikan", kind="opd", parent=root)
        dinkes = orgs.create_unit(code="DINKES", name="Dinas Kesehatan", kind="opd", parent=root)
    a = lms_course("kursus-a", title="Kursus A", lessons=1, questions=[QUESTION])
    b = lms_course("kursus-b", title="Kursus B", lessons=1)
    p = SimpleNamespace(ani=lms_user(unit=disdik), budi=lms_user(unit=disdik), citra=lms_user(unit=dinkes),
                        dedi=lms_user(unit=dinkes), eka=lms_user(unit=dinkes), hadi=lms_user())
    for person, days in ((p.ani, 2), (p.budi, 4), (p.citra, 10), (p.dedi, None), (p.hadi, 1)):
        enrol(lms_app, person, a, days=days)
    enrol(lms_app, p.eka, a, status="withdrawn")
    attempt(lms_app, p.ani, a, 60)
    attempt(lms_app, p.ani, a, 90, passed=True)
    attempt(lms_app, p.ani, a, None, state="open")
    attempt(lms_app, p.budi, a, 50)
    attempt(lms_app, p.citra, a, 80, passed=True)
    attempt(lms_app, p.citra, a, 100, passed=True, state="needs_grading")
    return SimpleNamespace(root=root, disdik=disdik, dinkes=dinkes, a=a, b=b, people=p)


def stats_for(app, code: str | None) -> dict:
    with app.app_context():
        scope = Scope(orgs.get_by_code(code) if code else None)
        return {s.slug: s for s in course_reports.course_stats(scope)}


@pytest.mark.parametrize("code, expected", [
    (None, (5, 4, 80.0, 73.3, 3 * DAY)),        # median of 1, 2, 4, 10 days
    ("PEMKOT", (4, 3, 75.0, 73.3, 4 * DAY)),    # median of 2, 4, 10 days
    ("DISDIK", (2, 2, 100.0, 70.0, 3 * DAY)),
    ("DINKES", (2, 1, 50.0, 80.0, 10 * DAY)),
])
def test_course_numbers_per_scope(lms_app, org, code, expected):
    a = stats_for(lms_app, code)["kursus-a"]
    assert (a.enrolments, a.completions, a.completion_rate, a.avg_best_score) == expected[:4]
    assert a.median_seconds == pytest.approx(expected[4], abs=1)
    assert a.title == "Kursus A"


def test_course_without_learners_has_empty_figures(lms_app, org):
    b = stats_for(lms_app, None)["kursus-b"]
    assert (b.enrolments, b.completions, b.completion_rate, b.avg_best_score, b.median_seconds) == (0, 0, 0.0, None, None)


def test_courses_are_listed_most_enrolments_first(lms_app, org):
    with lms_app.app_context():
        assert [s.slug for s in course_reports.course_stats(Scope(None))] == ["kursus-a", "kursus-b"]


def test_per_unit_and_per_quiz_breakdowns(lms_app, org):
    with lms_app.app_context():
        units = course_reports.by_unit(Scope(orgs.get_by_code("PEMKOT")), org.a.id)
        quizzes = course_reports.quizzes(Scope(None), org.a.id)
        everyone = course_reports.by_unit(Scope(None), org.a.id)
    assert [(u.label, u.enrolments, u.completions, u.completion_rate) for u in units] == [
        ("Dinas Kesehatan", 2, 1, 50.0), ("Dinas Pendidikan", 2, 2, 100.0)]
    assert [(u.label, u.enrolments) for u in everyone] == [("Pemerintah Kota", 4), ("Tanpa unit", 1)]
    assert [(q.quiz_key, q.learners, q.avg_best_score, q.passed) for q in quizzes] == [("kuis", 3, 73.3, 2)]


def test_list_page_shows_every_course(lms_client, lms_auth, lms_user, org):
    lms_auth.login(lms_user("admin", nip=None))
    page = lms_client.get(LIST_URL).get_data(as_text=True)
    rows = re.findall(r'<a href="/admin/reports/courses/([^"?]+)[^"]*">([^<]+)</a></td>\s*'
                      r'<td class="num"[^>]*>(\d+)</td><td class="num"[^>]*>(\d+)</td>', page)
    assert rows == [("kursus-a", "Kursus A", "5", "4"), ("kursus-b", "Kursus B", "0", "0")]


def test_detail_page_for_a_unit_admin_counts_only_their_learners(lms_client, lms_auth, lms_user, org):
    lms_auth.login(lms_user("unit_admin", unit=org.disdik, nip=None))
    page = lms_client.get(URL).get_data(as_text=True)
    stats = dict(re.findall(r'<dd data-stat="(\w+)">([^<]+)</dd>', page))
    assert stats["enrolments"] == "2" and stats["completions"] == "2" and stats["rate"] == "100%"
    assert stats["score"] == "70%" and stats["median"].startswith("3 ")
    assert "Dinas Kesehatan" not in page


@pytest.mark.parametrize("path", [LIST_URL, URL])
@pytest.mark.parametrize("role, unit, query, status", [
    (None, None, "", 302), ("learner", "disdik", "", 403), ("author", "disdik", "", 403),
    ("unit_admin", "disdik", "", 200), ("unit_admin", "disdik", "?unit=DISDIK", 200),
    ("unit_admin", "disdik", "?unit=DINKES", 403), ("unit_admin", "disdik", "?unit=PEMKOT", 403),
    ("unit_admin", None, "", 403), ("admin", None, "", 200), ("admin", None, "?unit=DINKES", 200),
    ("admin", None, "?unit=NOPE", 404),
])
def test_access(lms_client, lms_auth, lms_user, org, path, role, unit, query, status):
    if role:
        lms_auth.login(lms_user(role, unit=getattr(org, unit) if unit else None, nip=None))
    assert lms_client.get(path + query).status_code == status


def test_unknown_course_is_404(lms_client, lms_auth, lms_user, org):
    lms_auth.login(lms_user("admin", nip=None))
    assert lms_client.get("/admin/reports/courses/tidak-ada").status_code == 404


def test_query_count_does_not_grow_with_learners(lms_app, lms_client, lms_auth, lms_user, lms_queries, org):
    lms_auth.login(lms_user("admin", nip=None))
    counts = []
    for extra in (0, 15):
        for _ in range(extra):
            learner = lms_user(unit=org.disdik)
            enrol(lms_app, learner, org.b, days=3)
        for path in (LIST_URL, "/admin/reports/courses/kursus-b"):
            with lms_queries() as q:
                assert lms_client.get(path).status_code == 200
            counts.append(q.count)
    assert counts[:2] == counts[2:]
    assert max(counts) <= 12, counts
