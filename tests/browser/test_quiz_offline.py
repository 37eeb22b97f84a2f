"""A quiz survives a dropped connection: answers are kept on the device, sent when the
connection is back, put back after the tab is closed, and a failed submit can be retried."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import expect

SLUG = "kuis-sinyal-lemah"
QUESTIONS = [
    {"type": "single", "id": "ibu-kota", "text": "Ibu kota Provinsi Jawa Barat adalah ...",
     "options": [{"id": "a", "text": "Bandung", "fraction": 1},
                 {"id": "b", "text": "Semarang", "fraction": 0}]},
    {"type": "truefalse", "id": "jp-tahunan", "text": "Setiap ASN wajib mengikuti 20 JP per tahun.",
     "answer": True},
    {"type": "single", "id": "nip", "text": "Berapa digit NIP seorang ASN?",
     "options": [{"id": "a", "text": "16 digit", "fraction": 0},
                 {"id": "b", "text": "18 digit", "fraction": 1}]},
    {"type": "short", "id": "singkatan", "text": "Kepanjangan dari huruf A dalam ASN adalah ...",
     "answers": [{"text": "Aparatur", "fraction": 1}]},
]


def path_of(page) -> str:
    return urlsplit(page.url).path


def publish_course(lms_app) -> None:
    from lms.packages.manifest import parse_manifest
    from lms.services import courses
    from lms.testing import course_manifest

    manifest, bodies = course_manifest(SLUG, lessons=1, questions=QUESTIONS, quiz={"attempts": 5})
    spec, problems = parse_manifest(manifest)
    assert not problems, problems
    with lms_app.app_context():
        courses.publish(courses.import_version(spec, bodies))


def sign_in_and_start(page, live_server: str, user) -> str:
    """Sign in, enrol, start the quiz; returns the attempt page's path."""
    page.goto(f"{live_server}/login")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", user.password)
    page.locator("main form[method=post] button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{live_server}/courses/{SLUG}")
    page.locator('form[action$="/enrol"] button[type=submit]').click()
    page.wait_for_url(re.compile(rf"/learn/{SLUG}/"))
    page.goto(f"{live_server}/learn/{SLUG}/quiz/kuis")
    page.locator('form[action$="/start"] button[type=submit]').click()
    page.wait_for_url(re.compile(r"/learn/attempts/[0-9a-f]+$"))
    return path_of(page)


def section(page, question_id: str):
    text = next(q["text"] for q in QUESTIONS if q["id"] == question_id)
    return page.locator("section.question", has_text=text.rstrip(". ?"))  # Markdown makes "..." an ellipsis


def answer(page, question_id: str) -> None:
    """Answer one question correctly."""
    part = section(page, question_id)
    if question_id == "ibu-kota":
        part.get_by_label("Bandung", exact=True).check()
    elif question_id == "jp-tahunan":
        part.locator('input[type=radio][value="true"]').check()
    elif question_id == "nip":
        part.get_by_label("18 digit", exact=True).check()
    else:
        field = part.locator("input[type=text]")
        field.fill("Aparatur")
        field.blur()


def assert_answered(page, question_id: str) -> None:
    part = section(page, question_id)
    if question_id == "ibu-kota":
        expect(part.get_by_label("Bandung", exact=True)).to_be_checked()
    elif question_id == "jp-tahunan":
        expect(part.locator('input[type=radio][value="true"]')).to_be_checked()
    elif question_id == "nip":
        expect(part.get_by_label("18 digit", exact=True)).to_be_checked()
    else:
        expect(part.locator("input[type=text]")).to_have_value("Aparatur")


def wait_saved(page) -> None:
    saved = page.locator("#attempt").get_attribute("data-saved-text")
    page.wait_for_function("t => document.getElementById('save-state').textContent.startsWith(t)", arg=saved)


def saved_responses(lms_app, attempt_path: str) -> dict:
    from sqlalchemy import select

    from lms.database import db
    from lms.models import Attempt

    with lms_app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.uid == attempt_path.rsplit("/", 1)[1]))
        result = {q.question_key: q.response for q in attempt.questions}
        result["_state"] = attempt.state.value
        result["_score"] = attempt.score
        db.session.remove()
        return result


def test_offline_answers_are_restored_and_sent(live_server, phone, lms_app, lms_user):
    publish_course(lms_app)
    user = lms_user(email="sinyal@example.go.id")
    page, context = phone, phone.context
    attempt_path = sign_in_and_start(page, live_server, user)
    answer(page, "ibu-kota")
    wait_saved(page)

    # The connection drops: the next answers stay on the device, and the page says so.
    context.set_offline(True)
    answer(page, "jp-tahunan")
    answer(page, "singkatan")
    queued = page.locator("#attempt").get_attribute("data-queued-text")
    expect(page.locator("#save-state")).to_have_text(queued)
    assert saved_responses(lms_app, attempt_path)["jp-tahunan"] is None

    # The tab is closed while offline; later, with the connection back, the learner returns.
    page.close()
    context.set_offline(False)
    page = context.new_page()
    page.goto(live_server + attempt_path)
    for question in ("ibu-kota", "jp-tahunan", "singkatan"):
        assert_answered(page, question)
    wait_saved(page)  # the restored answers went to the server at once
    stored = saved_responses(lms_app, attempt_path)
    assert stored["jp-tahunan"] is True and stored["singkatan"] == "Aparatur", stored

    answer(page, "nip")
    page.locator("#submit-attempt").click()
    page.wait_for_url(re.compile(rf"{attempt_path}/review$"))
    expect(page.locator(".score")).to_contain_text("100%")
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('lms.attempt.'))") == []


def test_a_submit_without_connection_keeps_the_answers_and_goes_through_later(
        live_server, phone, lms_app, lms_user):
    publish_course(lms_app)
    user = lms_user(email="retry@example.go.id")
    page, context = phone, phone.context
    attempt_path = sign_in_and_start(page, live_server, user)
    answer(page, "ibu-kota")
    wait_saved(page)

    context.set_offline(True)
    for question in ("jp-tahunan", "nip", "singkatan"):
        answer(page, question)
    page.locator("#submit-attempt").click()
    failed = page.locator("#attempt").get_attribute("data-submit-failed-text")
    expect(page.locator("#save-state")).to_have_text(failed)
    assert path_of(page) == attempt_path
    for question in ("ibu-kota", "jp-tahunan", "nip", "singkatan"):
        assert_answered(page, question)
    expect(page.locator("#submit-attempt")).to_be_enabled()
    assert saved_responses(lms_app, attempt_path)["_state"] == "open"

    # The connection comes back: the submit the learner asked for goes through by itself.
    context.set_offline(False)
    page.wait_for_url(re.compile(rf"{attempt_path}/review$"))
    expect(page.locator(".score")).to_contain_text("100%")
    stored = saved_responses(lms_app, attempt_path)
    assert stored["_state"] == "graded" and stored["_score"] == 100, stored

    # Submitting the same attempt again (a retry whose first answer was lost) changes nothing.
    token = page.evaluate("document.querySelector('input[name=csrf_token]') &&"
                          " document.querySelector('input[name=csrf_token]').value")
    response = page.request.post(f"{live_server}{attempt_path}/submit",
                                 form={"csrf_token": token}, headers={"Accept": "application/json"})
    assert response.ok and response.json()["redirect"] == f"{attempt_path}/review", response.status
    assert saved_responses(lms_app, attempt_path)["_score"] == 100
