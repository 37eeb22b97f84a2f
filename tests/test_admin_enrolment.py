"""Admin enrolment at /admin/courses/<slug>/enrolments: who may enrol whom, and what it writes."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, select

from lms.database import db
from lms.models import Course, Enrollment, EnrollmentSource, EnrollmentStatus, User

URL = "/admin/courses/kursus-uji/enrolments"
#: Indonesian texts (lms/translations/id/LC_MESSAGES/messages.po).
UNKNOWN = "Peserta tidak dikenal: "
OUTSIDE = "Di luar unit Anda: "
NOTHING = "Tuliskan peserta atau pilih unit."
NOT_A_CHOICE = "Bukan pilihan yang valid."


@pytest.fixture
def course(lms_course):
    return lms_course("kursus-uji", lessons=2)


def enrolments(app, slug: str = "kursus-uji") -> dict[int, Enrollment]:
    """{user id: enrolment} for the course, read straight from the database."""
    with app.app_context():
        rows = db.session.scalars(select(Enrollment).join(Course).where(Course.slug == slug)).all()
        return {e.user_id: e for e in rows}


def deactivate(app, user) -> None:
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()


def post(client, data: dict, url: str = URL, **kwargs):
    return client.submit(url, {"learners": "", "unit_id": "", **data}, form_page="/", **kwargs)


def enrolled_events(recorder) -> list[dict]:
    """The enrolments passed to learner_enrolled, in firing order (other hooks ignored)."""
    return [args["enrollment"] for hook, args in recorder.calls if hook == "learner_enrolled"]


def listed_names(page: str) -> list[str]:
    """Names in the enrolled-learners table (first cell of each body row)."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr><td>([^<]*)</td>", body)


def unit_options(page: str) -> list[str]:
    select_html = re.search(r'<select[^>]*name="unit_id".*?</select>', page, re.S).group(0)
    return re.findall(r'<option[^>]*value="([^"]*)"', select_html)


# ------------------------------------------------------------------ access


@pytest.mark.parametrize("role, status", [
    (None, 302), ("learner", 403), ("author", 403), ("unit_admin", 200), ("admin", 200),
])
def test_get_access_by_role(lms_client, lms_auth, lms_user, units, course, role, status):
    if role:
        lms_auth.login(lms_user(role, unit=units.disdik))
    response = lms_client.get(URL)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    if status == 302:
        assert response.location.startswith("/login?next=")
    elif status == 200:
        assert 'name="learners"' in page and 'name="unit_id"' in page
        assert "Peserta kursus" in page and "0 peserta" in page
    else:
        assert 'name="learners"' not in page


@pytest.mark.parametrize("role, status", [
    (None, 302), ("learner", 403), ("author", 403), ("unit_admin", 200), ("admin", 200),
])
def test_post_access_by_role(lms_app, lms_client, lms_auth, lms_user, units, course, role, status):
    target = lms_user(unit=units.sd)
    if role:
        lms_auth.login(lms_user(role, unit=units.disdik))
    response = post(lms_client, {"learners": target.email}, follow_redirects=status == 200)
    assert response.status_code == status
    if status == 302:
        assert response.location.startswith("/login?next=")
    if status == 200:
        assert "1 peserta didaftarkan." in response.get_data(as_text=True)
        assert list(enrolments(lms_app)) == [target.id]
    else:
        assert enrolments(lms_app) == {}


def test_post_without_csrf_token_is_refused(lms_app, lms_client, lms_auth, lms_user, course):
    target = lms_user()
    lms_auth.login(lms_user("admin"))
    response = lms_client.post(URL, data={"learners": target.email})
    assert response.status_code == 400 and enrolments(lms_app) == {}


def test_unknown_course_is_404_for_an_admin(lms_client, lms_auth, lms_user, course):
    lms_auth.login(lms_user("admin"))
    assert lms_client.get("/admin/courses/tidak-ada/enrolments").status_code == 404
    assert post(lms_client, {"learners": "x@example.go.id"},
                url="/admin/courses/tidak-ada/enrolments").status_code == 404


def test_unpublished_course_is_404(lms_client, lms_auth, lms_user, lms_course):
    lms_course("draf", publish=False)
    lms_auth.login(lms_user("admin"))
    assert lms_client.get("/admin/courses/draf/enrolments").status_code == 404


# ------------------------------------------------------------------ enrolling by email and NIP


def test_admin_enrols_by_email_and_nip(lms_app, lms_client, lms_auth, lms_user, course):
    admin = lms_user("admin")
    by_email = lms_user(email="siti@semarangkota.go.id")
    by_nip = lms_user(nip="199204202019032011")
    bystander = lms_user()
    lms_auth.login(admin)
    response = post(lms_client, {"learners": "  SITI@Semarangkota.go.id ,\n\n19920420 201903 2 011\n"})
    assert response.status_code == 302 and response.location == URL
    page = lms_client.get(URL).get_data(as_text=True)
    assert "2 peserta didaftarkan." in page and "2 peserta" in page
    assert sorted(listed_names(page)) == sorted([by_email.name, by_nip.name])
    rows = enrolments(lms_app)
    assert set(rows) == {by_email.id, by_nip.id}
    for row in rows.values():
        assert row.source == EnrollmentSource.ADMIN and row.enrolled_by_id == admin.id
        assert row.status == EnrollmentStatus.ACTIVE
    for learner in (by_email, by_nip):
        lms_auth.logout()
        lms_auth.login(learner)
        assert 'href="/learn/kursus-uji"' in lms_client.get("/me").get_data(as_text=True)
        assert lms_client.get("/learn/kursus-uji/pelajaran-1").status_code == 200
    lms_auth.logout()
    lms_auth.login(bystander)
    assert 'href="/learn/kursus-uji"' not in lms_client.get("/me").get_data(as_text=True)


@pytest.mark.parametrize("separator", ["\n", "\r\n", " ", ",", ", ", ";", "\t"])
def test_learners_may_be_separated_by_any_separator(lms_app, lms_client, lms_auth, lms_user, course,
                                                     separator):
    first, second = lms_user(), lms_user(nip="199204202019032011")
    lms_auth.login(lms_user("admin"))
    post(lms_client, {"learners": separator.join([first.email, "199204202019032011"])})
    assert set(enrolments(lms_app)) == {first.id, second.id}


def test_several_nips_with_spaces_on_one_line(lms_app, lms_client, lms_auth, lms_user, course):
    first = lms_user(nip="199204202019032011")
    second = lms_user(nip="198503122010011003")
    lms_auth.login(lms_user("admin"))
    post(lms_client, {"learners": "19920420 201903 2 011 19850312 201001 1 003"})
    assert set(enrolments(lms_app)) == {first.id, second.id}


def test_unknown_learners_are_listed_and_nobody_is_enrolled(lms_app, lms_client, lms_auth, lms_user,
                                                            course):
    known = lms_user()
    lms_auth.login(lms_user("admin"))
    response = post(lms_client, {"learners": f"{known.email}\nHantu@Example.go.id\n19990101 202001 1 001"})
    page = response.get_data(as_text=True)
    assert f"{UNKNOWN}199901012020011001, hantu@example.go.id" in page
    assert known.email not in page.split(UNKNOWN, 1)[1].split("<", 1)[0]
    assert enrolments(lms_app) == {}
    assert f"{known.email}\nHantu@Example.go.id" in page  # the text is kept to correct it


def test_empty_submission_asks_for_learners_or_a_unit(lms_app, lms_client, lms_auth, lms_user, course):
    lms_auth.login(lms_user("admin"))
    assert NOTHING in post(lms_client, {"learners": " \n , "}).get_data(as_text=True)
    assert enrolments(lms_app) == {}


def test_enrolling_twice_adds_nobody(lms_app, lms_client, lms_auth, lms_user, lms_events, course):
    learner = lms_user()
    lms_auth.login(lms_user("admin"))
    post(lms_client, {"learners": learner.email})
    first = enrolments(lms_app)[learner.id]
    response = post(lms_client, {"learners": learner.email}, follow_redirects=True)
    assert "0 peserta didaftarkan." in response.get_data(as_text=True)
    again = enrolments(lms_app)
    assert list(again) == [learner.id] and again[learner.id].id == first.id
    assert [e["user_id"] for e in enrolled_events(lms_events)] == [learner.id]


# ------------------------------------------------------------------ enrolling a unit


def test_enrolling_a_unit_takes_active_users_of_its_subtree(lms_app, lms_client, lms_auth, lms_user,
                                                           units, course, lms_events):
    admin = lms_user("admin", unit=units.root)
    in_opd, in_sub = lms_user(unit=units.disdik), lms_user(unit=units.sd)
    author_in_opd = lms_user("author", unit=units.disdik)
    inactive = lms_user(unit=units.sd)
    deactivate(lms_app, inactive)
    other_opd, no_unit = lms_user(unit=units.dinkes), lms_user()
    lms_auth.login(admin)
    response = post(lms_client, {"unit_id": str(units.ids["DISDIK"])}, follow_redirects=True)
    assert "3 peserta didaftarkan." in response.get_data(as_text=True)
    rows = enrolments(lms_app)
    assert set(rows) == {in_opd.id, in_sub.id, author_in_opd.id}
    assert not {inactive.id, other_opd.id, no_unit.id, admin.id} & set(rows)
    assert {(r.source, r.enrolled_by_id) for r in rows.values()} == {(EnrollmentSource.UNIT, admin.id)}
    assert sorted(e["user_id"] for e in enrolled_events(lms_events)) == sorted(rows)
    response = post(lms_client, {"unit_id": str(units.ids["DISDIK"])}, follow_redirects=True)
    assert "0 peserta didaftarkan." in response.get_data(as_text=True)  # idempotent
    assert set(enrolments(lms_app)) == set(rows) and len(enrolled_events(lms_events)) == 3


def test_enrolling_learners_and_a_unit_together(lms_app, lms_client, lms_auth, lms_user, units, course):
    listed, in_sub = lms_user(unit=units.dinkes), lms_user(unit=units.sd)
    lms_auth.login(lms_user("admin"))
    response = post(lms_client, {"learners": listed.email, "unit_id": str(units.ids["DISDIK-SD"])},
                    follow_redirects=True)
    assert "2 peserta didaftarkan." in response.get_data(as_text=True)
    rows = enrolments(lms_app)
    assert rows[listed.id].source == EnrollmentSource.ADMIN
    assert rows[in_sub.id].source == EnrollmentSource.UNIT


def test_unit_select_offers_every_unit_to_an_admin(lms_client, lms_auth, lms_user, units, course):
    lms_auth.login(lms_user("admin"))
    options = unit_options(lms_client.get(URL).get_data(as_text=True))
    assert options == ["", *(str(units.ids[c]) for c in ("PEMKOT", "DISDIK", "DISDIK-SD", "DINKES"))]


# ------------------------------------------------------------------ unit admins


@pytest.fixture
def unit_admin(lms_auth, lms_user, units):
    """A unit admin of DISDIK, logged in."""
    user = lms_user("unit_admin", unit=units.disdik)
    lms_auth.login(user)
    return user


def test_unit_admin_enrols_users_of_their_subtree(lms_app, lms_client, lms_user, units, course,
                                                  unit_admin):
    in_opd, in_sub = lms_user(unit=units.disdik), lms_user(unit=units.sd)
    response = post(lms_client, {"learners": f"{in_opd.email}\n{in_sub.nip}"}, follow_redirects=True)
    assert "2 peserta didaftarkan." in response.get_data(as_text=True)
    rows = enrolments(lms_app)
    assert set(rows) == {in_opd.id, in_sub.id}
    assert {r.enrolled_by_id for r in rows.values()} == {unit_admin.id}


def test_unit_admin_enrols_their_own_unit(lms_app, lms_client, lms_user, units, course, unit_admin):
    in_sub, other = lms_user(unit=units.sd), lms_user(unit=units.dinkes)
    post(lms_client, {"unit_id": str(units.ids["DISDIK"])})
    assert set(enrolments(lms_app)) == {unit_admin.id, in_sub.id}
    assert other.id not in enrolments(lms_app)


@pytest.mark.parametrize("outsider_unit", ["DINKES", "PEMKOT", None])
def test_unit_admin_cannot_enrol_a_user_outside_their_subtree(lms_app, lms_client, lms_user, units,
                                                              course, unit_admin, outsider_unit):
    mine = lms_user(unit=units.sd)
    outsider = lms_user(unit={"DINKES": units.dinkes, "PEMKOT": units.root, None: None}[outsider_unit])
    response = post(lms_client, {"learners": f"{mine.email}\n{outsider.email}"})
    page = response.get_data(as_text=True)
    assert f"{OUTSIDE}{outsider.email}" in page
    assert mine.email not in page.split(OUTSIDE, 1)[1].split("<", 1)[0]
    assert enrolments(lms_app) == {}  # all or nothing


def test_unit_select_offers_only_the_unit_admins_subtree(lms_client, units, course, unit_admin):
    options = unit_options(lms_client.get(URL).get_data(as_text=True))
    assert options == ["", str(units.ids["DISDIK"]), str(units.ids["DISDIK-SD"])]


@pytest.mark.parametrize("forged", ["DINKES", "PEMKOT", "9999", "abc", "-1"])
def test_unit_admin_cannot_enrol_another_unit_by_forging_the_form(lms_app, lms_client, lms_user, units,
                                                                  course, unit_admin, forged):
    lms_user(unit=units.dinkes)
    lms_user(unit=units.sd)
    value = str(units.ids[forged]) if forged in units.ids else forged
    response = post(lms_client, {"unit_id": value})
    assert response.status_code == 400
    assert 'name="learners"' in response.get_data(as_text=True)  # the form again, with the error
    assert enrolments(lms_app) == {}


def test_forged_unit_does_not_enrol_the_listed_learners_either(lms_app, lms_client, lms_user, units,
                                                               course, unit_admin):
    mine = lms_user(unit=units.sd)
    response = post(lms_client, {"learners": mine.email, "unit_id": str(units.ids["DINKES"])})
    assert response.status_code == 400 and enrolments(lms_app) == {}


def test_unit_admin_sees_only_learners_of_their_subtree(lms_app, lms_client, lms_auth, lms_user, units,
                                                        course):
    mine = [lms_user(name="Ani Disdik", unit=units.disdik), lms_user(name="Budi SD", unit=units.sd)]
    others = [lms_user(name="Citra Dinkes", unit=units.dinkes), lms_user(name="Dodi Tanpa Unit")]
    lms_auth.login(lms_user("admin"))
    post(lms_client, {"learners": " ".join(u.email for u in mine + others)})
    assert len(enrolments(lms_app)) == 4
    assert listed_names(lms_client.get(URL).get_data(as_text=True)) == [
        "Ani Disdik", "Budi SD", "Citra Dinkes", "Dodi Tanpa Unit"]
    lms_auth.logout()
    lms_auth.login(lms_user("unit_admin", unit=units.disdik))
    page = lms_client.get(URL).get_data(as_text=True)
    assert listed_names(page) == ["Ani Disdik", "Budi SD"] and "2 peserta" in page


def test_unit_admin_without_a_unit_manages_nobody(lms_app, lms_client, lms_auth, lms_user, units,
                                                  course):
    learner = lms_user(name="Ani Disdik", unit=units.disdik)
    lms_auth.login(lms_user("admin"))
    post(lms_client, {"learners": learner.email})
    lms_auth.logout()
    lms_auth.login(lms_user("unit_admin"))
    response = lms_client.get(URL)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert listed_names(page) == [] and "0 peserta" in page and unit_options(page) == [""]
    page = post(lms_client, {"learners": learner.email}).get_data(as_text=True)
    assert f"{OUTSIDE}{learner.email}" in page


# ------------------------------------------------------------------ keys and prerequisites


def test_admin_enrolment_bypasses_key_and_prerequisites(lms_app, lms_client, lms_auth, lms_user,
                                                        lms_course, course):
    lms_course("dasar")
    with lms_app.app_context():
        target = db.session.scalar(select(Course).where(Course.slug == "kursus-uji"))
        target.enrolment_key = "RAHASIA"
        target.prerequisites = [db.session.scalar(select(Course).where(Course.slug == "dasar"))]
        db.session.commit()
    learner = lms_user()
    lms_auth.login(learner)
    lms_client.submit("/courses/kursus-uji/enrol", {"key": "RAHASIA"}, form_page="/courses/kursus-uji")
    page = lms_client.get("/courses/kursus-uji").get_data(as_text=True)
    assert "Selesaikan kursus berikut terlebih dahulu: Kursus dasar" in page
    assert enrolments(lms_app) == {}  # self-enrolment is refused: the prerequisite is missing
    lms_auth.logout()
    lms_auth.login(lms_user("admin"))
    post(lms_client, {"learners": learner.email})
    assert list(enrolments(lms_app)) == [learner.id]
    lms_auth.logout()
    lms_auth.login(learner)
    assert lms_client.get("/learn/kursus-uji/pelajaran-1").status_code == 200


def test_self_enrolment_needs_the_key(lms_app, lms_client, lms_auth, lms_user, course):
    with lms_app.app_context():
        db.session.scalar(select(Course).where(Course.slug == "kursus-uji")).enrolment_key = "RAHASIA"
        db.session.commit()
    lms_auth.login(lms_user())
    lms_client.submit("/courses/kursus-uji/enrol", {"key": "salah"}, form_page="/courses/kursus-uji")
    assert "Kunci pendaftaran salah." in lms_client.get("/courses/kursus-uji").get_data(as_text=True)
    assert enrolments(lms_app) == {}


# ------------------------------------------------------------------ queries and events


def test_enrolled_list_runs_a_constant_number_of_queries(lms_app, lms_client, lms_auth, lms_user,
                                                         lms_queries, units, course):
    learners = [lms_user(unit=units.sd) for _ in range(30)]
    counts = {}
    for role in ("admin", "unit_admin"):
        lms_auth.login(lms_user(role, unit=units.disdik))
        for size in (3, 30):
            with lms_app.app_context():
                db.session.execute(delete(Enrollment))
                db.session.commit()
            post(lms_client, {"learners": " ".join(u.email for u in learners[:size])})
            assert len(enrolments(lms_app)) == size
            with lms_queries() as q:
                page = lms_client.get(URL).get_data(as_text=True)
            assert len(listed_names(page)) == size
            counts[role, size] = q.count
        lms_auth.logout()
    assert counts["admin", 3] == counts["admin", 30]
    assert counts["unit_admin", 3] == counts["unit_admin", 30]


def test_enrolled_list_is_paginated(lms_app, lms_client, lms_auth, lms_user, course):
    learners = [lms_user(name=f"Peserta {n:02d}") for n in range(55)]
    lms_auth.login(lms_user("admin"))
    post(lms_client, {"learners": " ".join(u.email for u in learners)})
    first = lms_client.get(URL).get_data(as_text=True)
    second = lms_client.get(URL + "?page=2").get_data(as_text=True)
    assert "55 peserta" in first and len(listed_names(first)) == 50
    assert "Halaman 1 dari 2" in first and 'href="/admin/courses/kursus-uji/enrolments?page=2"' in first
    assert listed_names(second) == [f"Peserta {n}" for n in range(50, 55)]
    assert "Halaman 2 dari 2" in second
    for page, shown in (("0", "Halaman 1 dari 2"), ("-3", "Halaman 1 dari 2"), ("99", "Halaman 2 dari 2")):
        assert shown in lms_client.get(f"{URL}?page={page}").get_data(as_text=True)


def test_learner_enrolled_fires_once_per_new_learner(lms_app, lms_client, lms_auth, lms_user, lms_events,
                                                     course):
    already, new_one, new_two = lms_user(), lms_user(), lms_user()
    lms_auth.login(already)
    lms_client.submit("/courses/kursus-uji/enrol", form_page="/courses/kursus-uji")
    lms_auth.logout()
    admin = lms_user("admin")
    lms_auth.login(admin)
    lms_events.calls.clear()
    post(lms_client, {"learners": f"{already.email}\n{new_one.email}\n{new_two.email}\n{new_one.nip}"})
    fired = enrolled_events(lms_events)
    assert sorted(e["user_id"] for e in fired) == sorted([new_one.id, new_two.id])
    assert all(e["enrolled_by_id"] == admin.id and e["source"] == EnrollmentSource.ADMIN for e in fired)
    assert enrolments(lms_app)[already.id].source == EnrollmentSource.SELF  # untouched


def test_no_event_when_the_enrolment_is_refused(lms_app, lms_client, lms_auth, lms_user, lms_events,
                                                course):
    known = lms_user()
    lms_auth.login(lms_user("admin"))
    post(lms_client, {"learners": f"{known.email} hantu@example.go.id"})
    assert enrolled_events(lms_events) == [] and enrolments(lms_app) == {}


def test_withdrawn_learner_is_re_enrolled(lms_app, lms_client, lms_auth, lms_user, lms_events, course):
    learner = lms_user()
    lms_auth.login(learner)
    lms_client.submit("/courses/kursus-uji/enrol", form_page="/courses/kursus-uji")
    lms_client.submit("/courses/kursus-uji/leave", form_page="/courses/kursus-uji")
    assert enrolments(lms_app)[learner.id].status == EnrollmentStatus.WITHDRAWN
    lms_auth.logout()
    lms_auth.login(lms_user("admin"))
    lms_events.calls.clear()
    response = post(lms_client, {"learners": learner.email}, follow_redirects=True)
    assert "1 peserta didaftarkan." in response.get_data(as_text=True)
    row = enrolments(lms_app)[learner.id]
    assert row.status == EnrollmentStatus.ACTIVE and row.source == EnrollmentSource.ADMIN
    assert [e["user_id"] for e in enrolled_events(lms_events)] == [learner.id]


def test_course_page_links_admins_to_enrolments(lms_client, lms_auth, lms_user, lms_course):
    lms_course("tautan")
    lms_auth.login(lms_user())
    assert "/admin/courses/tautan/enrolments" not in lms_client.get("/courses/tautan").get_data(as_text=True)
    lms_auth.logout()
    lms_auth.login(lms_user("unit_admin"))
    assert "/admin/courses/tautan/enrolments" in lms_client.get("/courses/tautan").get_data(as_text=True)
