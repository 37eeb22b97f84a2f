"""The SCORM 1.2 runtime on the server: sessions, commits re-validated, completion, access."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.database import db
from lms.models import Course, Enrollment, LessonProgress, ScormState, User
from lms.packages.manifest import parse_manifest
from lms.services import authoring, courses
from lms.services.scorm import student_name

FIXTURE = Path(__file__).parent / "fixtures" / "scorm12"
SLUG = "kursus-scorm"
BASE = f"/learn/{SLUG}/scorm/1"


def fixture_files() -> dict[str, bytes]:
    return {p.relative_to(FIXTURE).as_posix(): p.read_bytes() for p in FIXTURE.rglob("*") if p.is_file()}


def import_scorm_course(app, *, markdown: bool = False, item: str | None = None, publish: bool = True) -> int:
    lesson = {"id": "modul", "title": "Modul SCORM", "type": "scorm", "path": "assets/scorm/modul"}
    if item:
        lesson["item"] = item
    lessons = [lesson] + ([{"id": "bacaan", "title": "Bacaan", "file": "lessons/bacaan.md"}] if markdown else [])
    manifest = {"format": "lms-course/1", "slug": SLUG, "title": "Kursus SCORM", "jp": 3,
                "competency": "teknis", "sections": [{"title": "Satu", "lessons": lessons}]}
    spec, problems = parse_manifest(manifest)
    assert problems == []
    files = {f"assets/scorm/modul/{name}": data for name, data in fixture_files().items()}
    with app.app_context():
        version = courses.import_version(spec, {"lessons/bacaan.md": "# Bacaan"}, files)
        if publish:
            courses.publish(version)
        return version.course_id


@pytest.fixture
def scorm_course(lms_app):
    return import_scorm_course(lms_app)


@pytest.fixture
def learner(lms_client, lms_auth, lms_user, scorm_course):
    user = lms_user(name="Dr. Budi Santoso, S.Kom.")
    lms_auth.login(user)
    lms_client.submit(f"/courses/{SLUG}/enrol", form_page=f"/courses/{SLUG}")
    return user


def post_json(client, url: str, payload=None, *, csrf: bool = True):
    headers = {"Accept": "application/json"}
    if csrf:
        headers["X-CSRFToken"] = client.csrf_token("/")
    return client.post(url, data=json.dumps(payload) if payload is not None else None,
                       content_type="application/json", headers=headers)


def start(client, key: str = "modul"):
    response = post_json(client, f"{BASE}/{key}/session")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def send(client, session: str, values: list, finish: bool = False, key: str = "modul"):
    return post_json(client, f"{BASE}/{key}/commit", {"session": session, "values": values, "finish": finish})


def state_row(app) -> ScormState | None:
    with app.app_context():
        return db.session.scalar(select(ScormState))


def test_first_session_then_resume_then_passed_completes_the_course(lms_app, lms_client, learner):
    first = start(lms_client)
    values = first["values"]
    assert values["cmi.core.entry"] == "ab-initio" and values["cmi.core.lesson_status"] == "not attempted"
    assert values["cmi.core.student_name"] == "Santoso, Budi" and values["cmi.core.student_id"] == learner.nip
    assert values["cmi.core.credit"] == "credit" and values["cmi.core.lesson_mode"] == "normal"
    assert values["cmi.student_data.mastery_score"] == "80" and values["cmi.launch_data"] == "mode=uji"
    assert values["cmi.student_data.max_time_allowed"] == "0001:00:00"
    assert first["launch"].startswith("/learn/content/s/") and first["preview"] is False  # a signed link
    assert first["launch"].endswith("/sco/index.html?bagian=1")

    response = send(lms_client, first["session"], [
        ["cmi.core.lesson_location", "halaman-2"], ["cmi.suspend_data", "halaman=2;jawaban=b"],
        ["cmi.core.lesson_status", "incomplete"], ["cmi.core.session_time", "0000:00:05.00"],
        ["cmi.core.exit", "suspend"]], finish=True)
    assert response.status_code == 200 and response.get_json()["lesson_status"] == "incomplete"
    assert response.get_json()["completed"] is False

    second = start(lms_client)
    values = second["values"]
    assert values["cmi.core.entry"] == "resume" and values["cmi.suspend_data"] == "halaman=2;jawaban=b"
    assert values["cmi.core.lesson_location"] == "halaman-2" and values["cmi.core.total_time"] == "0000:00:05.00"

    response = send(lms_client, second["session"], [
        ["cmi.core.score.raw", "85"], ["cmi.core.lesson_status", "passed"],
        ["cmi.core.session_time", "0000:00:07.50"], ["cmi.interactions.0.id", "soal-1"],
        ["cmi.interactions.0.result", "correct"]], finish=True)
    body = response.get_json()
    assert body["lesson_status"] == "passed" and body["completed"] and body["course_completed"]
    assert body["total_time"] == "0000:00:12.50"
    with lms_app.app_context():
        enrollment = db.session.scalar(select(Enrollment))
        assert enrollment.completed_at is not None and enrollment.jp_awarded == 3
        assert db.session.scalar(select(LessonProgress.lesson_key)) == "modul"
    row = state_row(lms_app)
    assert row.score_raw == 85 and row.interactions[0]["id"] == "soal-1"
    assert start(lms_client)["values"]["cmi.core.entry"] == ""  # exit was not "suspend"


def test_mastery_score_decides_and_failed_never_completes(lms_app, lms_client, learner):
    session = start(lms_client)["session"]
    body = send(lms_client, session, [["cmi.core.score.raw", "70"], ["cmi.core.lesson_status", "completed"]]).get_json()
    assert body["lesson_status"] == "failed" and body["completed"] is False
    body = send(lms_client, session, [["cmi.core.score.raw", "80"]]).get_json()
    assert body["lesson_status"] == "passed" and body["completed"] is True


def test_a_sco_that_ran_is_at_least_incomplete_and_incomplete_never_completes(lms_app, lms_client, learner):
    session = start(lms_client)["session"]
    body = send(lms_client, session, [["cmi.suspend_data", "x"]]).get_json()
    assert body["lesson_status"] == "incomplete" and body["completed"] is False
    with lms_app.app_context():
        assert db.session.scalar(select(LessonProgress)) is None


@pytest.mark.parametrize("values, element, code", [
    ([["cmi.core.lesson_status", "lulus"]], "cmi.core.lesson_status", 405),
    ([["cmi.core.score.raw", "101"]], "cmi.core.score.raw", 405),
    ([["cmi.suspend_data", "x" * 4097]], "cmi.suspend_data", 405),
    ([["cmi.core.student_id", "123"]], "cmi.core.student_id", 403),
    ([["cmi.core.total_time", "9999:00:00"]], "cmi.core.total_time", 403),
    ([["cmi.interactions.3.id", "q"]], "cmi.interactions.3.id", 201),
    ([["cmi.core._children", "x"]], "cmi.core._children", 402),
    ([["cmi.core.lesson_status", 1]], "cmi.core.lesson_status", 405),
])
def test_bad_values_are_refused_and_nothing_is_saved(lms_app, lms_client, learner, values, element, code):
    session = start(lms_client)["session"]
    response = send(lms_client, session, [["cmi.suspend_data", "disimpan?"], *values])
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_value" and error["message"]
    assert [(d["element"], d["code"]) for d in error["details"]["values"]] == [(element, code)]
    assert state_row(lms_app).suspend_data == ""


@pytest.mark.parametrize("payload, code", [
    ({"values": []}, "invalid_body"),
    ({"session": "x", "values": "cmi.core.lesson_status=passed"}, "invalid_body"),
    ({"session": "x", "values": [], "finish": "ya"}, "invalid_body"),
    ([1, 2], "invalid_body"),
])
def test_malformed_bodies_get_a_json_error(lms_client, learner, payload, code):
    start(lms_client)
    response = post_json(lms_client, f"{BASE}/modul/commit", payload)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == code


def test_invalid_json(lms_client, learner):
    response = lms_client.post(f"{BASE}/modul/commit", data="{bukan json", content_type="application/json",
                               headers={"X-CSRFToken": lms_client.csrf_token("/"), "Accept": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json"


def test_session_time_is_counted_once(lms_app, lms_client, learner):
    session = start(lms_client)["session"]
    for seconds in ("10", "20", "30"):
        send(lms_client, session, [["cmi.core.session_time", f"0000:00:{seconds}"]])
    send(lms_client, session, [], finish=True)
    send(lms_client, session, [["cmi.core.session_time", "0000:00:40"]])  # late, after finishing
    assert state_row(lms_app).total_time_cs == 4000
    session = start(lms_client)["session"]
    send(lms_client, session, [["cmi.core.session_time", "0000:01:00"]])
    assert start(lms_client)["values"]["cmi.core.total_time"] == "0000:01:40.00"


def test_a_replaced_session_is_refused(lms_client, learner):
    old = start(lms_client)["session"]
    start(lms_client)
    response = send(lms_client, old, [["cmi.suspend_data", "dari jendela lama"]])
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "session_closed"


def test_csrf_is_required(lms_client, learner):
    response = post_json(lms_client, f"{BASE}/modul/session", csrf=False)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_request"


def test_a_beacon_form_commit_is_accepted(lms_app, lms_client, learner):
    session = start(lms_client)["session"]
    payload = json.dumps({"session": session, "values": [["cmi.suspend_data", "lewat beacon"]]})
    response = lms_client.post(f"{BASE}/modul/commit",
                               data={"csrf_token": lms_client.csrf_token("/"), "payload": payload})
    assert response.status_code == 200 and state_row(lms_app).suspend_data == "lewat beacon"


def test_manual_completion_is_refused_for_scorm(lms_client, learner):
    response = lms_client.submit(f"/learn/{SLUG}/modul/complete", form_page=f"/learn/{SLUG}/modul")
    assert response.status_code == 403


def test_lesson_page_embeds_the_sandboxed_player_without_a_button(lms_client, learner, lms_queries):
    lms_client.get(f"/learn/{SLUG}/modul")
    with lms_queries() as queries:
        page = lms_client.get(f"/learn/{SLUG}/modul").get_data(as_text=True)
    assert 'sandbox="allow-scripts allow-forms allow-popups allow-modals allow-downloads"' in page  # no allow-same-origin
    assert f'data-session-url="{BASE}/modul/session"' in page and "js/scorm-api.js" in page
    assert "Mark as complete" not in page and "Tandai selesai" not in page
    assert queries.count <= 14, queries.statements


def test_session_start_takes_constant_queries(lms_app, lms_client, learner, lms_queries):
    session = start(lms_client)["session"]
    with lms_queries() as few:
        start(lms_client)
    session = start(lms_client)["session"]
    send(lms_client, session, [[f"cmi.interactions.{n}.id", f"q{n}"] for n in range(40)]
         + [[f"cmi.objectives.{n}.id", f"o{n}"] for n in range(20)])
    with lms_queries() as many:
        data = start(lms_client)
    assert len(data["interactions"]) == 40 and len(data["objectives"]) == 20
    assert many.count == few.count <= 12, many.statements


def test_content_is_served_with_restrictive_headers(lms_client, learner):
    start(lms_client)
    response = lms_client.get(f"{BASE}/modul/content/sco/index.html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "connect-src 'self'" in policy and "form-action 'none'" in policy and "frame-ancestors 'self'" in policy
    assert "http" not in policy and "sandbox allow-scripts" in policy  # same origin: sandboxed
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    again = lms_client.get(f"{BASE}/modul/content/sco/index.html", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert lms_client.get(f"{BASE}/modul/content/sco/sco.js").mimetype == "text/javascript"
    assert lms_client.get(f"{BASE}/modul/content/sco/hilang.js").status_code == 404
    assert lms_client.get(f"{BASE}/modul/content/../../../etc/passwd").status_code == 404
    assert lms_client.get(f"{BASE}/modul/content/sco/..%2Fimsmanifest.xml").status_code == 404


def test_an_asset_item_completes_when_launched(lms_app, lms_client, lms_auth, lms_user):
    import_scorm_course(lms_app, item="ITEM-RINGKASAN")
    lms_auth.login(lms_user())
    lms_client.submit(f"/courses/{SLUG}/enrol", form_page=f"/courses/{SLUG}")
    assert start(lms_client)["launch"].endswith("/ringkasan.html")
    with lms_app.app_context():
        assert db.session.scalar(select(LessonProgress.lesson_key)) == "modul"


# ------------------------------------------------------------------------- access


@pytest.mark.parametrize("role, content, session, recorded", [
    ("anonymous", 404, 401, None),
    ("unenrolled", 404, 404, None),
    ("learner", 200, 200, True),
    ("author", 200, 200, False),
    ("other_author", 404, 404, None),
    ("admin", 200, 200, False),
])
def test_access_per_role(lms_app, lms_client, lms_auth, lms_user, scorm_course, role, content, session, recorded):
    if role != "anonymous":
        user = lms_user({"unenrolled": "learner", "other_author": "author"}.get(role, role))
        lms_auth.login(user)
        if role == "author":
            with lms_app.app_context():
                authoring.add_author(db.session.get(Course, scorm_course), db.session.get(User, user.id))
        if role == "learner":
            lms_client.submit(f"/courses/{SLUG}/enrol", form_page=f"/courses/{SLUG}")
    assert lms_client.get(f"{BASE}/modul/content/sco/index.html").status_code == content
    headers = {"Accept": "application/json", "X-CSRFToken": lms_client.csrf_token("/")}
    response = lms_client.post(f"{BASE}/modul/session", headers=headers)
    assert response.status_code == session
    if recorded is None:
        return
    body = response.get_json()
    commit = lms_client.post(f"{BASE}/modul/commit", headers=headers, json={
        "session": body["session"], "values": [["cmi.core.lesson_status", "completed"]]})
    assert commit.status_code == 200 and commit.get_json()["recorded"] is recorded
    assert (state_row(lms_app) is not None) is recorded
    if not recorded:
        assert body["values"]["cmi.core.lesson_mode"] == "browse"
        assert send(lms_client, body["session"], [["cmi.core.score.raw", "500"]]).status_code == 400


def test_a_draft_is_previewed_by_its_authors_only(lms_app, lms_client, lms_auth, lms_user):
    course_id = import_scorm_course(lms_app, publish=False)
    author = lms_user("author")
    with lms_app.app_context():
        authoring.add_author(db.session.get(Course, course_id), db.session.get(User, author.id))
    lms_auth.login(author)
    page = lms_client.get(f"/author/courses/{SLUG}/versions/1/modul").get_data(as_text=True)
    assert f'data-session-url="{BASE}/modul/session"' in page
    data = start(lms_client)
    assert data["preview"] is True and data["values"]["cmi.core.credit"] == "no-credit"
    assert lms_client.get(data["launch"].split("?")[0]).status_code == 200


def test_other_lessons_are_not_scorm(lms_app, lms_client, lms_auth, lms_user):
    import_scorm_course(lms_app, markdown=True)
    lms_auth.login(lms_user())
    lms_client.submit(f"/courses/{SLUG}/enrol", form_page=f"/courses/{SLUG}")
    assert post_json(lms_client, f"{BASE}/bacaan/session").status_code == 404
    assert lms_client.get(f"{BASE}/bacaan/content/sco/index.html").status_code == 404


@pytest.mark.parametrize("name, expected", [
    ("Sukarno", "Sukarno"), ("Budi Santoso", "Santoso, Budi"), ("Hj. Siti Nurhaliza Putri, S.E., M.M.",
                                                                  "Putri, Siti Nurhaliza"),
    ("Ir. Joko", "Joko"),
])
def test_student_name(name, expected):
    assert student_name(name) == expected
