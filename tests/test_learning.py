"""Enrolment rules, lesson navigation, progress, resume, completion and the /me dashboard."""
from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import func, select

from lms.database import db
from lms.models import Course, Enrollment, EnrollmentStatus, LessonProgress
from lms.plugin import CompletionRule, hookimpl
from lms.services import courses


def enrol(client, slug: str, key: str | None = None):
    data = {"key": key} if key is not None else {}
    return client.submit(f"/courses/{slug}/enrol", data, form_page=f"/courses/{slug}")


def complete(client, slug: str, key: str):
    return client.submit(f"/learn/{slug}/{key}/complete", form_page=f"/learn/{slug}/{key}")


def enrollment_of(app, user_id: int) -> Enrollment | None:
    with app.app_context():
        return db.session.scalar(select(Enrollment).where(Enrollment.user_id == user_id))


@pytest.fixture
def learner(lms_auth, lms_user):
    user = lms_user()
    lms_auth.login(user)
    return user


# ------------------------------------------------------------------ enrolment


def test_self_enrolment_opens_the_first_lesson(lms_app, lms_client, learner, lms_course, lms_events):
    course = lms_course("mandiri", lessons=3)
    response = enrol(lms_client, "mandiri")
    assert response.location == "/learn/mandiri"
    assert lms_client.get("/learn/mandiri").location == f"/learn/mandiri/{course.lesson_keys[0]}"
    row = enrollment_of(lms_app, learner.id)
    assert (row.status, row.source.value) == (EnrollmentStatus.ACTIVE, "self")
    assert lms_events.names() == ["learner_enrolled"]


def test_enrolment_requires_login(lms_client, lms_course):
    lms_course("login-dulu")
    page = lms_client.get("/courses/login-dulu").get_data(as_text=True)
    assert "/login?next=/courses/login-dulu" in page
    response = lms_client.post("/courses/login-dulu/enrol", data={"csrf_token": lms_client.csrf_token("/courses/login-dulu")})
    assert response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize("key, enrolled", [(None, False), ("salah", False), (" rahasia-2026 ", True)])
def test_enrolment_key(lms_app, lms_client, learner, lms_course, key, enrolled):
    course = lms_course("berkunci")
    with lms_app.app_context():
        db.session.get(Course, course.id).enrolment_key = "rahasia-2026"
        db.session.commit()
    assert 'name="key"' in lms_client.get("/courses/berkunci").get_data(as_text=True)
    enrol(lms_client, "berkunci", key)
    assert (enrollment_of(lms_app, learner.id) is not None) is enrolled
    if not enrolled:
        page = lms_client.get("/courses/berkunci").get_data(as_text=True)
        assert "kunci pendaftaran" in page.lower()


def test_assignment_only_course_refuses_self_enrolment(lms_app, lms_client, learner, lms_course):
    course = lms_course("penugasan")
    with lms_app.app_context():
        db.session.get(Course, course.id).self_enrolment = False
        db.session.commit()
    page = lms_client.get("/courses/penugasan").get_data(as_text=True)
    assert "hanya dapat diikuti melalui penugasan" in page
    enrol(lms_client, "penugasan")
    assert enrollment_of(lms_app, learner.id) is None


def test_prerequisites_must_be_completed_first(lms_app, lms_client, learner, lms_course):
    basic = lms_course("dasar", title="Kursus Dasar", lessons=1)
    advanced = lms_course("lanjutan", lessons=1)
    with lms_app.app_context():
        courses.set_prerequisites(db.session.get(Course, advanced.id), [db.session.get(Course, basic.id)])
    page = lms_client.get("/courses/lanjutan").get_data(as_text=True)
    assert "Selesaikan kursus berikut terlebih dahulu: Kursus Dasar" in page
    enrol(lms_client, "lanjutan")
    assert lms_client.get("/learn/lanjutan").status_code == 302  # refused, back to course page
    enrol(lms_client, "dasar")
    complete(lms_client, "dasar", basic.lesson_keys[0])
    assert enrol(lms_client, "lanjutan").location == "/learn/lanjutan"


def test_a_course_cannot_require_itself(lms_app, lms_course):
    course = lms_course("diri")
    with lms_app.app_context(), pytest.raises(Exception, match="cannot require itself"):
        row = db.session.get(Course, course.id)
        courses.set_prerequisites(row, [row])


def test_leave_and_come_back_keeps_progress(lms_app, lms_client, learner, lms_course):
    course = lms_course("keluar", lessons=3)
    enrol(lms_client, "keluar")
    complete(lms_client, "keluar", course.lesson_keys[0])
    lms_client.submit("/courses/keluar/leave", form_page="/courses/keluar")
    assert enrollment_of(lms_app, learner.id).status == EnrollmentStatus.WITHDRAWN
    assert lms_client.get(f"/learn/keluar/{course.lesson_keys[1]}").status_code == 302
    token = lms_client.csrf_token("/courses/keluar")
    assert lms_client.post(f"/learn/keluar/{course.lesson_keys[1]}/complete",
                           data={"csrf_token": token}).status_code == 403
    enrol(lms_client, "keluar")
    assert "1 dari 3 pelajaran wajib selesai" in lms_client.get("/courses/keluar").get_data(as_text=True)


def test_completed_course_cannot_be_left(lms_app, lms_client, learner, lms_course):
    course = lms_course("tuntas", lessons=1)
    enrol(lms_client, "tuntas")
    complete(lms_client, "tuntas", course.lesson_keys[0])
    page = lms_client.get("/courses/tuntas").get_data(as_text=True)
    assert 'action="/courses/tuntas/leave"' not in page and "Tinjau kursus" in page
    lms_client.submit("/courses/tuntas/leave", form_page="/courses/tuntas")
    assert enrollment_of(lms_app, learner.id).status == EnrollmentStatus.COMPLETED


def test_completing_a_lesson_of_a_course_you_are_not_in_is_forbidden(lms_client, learner, lms_course):
    course = lms_course("orang-lain")
    token = lms_client.csrf_token("/courses/orang-lain")
    response = lms_client.post(f"/learn/orang-lain/{course.lesson_keys[0]}/complete", data={"csrf_token": token})
    assert response.status_code == 403


# ------------------------------------------------------------------ lessons and progress


def test_lesson_pages_have_previous_and_next(lms_client, learner, lms_course):
    course = lms_course("navigasi", lessons=3)
    enrol(lms_client, "navigasi")
    first, middle, last = course.lesson_keys
    page = lms_client.get(f"/learn/navigasi/{middle}").get_data(as_text=True)
    assert f'rel="prev" href="/learn/navigasi/{first}"' in page
    assert f'rel="next" href="/learn/navigasi/{last}"' in page
    assert 'rel="prev"' not in lms_client.get(f"/learn/navigasi/{first}").get_data(as_text=True)
    assert lms_client.get("/learn/navigasi/tidak-ada").status_code == 404
    assert lms_client.get("/learn/tidak-ada/x").status_code == 404


def test_mark_complete_goes_to_the_next_lesson_and_counts_once(lms_app, lms_client, learner, lms_course):
    course = lms_course("sekali", lessons=3)
    enrol(lms_client, "sekali")
    first, second, _ = course.lesson_keys
    assert complete(lms_client, "sekali", first).location == f"/learn/sekali/{second}"
    complete(lms_client, "sekali", first)
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 1
    page = lms_client.get(f"/learn/sekali/{first}").get_data(as_text=True)
    assert "Pelajaran selesai" in page and 'action="/learn/sekali/' + first not in page
    assert "1 dari 3 pelajaran wajib selesai" in page


def test_resume_returns_to_the_last_lesson_visited(lms_client, learner, lms_course):
    course = lms_course("lanjut", lessons=4)
    enrol(lms_client, "lanjut")
    lms_client.get(f"/learn/lanjut/{course.lesson_keys[2]}")
    assert lms_client.get("/learn/lanjut").location == f"/learn/lanjut/{course.lesson_keys[2]}"


def test_optional_lessons_are_not_needed_for_completion(lms_app, lms_client, learner, lms_course):
    course = lms_course("opsional", lessons=3, optional=("pelajaran-3",))
    enrol(lms_client, "opsional")
    complete(lms_client, "opsional", course.lesson_keys[0])
    assert complete(lms_client, "opsional", course.lesson_keys[1]).location == "/me"
    assert enrollment_of(lms_app, learner.id).completed_at is not None
    assert "(opsional)" in lms_client.get("/courses/opsional").get_data(as_text=True)


def test_course_completion_is_recorded_once_with_its_events(lms_app, lms_client, learner, lms_course,
                                                            lms_events):
    course = lms_course("lengkap", lessons=2, jp=5)
    enrol(lms_client, "lengkap")
    for key in course.lesson_keys:
        complete(lms_client, "lengkap", key)
    first = enrollment_of(lms_app, learner.id)
    complete(lms_client, "lengkap", course.lesson_keys[0])
    again = enrollment_of(lms_app, learner.id)
    assert first.completed_at == again.completed_at and again.jp_awarded == 5
    assert again.completed_version_id == course.version_id
    calls = [call for call in lms_events.calls if call[0] != "lesson_viewed"]  # every page opened
    assert [name for name, _ in calls] == ["learner_enrolled", "lesson_completed", "lesson_completed",
                                           "course_completed", "certificate_issued"]
    assert calls[-2][1]["enrollment"]["jp_awarded"] == 5
    assert calls[-1][1]["certificate"]["jp"] == 5


class BrokenRule(CompletionRule):
    key = "broken"

    def is_met(self, state):
        raise RuntimeError("rule bug")


class BrokenRulePlugin:
    lms_api = "1.0"

    @hookimpl
    def register_completion_rules(self):
        return [BrokenRule()]


@pytest.mark.lms_config(PLUGIN_OBJECTS={"broken": BrokenRulePlugin()}, PLUGIN_ERRORS="log")
def test_a_failing_completion_rule_never_grants_completion(lms_app, lms_client, learner, lms_course, caplog):
    caplog.set_level(logging.ERROR)
    course = lms_course("aman", lessons=1)
    enrol(lms_client, "aman")
    assert complete(lms_client, "aman", course.lesson_keys[0]).status_code == 302
    assert enrollment_of(lms_app, learner.id).completed_at is None
    assert "completion rule broken failed" in caplog.text


# ------------------------------------------------------------------ dashboard


def test_dashboard_shows_progress_completions_and_jp(lms_app, lms_client, learner, lms_course):
    done = lms_course("selesai", lessons=1, jp=6)
    busy = lms_course("berjalan", lessons=4, jp=3)
    enrol(lms_client, "selesai")
    complete(lms_client, "selesai", done.lesson_keys[0])
    enrol(lms_client, "berjalan")
    complete(lms_client, "berjalan", busy.lesson_keys[0])
    page = lms_client.get("/me").get_data(as_text=True)
    assert "<strong>6</strong> / 20 JP" in page and "Kurang 14 JP lagi" in page
    assert 'aria-valuenow="30"' in page  # 6 of 20 JP
    assert 'aria-valuenow="25"' in page  # 1 of 4 lessons
    assert "Kursus selesai" in page and "Kursus berjalan" in page


def test_dashboard_counts_only_this_years_jp(lms_app, lms_client, learner, lms_course):
    course = lms_course("tahun-lalu", lessons=1, jp=8)
    enrol(lms_client, "tahun-lalu")
    complete(lms_client, "tahun-lalu", course.lesson_keys[0])
    with lms_app.app_context():
        from lms.models import JpEntry
        row = db.session.scalar(select(Enrollment))
        row.completed_at = dt.datetime(dt.date.today().year - 1, 12, 31, 16, 0, tzinfo=dt.timezone.utc)
        db.session.scalar(select(JpEntry)).year = dt.date.today().year - 1  # its ledger credit too
        db.session.commit()  # 23:00 WIB on 31 December: last year in Jakarta
    page = lms_client.get("/me").get_data(as_text=True)
    assert "<strong>0</strong> / 20 JP" in page and "Kursus tahun-lalu" in page


def test_reaching_the_target_is_celebrated(lms_client, learner, lms_course):
    course = lms_course("dua-puluh", lessons=1, jp=20)
    enrol(lms_client, "dua-puluh")
    complete(lms_client, "dua-puluh", course.lesson_keys[0])
    page = lms_client.get("/me").get_data(as_text=True)
    assert "Target tercapai" in page and 'aria-valuenow="100"' in page


def test_dashboard_requires_login(lms_client):
    assert lms_client.get("/me").status_code == 302
