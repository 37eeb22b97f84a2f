"""A SCORM 1.2 package written for the tests runs in headless Chromium: it finds window.API,
suspends on the first visit, resumes on the second, passes, and the LMS records completion."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from lms.database import db
from lms.models import Course, Enrollment, LessonProgress, ScormState, User
from lms.services import enrollment, packages
from browser_helpers import sign_in

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "scorm12"
SLUG = "keamanan-informasi-dasar"


def scorm_zip(tmp_path: Path) -> Path:
    """The fixture folder zipped as an authoring tool exports it (imsmanifest.xml at the root)."""
    target = tmp_path / "scorm12.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(FIXTURE.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(FIXTURE).as_posix())
    target.write_bytes(buffer.getvalue())
    return target


def test_a_scorm_package_suspends_resumes_and_completes(lms_app, live_server, phone, lms_user, tmp_path):
    learner = lms_user(name="Budi Santoso")
    with lms_app.app_context():
        version = packages.import_path(scorm_zip(tmp_path), publish=True)
        enrollment.enroll_self(db.session.get(User, learner.id), db.session.get(Course, version.course_id))
        first_key = version.lessons[0].key
    sign_in(phone, live_server, learner.email, learner.password)

    # First visit: the SCO finds the API, starts ab-initio, saves where it is and suspends.
    phone.goto(f"{live_server}/learn/{SLUG}/{first_key}")
    player = phone.locator("[data-scorm]")
    assert "allow-same-origin" not in phone.locator("iframe.scorm-frame").get_attribute("sandbox")
    sco = phone.frame_locator("iframe.scorm-frame")
    expect(sco.locator("#api-status")).to_have_text("API siap")
    expect(sco.locator("#entry")).to_have_text("ab-initio")
    expect(sco.locator("#name")).to_have_text("Santoso, Budi")
    expect(sco.locator("#suspend")).to_have_text("")
    expect(sco.locator("#launch")).to_have_text("mode=uji")
    expect(sco.locator("#query")).to_have_text("?bagian=1")
    assert phone.locator("form[action$='/complete']").count() == 0
    sco.locator("#suspend-button").click()
    expect(sco.locator("#done")).to_have_text("ditangguhkan")
    expect(phone.locator(".scorm-status")).to_have_text(player.get_attribute("data-text-saved"))
    with lms_app.app_context():
        state = db.session.scalar(select(ScormState))
        assert (state.suspend_data, state.exit, state.lesson_status) == ("halaman=2;jawaban=b", "suspend", "incomplete")

    # Second visit: entry is "resume" with the saved data; passing with 85 (mastery 80) completes.
    phone.reload()
    expect(sco.locator("#entry")).to_have_text("resume")
    expect(sco.locator("#suspend")).to_have_text("halaman=2;jawaban=b")
    expect(sco.locator("#location")).to_have_text("halaman-2")
    sco.locator("#finish-button").click()
    expect(sco.locator("#done")).to_have_text("selesai false 405")  # score 150 refused by the runtime
    expect(phone.locator("[data-scorm-done]")).to_be_visible()
    with lms_app.app_context():
        state = db.session.scalar(select(ScormState))
        assert state.lesson_status == "passed" and state.score_raw == 85 and state.total_time_cs == 1250
        assert db.session.scalar(select(LessonProgress.lesson_key)) == first_key

    # The course page shows the lesson done; the other (an asset) is not yet.
    phone.goto(f"{live_server}/courses/{SLUG}")
    expect(phone.locator("li.done")).to_have_count(1)
    expect(phone.locator("li.done")).to_contain_text("Pengenalan Keamanan Informasi")

    # The second item is an asset: opening it completes it, and with it the course.
    second_key = f"{live_server}/learn/{SLUG}/item-ringkasan"
    phone.goto(second_key)
    expect(phone.frame_locator("iframe.scorm-frame").locator("h1")).to_have_text("Ringkasan")
    with lms_app.app_context():
        assert db.session.scalar(select(Enrollment.completed_at)) is not None
