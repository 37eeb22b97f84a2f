"""The caller's learning through the API: enrolments, progress, lessons, certificates."""
from __future__ import annotations

import pytest

from lms.database import db
from lms.models import Certificate, User


@pytest.fixture
def learner_token(lms_app, lms_user):
    """(FactoryUser, headers) for a learner with a read-write token."""
    from lms.services import tokens

    user = lms_user()
    with lms_app.app_context():
        _token, secret = tokens.create(db.session.get(User, user.id), name="t", write=True, days=7)
    return user, {"Authorization": f"Bearer {secret}"}


def test_enrol_follow_progress_complete_and_get_the_certificate(lms_app, lms_client, lms_course,
                                                               learner_token):
    course = lms_course("kursus-api", lessons=2, jp=3)
    user, headers = learner_token
    enrolled = lms_client.post("/api/v1/me/enrolments", json={"course": course.slug}, headers=headers)
    assert enrolled.status_code == 201
    body = enrolled.get_json()
    assert body["status"] == "active" and body["progress"] == {"done": 0, "total": 2, "percent": 0}
    assert [lesson["key"] for lesson in body["lessons"]] == list(course.lesson_keys)
    for key in course.lesson_keys:
        done = lms_client.post(f"/api/v1/me/enrolments/{course.slug}/lessons/{key}/complete", headers=headers)
        assert done.status_code == 200
    final = lms_client.get(f"/api/v1/me/enrolments/{course.slug}", headers=headers).get_json()
    assert final["status"] == "completed" and final["jp_awarded"] == 3 and final["certificate"]
    mine = lms_client.get("/api/v1/me/certificates", headers=headers).get_json()
    assert mine["total"] == 1
    certificate = mine["items"][0]
    assert certificate["number"] == final["certificate"] and certificate["course"] == course.slug
    assert certificate["holder_name"] == user.name and certificate["jp"] == 3
    code = certificate["verify_url"].rsplit("/", 1)[1]
    public = lms_client.get(f"/api/v1/certificates/{code}")  # no authentication needed
    assert public.status_code == 200 and public.get_json()["status"] == "valid"
    assert "pdf_url" not in public.get_json()


def test_a_revoked_certificate_says_so_publicly(lms_app, lms_client, lms_course, learner_token, lms_user):
    from lms.services import certificates

    course = lms_course("kursus-cabut", lessons=1)
    _user, headers = learner_token
    lms_client.post("/api/v1/me/enrolments", json={"course": course.slug}, headers=headers)
    lms_client.post(f"/api/v1/me/enrolments/{course.slug}/lessons/{course.lesson_keys[0]}/complete",
                    headers=headers)
    admin = lms_user("admin")
    with lms_app.app_context():
        certificate = db.session.query(Certificate).one()
        code = certificate.code
        certificates.revoke(certificate, db.session.get(User, admin.id), "Data keliru")
    public = lms_client.get(f"/api/v1/certificates/{code}").get_json()
    assert public["status"] == "revoked" and public["revoked_reason"] == "Data keliru"
    mine = lms_client.get("/api/v1/me/certificates?status=revoked", headers=headers).get_json()
    assert mine["total"] == 1 and mine["items"][0]["credential_url"] is None


def test_unknown_certificate_codes_are_404(lms_client):
    assert lms_client.get("/api/v1/certificates/not-a-code").status_code == 404


def test_refused_enrolments_explain_why(lms_client, lms_app, lms_course, learner_token):
    from lms.models import Course

    course = lms_course("kursus-kunci")
    with lms_app.app_context():
        db.session.get(Course, course.id).enrolment_key = "rahasia"
        db.session.commit()
    _user, headers = learner_token
    refused = lms_client.post("/api/v1/me/enrolments", json={"course": course.slug}, headers=headers)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "enrolment_refused"
    wrong = lms_client.post("/api/v1/me/enrolments", json={"course": course.slug, "key": "salah"}, headers=headers)
    assert wrong.status_code == 409
    right = lms_client.post("/api/v1/me/enrolments", json={"course": course.slug, "key": "rahasia"},
                            headers=headers)
    assert right.status_code == 201
    unknown = lms_client.post("/api/v1/me/enrolments", json={"course": "tidak-ada"}, headers=headers)
    assert unknown.status_code == 404


def test_lessons_need_an_active_enrolment(lms_client, lms_course, learner_token):
    course = lms_course("kursus-belum")
    _user, headers = learner_token
    url = f"/api/v1/me/enrolments/{course.slug}/lessons/{course.lesson_keys[0]}/complete"
    assert lms_client.post(url, headers=headers).get_json()["error"]["code"] == "not_enrolled"
    assert lms_client.get(f"/api/v1/me/enrolments/{course.slug}", headers=headers).status_code == 404
    lms_client.post("/api/v1/me/enrolments", json={"course": course.slug}, headers=headers)
    missing = lms_client.post(f"/api/v1/me/enrolments/{course.slug}/lessons/tidak-ada/complete", headers=headers)
    assert missing.status_code == 404


def test_leaving_keeps_progress_and_filters_by_status(lms_client, lms_course, learner_token):
    course = lms_course("kursus-keluar")
    _user, headers = learner_token
    lms_client.post("/api/v1/me/enrolments", json={"course": course.slug}, headers=headers)
    lms_client.post(f"/api/v1/me/enrolments/{course.slug}/lessons/{course.lesson_keys[0]}/complete",
                    headers=headers)
    assert lms_client.delete(f"/api/v1/me/enrolments/{course.slug}", headers=headers).status_code == 204
    again = lms_client.delete(f"/api/v1/me/enrolments/{course.slug}", headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "cannot_leave"
    withdrawn = lms_client.get("/api/v1/me/enrolments?status=withdrawn", headers=headers).get_json()
    assert withdrawn["total"] == 1 and withdrawn["items"][0]["progress"]["done"] == 1
    assert lms_client.get("/api/v1/me/enrolments?status=active", headers=headers).get_json()["total"] == 0
    back = lms_client.post("/api/v1/me/enrolments", json={"course": course.slug}, headers=headers).get_json()
    assert back["status"] == "active" and back["progress"]["done"] == 1


def test_each_person_sees_only_their_own_learning(lms_app, lms_client, lms_course, learner_token, lms_user):
    from lms.services import tokens

    course = lms_course("kursus-pribadi")
    _user, headers = learner_token
    lms_client.post("/api/v1/me/enrolments", json={"course": course.slug}, headers=headers)
    for role in ("learner", "author", "unit_admin", "admin"):
        other = lms_user(role)
        with lms_app.app_context():
            _t, secret = tokens.create(db.session.get(User, other.id), name="t", write=True, days=7)
        theirs = {"Authorization": f"Bearer {secret}"}
        assert lms_client.get("/api/v1/me/enrolments", headers=theirs).get_json()["total"] == 0
        assert lms_client.get(f"/api/v1/me/enrolments/{course.slug}", headers=theirs).status_code == 404
        assert lms_client.get("/api/v1/me", headers=theirs).get_json()["role"] == role


@pytest.mark.parametrize("method,url", [
    ("get", "/api/v1/me"), ("get", "/api/v1/me/enrolments"), ("post", "/api/v1/me/enrolments"),
    ("get", "/api/v1/me/enrolments/kursus-x"), ("delete", "/api/v1/me/enrolments/kursus-x"),
    ("post", "/api/v1/me/enrolments/kursus-x/lessons/pelajaran-1/complete"),
    ("get", "/api/v1/me/certificates")])
def test_anonymous_callers_get_401_on_personal_endpoints(lms_client, lms_course, method, url):
    lms_course("kursus-x")
    response = getattr(lms_client, method)(url, json={"course": "kursus-x"} if method == "post" else None)
    assert response.status_code == 401


def test_enrolment_list_queries_do_not_grow_with_rows(lms_client, lms_course, learner_token, lms_queries):
    _user, headers = learner_token
    for n in range(2):
        lms_client.post("/api/v1/me/enrolments", json={"course": lms_course(f"kursus-q{n}").slug}, headers=headers)
    with lms_queries() as small:
        lms_client.get("/api/v1/me/enrolments", headers=headers)
    for n in range(2, 7):
        lms_client.post("/api/v1/me/enrolments", json={"course": lms_course(f"kursus-q{n}").slug}, headers=headers)
    with lms_queries() as large:
        lms_client.get("/api/v1/me/enrolments", headers=headers)
    assert large.count == small.count
