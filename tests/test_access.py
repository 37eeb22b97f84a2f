"""Who may open which author and approval pages: every other role is refused, nothing changes."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from lms.database import db
from lms.models import Course, CourseVersion, JpEntry, Question, User, course_authors
from lms.services import authoring

QUESTIONS = [{"id": "esai", "type": "essay", "text": "Ceritakan pengalaman Anda."},
             {"id": "tf", "type": "truefalse", "text": "Benar?", "answer": True}]

#: (method, url template); {uid} is an essay attempt of the owner's course.
AUTHOR_ROUTES = [
    ("GET", "/author/courses/milik/questions"),
    ("GET", "/author/courses/milik/questions/export.gift"),
    ("POST", "/author/courses/milik/questions/import"),
    ("POST", "/author/courses/milik/questions/import/confirm"),
    ("GET", "/author/courses/milik/questions/tf/edit"),
    ("POST", "/author/courses/milik/questions/tf/edit"),
    ("POST", "/author/courses/milik/questions/tf/delete"),
    ("POST", "/author/courses/milik/publish"),
    ("GET", "/author/courses/milik/"),
    ("GET", "/author/courses/milik/versions/1/"),
    ("GET", "/author/courses/milik/versions/1/pelajaran-1"),
    ("GET", "/author/courses/milik/versions/1/assets/peta.png"),
    ("GET", "/author/courses/milik/versions/1/package.zip"),
    ("POST", "/author/courses/milik/versions/1/restore"),
    ("POST", "/author/courses/milik/draft/discard"),
    ("POST", "/author/courses/milik/authors"),
    ("POST", "/author/courses/milik/authors/1/remove"),
    ("GET", "/author/courses/milik/quizzes/kuis"),
    ("GET", "/author/courses/milik/quizzes/kuis/attempts.csv"),
    ("GET", "/author/attempts/{uid}/questions/0/grade"),
    ("POST", "/author/attempts/{uid}/questions/0/grade"),
]
#: Role -> expected status: not signed in, no author role, or not this course's author.
EXPECTED = {"anonymous": 302, "learner": 403, "unit_admin": 403, "other_author": 404}


@pytest.fixture
def owned(lms_app, lms_client, lms_auth, lms_user, lms_course):
    """A course of one author, with a submitted essay attempt by a learner; returns its uid."""
    course = lms_course("milik", lessons=1, questions=QUESTIONS)
    owner = lms_user("author")
    with lms_app.app_context():
        authoring.add_author(db.session.get(Course, course.id), db.session.get(User, owner.id))
    lms_auth.login(lms_user())
    lms_client.submit("/courses/milik/enrol", form_page="/courses/milik")
    path = lms_client.submit("/learn/milik/quiz/kuis/start", form_page="/learn/milik/quiz/kuis").location
    lms_client.submit(path + "/submit", {"q0": "Kami memakai SRIKANDI."}, form_page=path)
    lms_auth.logout()
    return path.rsplit("/", 1)[-1]


def state(app) -> tuple:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (CourseVersion, Question, JpEntry, course_authors))


@pytest.mark.parametrize("role", sorted(EXPECTED))
@pytest.mark.parametrize("method, url", AUTHOR_ROUTES)
def test_author_routes_refuse_everyone_else(lms_app, lms_client, lms_auth, lms_user, owned, role, method, url):
    if role != "anonymous":
        lms_auth.login(lms_user("author" if role == "other_author" else role))
    url = url.format(uid=owned)
    before = state(lms_app)
    if method == "GET":
        response = lms_client.get(url)
    else:
        data = {"csrf_token": lms_client.csrf_token("/"), "definition": "id: tf\ntype: truefalse\ntext: X\nanswer: false\n",
                "percent": "100", "login": "learner@example.org", "file": (io.BytesIO(b"::A:: B {T}"), "x.gift")}
        response = lms_client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == EXPECTED[role]
    assert state(lms_app) == before


@pytest.mark.parametrize("role, status", [("anonymous", 302), ("learner", 403), ("author", 403)])
def test_approvals_are_for_unit_admins(lms_client, lms_auth, lms_user, role, status):
    if role != "anonymous":
        lms_auth.login(lms_user(role))
    assert lms_client.get("/admin/jp").status_code == status
