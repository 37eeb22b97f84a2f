"""Assignments at /admin/assignments: who may assign what to whom, due dates on /me, overdue lists."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from lms.database import db
from lms.models import (Assignment, AuditEntry, Enrollment, EnrollmentSource, EnrollmentStatus,
                        Notification, User)
from lms.services import admin_enrolment, assignments

LIST, NEW, OVERDUE, CSV_URL = ("/admin/assignments", "/admin/assignments/new",
                               "/admin/assignments/overdue", "/admin/assignments/overdue.csv")


@pytest.fixture
def course(lms_course):
    return lms_course("kursus-uji", lessons=2)


@pytest.fixture
def today(lms_app) -> dt.date:
    with lms_app.app_context():
        return assignments.local_today()


def english(app, *users) -> None:
    """Show these users the English msgids, whatever the Indonesian catalog says."""
    with app.app_context():
        for user in users:
            db.session.get(User, user.id).locale = "en"
        db.session.commit()


def assign(client, course, due_on: dt.date, *, unit_id=None, subunits=True, learners="", note="",
           **kwargs):
    """Submit the new-assignment form like a browser (the checkbox is left out when off)."""
    data = {"course_id": str(course.id) if hasattr(course, "id") else str(course),
            "unit_id": "" if unit_id is None else str(unit_id), "learners": learners,
            "due_on": due_on.isoformat(), "note": note}
    if subunits:
        data["include_subunits"] = "y"
    return client.submit(NEW, data, form_page="/", **kwargs)


def assign_direct(app, admin, course, due_on: dt.date, **kwargs) -> int:
    """Create an assignment through the service (no login switching); returns its id."""
    with app.app_context():
        user = db.session.get(User, admin.id)
        created = assignments.create(user, course_id=course.id, due_on=due_on,
                                     units=admin_enrolment.manageable_units(user), **kwargs)
        return created.assignment.id


def rows(app) -> dict[int, Enrollment]:
    """{user id: enrolment} of every enrolment, read from the database."""
    with app.app_context():
        return {e.user_id: e for e in db.session.scalars(select(Enrollment))}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def deactivate(app, user) -> None:
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()


def set_due(app, user, due_on: dt.date) -> None:
    with app.app_context():
        db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id)).due_on = due_on
        db.session.commit()


def data_counts(page: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-count="([a-z_]+)">(\d+)<', page)}


def complete_course(client, slug: str, keys) -> None:
    for key in keys:
        client.submit(f"/learn/{slug}/{key}/complete", form_page=f"/learn/{slug}/{key}")


# ------------------------------------------------------------------ access


GET_URLS = [LIST, NEW, OVERDUE, CSV_URL]


@pytest.mark.parametrize("url", GET_URLS + ["detail"])
@pytest.mark.parametrize("role, status", [
    (None, 302), ("learner", 403), ("author", 403), ("unit_admin", 200), ("admin", 200),
])
def test_get_access_by_role(lms_app, lms_client, lms_auth, lms_user, units, course, today, url, role,
                            status):
    admin = lms_user("admin")
    learner = lms_user(unit=units.disdik)
    assignment_id = assign_direct(lms_app, admin, course, today, learners_text=learner.email)
    if url == "detail":
        url = f"{LIST}/{assignment_id}"
    if role:
        lms_auth.login(lms_user(role, unit=units.disdik))
    response = lms_client.get(url)
    assert response.status_code == status
    if status == 302:
        assert response.location.startswith("/login?next=")


@pytest.mark.parametrize("role, status", [
    (None, 302), ("learner", 403), ("author", 403),
])
def test_post_refused_for_anonymous_learners_and_authors(lms_app, lms_client, lms_auth, lms_user, units,
                                                         course, today, role, status):
    target = lms_user(unit=units.disdik)
    if role:
        lms_auth.login(lms_user(role, unit=units.disdik))
    response = assign(lms_client, course, today, learners=target.email)
    assert response.status_code == status
    assert count(lms_app, Assignment) == 0 and rows(lms_app) == {}
    assert count(lms_app, Notification) == 0 and count(lms_app, AuditEntry) == 0


def test_post_without_csrf_token_is_refused(lms_app, lms_client, lms_auth, lms_user, course, today):
    target = lms_user()
    lms_auth.login(lms_user("admin"))
    response = lms_client.post(NEW, data={"course_id": course.id, "learners": target.email,
                                          "due_on": today.isoformat()})
    assert response.status_code == 400 and count(lms_app, Assignment) == 0


def test_unknown_assignment_is_404(lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user("admin"))
    assert lms_client.get(f"{LIST}/999").status_code == 404


# ------------------------------------------------------------------ assigning a unit


def test_assigning_a_unit_with_its_sub_units(lms_app, lms_client, lms_auth, lms_user, units, course,
                                             today):
    admin = lms_user("admin", unit=units.root)
    english(lms_app, admin)
    in_opd, in_sub = lms_user(unit=units.disdik), lms_user(unit=units.sd)
    inactive = lms_user(unit=units.sd)
    deactivate(lms_app, inactive)
    other, no_unit = lms_user(unit=units.dinkes), lms_user()
    lms_auth.login(admin)
    due = today + dt.timedelta(days=14)
    response = assign(lms_client, course, due, unit_id=units.ids["DISDIK"], note="Wajib untuk semua")
    assert response.status_code == 302
    with lms_app.app_context():
        assignment = db.session.scalar(select(Assignment))
        assert (assignment.unit_id, assignment.include_subunits, assignment.scope_unit_id) == (
            units.ids["DISDIK"], True, units.ids["DISDIK"])
        assert assignment.due_on == due and assignment.note == "Wajib untuk semua"
        assert assignment.created_by_id == admin.id and assignment.learner_count == 2
    assert response.location == f"{LIST}/{assignment.id}"
    page = lms_client.get(response.location).get_data(as_text=True)
    assert "Assigned to 2 learner(s); 2 newly enrolled." in page
    enrolled = rows(lms_app)
    assert set(enrolled) == {in_opd.id, in_sub.id}
    assert not {inactive.id, other.id, no_unit.id, admin.id} & set(enrolled)
    for row in enrolled.values():
        assert (row.source, row.enrolled_by_id, row.status) == (EnrollmentSource.ASSIGNED, admin.id,
                                                                EnrollmentStatus.ACTIVE)
        assert (row.due_on, row.assignment_id) == (due, assignment.id)


def test_assigning_a_unit_without_its_sub_units(lms_app, lms_client, lms_auth, lms_user, units, course,
                                                today):
    in_opd, in_sub = lms_user(unit=units.disdik), lms_user(unit=units.sd)
    lms_auth.login(lms_user("admin"))
    assign(lms_client, course, today, unit_id=units.ids["DISDIK"], subunits=False)
    assert set(rows(lms_app)) == {in_opd.id}
    assert in_sub.id not in rows(lms_app)
    with lms_app.app_context():
        assert db.session.scalar(select(Assignment.include_subunits)) is False


def test_assigning_listed_learners_by_email_and_nip(lms_app, lms_client, lms_auth, lms_user, units,
                                                    course, today):
    admin = lms_user("admin")
    by_email = lms_user(unit=units.sd, email="siti@semarangkota.go.id")
    by_nip = lms_user(unit=units.disdik, nip="199204202019032011")
    bystander = lms_user(unit=units.disdik)
    lms_auth.login(admin)
    response = assign(lms_client, course, today, learners="SITI@semarangkota.go.id\n19920420 201903 2 011")
    assert response.status_code == 302
    assert set(rows(lms_app)) == {by_email.id, by_nip.id} and bystander.id not in rows(lms_app)
    with lms_app.app_context():
        assignment = db.session.scalar(select(Assignment))
        # No unit assigned; the smallest unit holding both learners scopes it for unit admins.
        assert assignment.unit_id is None and assignment.scope_unit_id == units.ids["DISDIK"]


def test_listed_learners_from_different_agencies_are_visible_to_admins_only(lms_app, lms_user, units,
                                                                            course, today):
    admin = lms_user("admin")
    with_unit, without = lms_user(unit=units.disdik), lms_user()
    assign_direct(lms_app, admin, course, today, learners_text=f"{with_unit.email} {without.email}")
    with lms_app.app_context():
        assert db.session.scalar(select(Assignment.scope_unit_id)) is None


def test_existing_enrolments_keep_their_source_and_progress(lms_app, lms_client, lms_auth, lms_user,
                                                            units, course, today):
    learner = lms_user(unit=units.disdik)
    lms_auth.login(learner)
    lms_client.submit("/courses/kursus-uji/enrol", form_page="/courses/kursus-uji")
    complete_course(lms_client, "kursus-uji", course.lesson_keys[:1])
    before = rows(lms_app)[learner.id]
    lms_auth.logout()
    admin = lms_user("admin")
    english(lms_app, admin)
    lms_auth.login(admin)
    response = assign(lms_client, course, today + dt.timedelta(days=7), learners=learner.email,
                      follow_redirects=True)
    assert "Assigned to 1 learner(s); 0 newly enrolled." in response.get_data(as_text=True)
    after = rows(lms_app)[learner.id]
    assert after.id == before.id and after.source == EnrollmentSource.SELF
    assert after.due_on == today + dt.timedelta(days=7) and after.assignment_id is not None


def test_withdrawn_learner_is_enrolled_again(lms_app, lms_client, lms_auth, lms_user, course, today):
    learner = lms_user()
    lms_auth.login(learner)
    lms_client.submit("/courses/kursus-uji/enrol", form_page="/courses/kursus-uji")
    lms_client.submit("/courses/kursus-uji/leave", form_page="/courses/kursus-uji")
    lms_auth.logout()
    assign_direct(lms_app, lms_user("admin"), course, today, learners_text=learner.email)
    row = rows(lms_app)[learner.id]
    assert (row.status, row.source) == (EnrollmentStatus.ACTIVE, EnrollmentSource.ASSIGNED)


def test_the_earliest_due_date_wins(lms_app, lms_user, course, today):
    admin, learner = lms_user("admin"), lms_user()
    later = assign_direct(lms_app, admin, course, today + dt.timedelta(days=10), learners_text=learner.email)
    assert rows(lms_app)[learner.id].assignment_id == later
    earlier = assign_direct(lms_app, admin, course, today + dt.timedelta(days=5), learners_text=learner.email)
    assign_direct(lms_app, admin, course, today + dt.timedelta(days=20), learners_text=learner.email)
    row = rows(lms_app)[learner.id]
    assert (row.due_on, row.assignment_id) == (today + dt.timedelta(days=5), earlier)
    with lms_app.app_context():
        kinds = db.session.scalars(select(Notification.dedup_key).order_by(Notification.id)).all()
    # Told about the first assignment and the earlier date; not about the later one.
    assert kinds == [f"assignment:{later}:{learner.id}", f"assignment:{earlier}:{learner.id}"]


def test_learners_who_completed_are_linked_but_not_mailed(lms_app, lms_client, lms_auth, lms_user,
                                                          course, today):
    learner = lms_user()
    lms_auth.login(learner)
    lms_client.submit("/courses/kursus-uji/enrol", form_page="/courses/kursus-uji")
    complete_course(lms_client, "kursus-uji", course.lesson_keys)
    lms_auth.logout()
    with lms_app.app_context():
        certificate_mail = db.session.scalar(select(func.count()).where(Notification.kind == "certificate"))
    assign_direct(lms_app, lms_user("admin"), course, today, learners_text=learner.email)
    row = rows(lms_app)[learner.id]
    assert row.completed_at is not None and row.assignment_id is not None
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).where(Notification.kind == "assignment")) == 0
        assert certificate_mail == 1


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize("case", ["past", "far", "both", "neither", "unknown", "bad-date"])
def test_invalid_assignments_change_nothing(lms_app, lms_client, lms_auth, lms_user, units, course, today,
                                            case):
    known = lms_user(unit=units.disdik)
    lms_auth.login(lms_user("admin"))
    kwargs = {"due_on": today, "learners": known.email}
    if case == "past":
        kwargs["due_on"] = today - dt.timedelta(days=1)
    elif case == "far":
        kwargs["due_on"] = today + dt.timedelta(days=366 * 6)
    elif case == "both":
        kwargs["unit_id"] = units.ids["DISDIK"]
    elif case == "neither":
        kwargs["learners"] = " \n "
    elif case == "unknown":
        kwargs["learners"] = f"{known.email} hantu@example.go.id"
    if case == "bad-date":
        response = lms_client.submit(NEW, {"course_id": course.id, "learners": known.email,
                                           "due_on": "31/02/2026", "unit_id": ""}, form_page="/")
    else:
        due_on = kwargs.pop("due_on")
        response = assign(lms_client, course, due_on, **kwargs)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'name="learners"' in page  # the form again, with the error
    assert count(lms_app, Assignment) == 0 and rows(lms_app) == {}
    assert count(lms_app, Notification) == 0 and count(lms_app, AuditEntry) == 0


@pytest.mark.parametrize("forged", ["999", "abc", "unpublished"])
def test_forged_course_is_refused(lms_app, lms_client, lms_auth, lms_user, lms_course, course, today,
                                  forged):
    draft = lms_course("draf", publish=False)
    learner = lms_user()
    lms_auth.login(lms_user("admin"))
    response = assign(lms_client, draft.id if forged == "unpublished" else forged, today,
                      learners=learner.email)
    assert response.status_code == 400 and count(lms_app, Assignment) == 0 and rows(lms_app) == {}


def test_the_service_refuses_an_unpublished_course(lms_app, lms_user, lms_course, today):
    draft = lms_course("draf", publish=False)
    learner = lms_user()
    with pytest.raises(assignments.AssignmentError):
        assign_direct(lms_app, lms_user("admin"), draft, today, learners_text=learner.email)
    assert count(lms_app, Assignment) == 0


def test_a_failure_inside_the_transaction_leaves_nothing_behind(lms_app, lms_user, units, course, today,
                                                                 monkeypatch):
    """Enrolments and notifications are written before the audit entry: all roll back together."""
    lms_user(unit=units.disdik)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(assignments.audit, "record", broken)
    with pytest.raises(RuntimeError):
        assign_direct(lms_app, lms_user("admin"), course, today, unit_id=units.ids["DISDIK"])
    with lms_app.app_context():
        db.session.rollback()
    assert count(lms_app, Assignment) == 0 and rows(lms_app) == {}
    assert count(lms_app, Notification) == 0


# ------------------------------------------------------------------ unit admins


@pytest.fixture
def unit_admin(lms_app, lms_auth, lms_user, units):
    """A unit admin of DISDIK, logged in."""
    user = lms_user("unit_admin", unit=units.disdik)
    english(lms_app, user)
    lms_auth.login(user)
    return user


def test_unit_admin_assigns_their_subtree(lms_app, lms_client, lms_user, units, course, today, unit_admin):
    in_sub, other = lms_user(unit=units.sd), lms_user(unit=units.dinkes)
    assert assign(lms_client, course, today, unit_id=units.ids["DISDIK-SD"]).status_code == 302
    assert set(rows(lms_app)) == {in_sub.id} and other.id not in rows(lms_app)
    page = lms_client.get(LIST).get_data(as_text=True)
    assert page.count("data-assignment=") == 1


def test_unit_select_offers_only_the_unit_admins_subtree(lms_client, units, course, unit_admin):
    page = lms_client.get(NEW).get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="unit_id".*?</select>', page, re.S).group(0)
    assert re.findall(r'value="([^"]*)"', select_html) == ["", str(units.ids["DISDIK"]),
                                                           str(units.ids["DISDIK-SD"])]


@pytest.mark.parametrize("forged", ["DINKES", "PEMKOT", "9999", "abc"])
def test_unit_admin_cannot_assign_another_unit(lms_app, lms_client, lms_user, units, course, today,
                                               unit_admin, forged):
    lms_user(unit=units.dinkes)
    lms_user(unit=units.sd)
    value = str(units.ids[forged]) if forged in units.ids else forged
    response = assign(lms_client, course, today, unit_id=value)
    assert response.status_code == 400
    assert count(lms_app, Assignment) == 0 and rows(lms_app) == {} and count(lms_app, Notification) == 0


@pytest.mark.parametrize("outsider_unit", ["DINKES", "PEMKOT", None])
def test_unit_admin_cannot_assign_users_outside_their_subtree(lms_app, lms_client, lms_user, units,
                                                              course, today, unit_admin, outsider_unit):
    mine = lms_user(unit=units.sd)
    outsider = lms_user(unit={"DINKES": units.dinkes, "PEMKOT": units.root, None: None}[outsider_unit])
    response = assign(lms_client, course, today, learners=f"{mine.email}\n{outsider.email}")
    assert response.status_code == 400
    assert outsider.email in response.get_data(as_text=True)
    assert count(lms_app, Assignment) == 0 and rows(lms_app) == {} and count(lms_app, AuditEntry) == 0


def test_unit_admin_of_another_unit_sees_nothing_of_it(lms_app, lms_client, lms_auth, lms_user, units,
                                                       course, today):
    admin = lms_user("admin")
    late = lms_user(unit=units.disdik)
    assignment_id = assign_direct(lms_app, admin, course, today, unit_id=units.ids["DISDIK"])
    set_due(lms_app, late, today - dt.timedelta(days=2))
    lms_auth.login(lms_user("unit_admin", unit=units.dinkes))
    assert lms_client.get(f"{LIST}/{assignment_id}").status_code == 404
    assert "data-assignment=" not in lms_client.get(LIST).get_data(as_text=True)
    assert "data-enrollment=" not in lms_client.get(OVERDUE).get_data(as_text=True)
    assert lms_client.get(f"{OVERDUE}?unit={units.ids['DISDIK']}").status_code == 404
    assert lms_client.get(f"{CSV_URL}?unit={units.ids['DISDIK']}").status_code == 404
    assert lms_client.get(CSV_URL).get_data(as_text=True).splitlines() == [",".join(assignments.CSV_HEADER)]


def test_unit_admin_of_a_parent_unit_sees_sub_unit_assignments(lms_app, lms_client, lms_auth, lms_user,
                                                               units, course, today):
    admin = lms_user("admin")
    lms_user(unit=units.sd)
    assignment_id = assign_direct(lms_app, admin, course, today, unit_id=units.ids["DISDIK-SD"])
    lms_auth.login(lms_user("unit_admin", unit=units.disdik))
    assert lms_client.get(f"{LIST}/{assignment_id}").status_code == 200
    lms_auth.logout()
    lms_auth.login(lms_user("unit_admin", unit=units.sd))
    assert lms_client.get(f"{LIST}/{assignment_id}").status_code == 200
    lms_auth.logout()
    lms_auth.login(lms_user("unit_admin"))  # no unit: manages nobody
    assert lms_client.get(f"{LIST}/{assignment_id}").status_code == 404


# ------------------------------------------------------------------ audit


def test_creating_an_assignment_is_audited(lms_app, lms_user, units, course, today):
    admin = lms_user("admin")
    lms_user(unit=units.sd)
    assignment_id = assign_direct(lms_app, admin, course, today, unit_id=units.ids["DISDIK"],
                                  include_subunits=True)
    with lms_app.app_context():
        entry = db.session.scalar(select(AuditEntry))
        assert (entry.actor_id, entry.action, entry.target_type, entry.target_id) == (
            admin.id, "assignment.created", "assignment", str(assignment_id))
        assert entry.unit_path == units.disdik.path
        assert entry.details == {"course": "kursus-uji", "due_on": today.isoformat(),
                                 "unit_code": "DISDIK", "include_subunits": True, "learners": 1,
                                 "enrolled": 1}


# ------------------------------------------------------------------ per-learner status


def test_detail_counts_learners_by_state(lms_app, lms_client, lms_auth, lms_user, units, course, today):
    admin = lms_user("admin")
    english(lms_app, admin)
    done, busy, idle, late, gone = (lms_user(name=n, unit=units.disdik)
                                    for n in ("Ani", "Budi", "Citra", "Dodi", "Eka"))
    assignment_id = assign_direct(lms_app, admin, course, today + dt.timedelta(days=3),
                                  unit_id=units.ids["DISDIK"])
    for learner, keys in ((done, course.lesson_keys), (busy, course.lesson_keys[:1])):
        lms_auth.login(learner)
        complete_course(lms_client, "kursus-uji", keys)
        lms_auth.logout()
    lms_auth.login(gone)
    lms_client.submit("/courses/kursus-uji/leave", form_page="/courses/kursus-uji")
    lms_auth.logout()
    set_due(lms_app, late, today - dt.timedelta(days=1))
    lms_auth.login(admin)
    page = lms_client.get(f"{LIST}/{assignment_id}").get_data(as_text=True)
    assert data_counts(page) == {"all": 5, "overdue": 1, "not_started": 1, "in_progress": 1,
                                 "completed": 1, "left": 1}
    states = dict(re.findall(r'<tr data-user="(\d+)">.*?data-state="([a-z_]+)"', page, re.S))
    assert states == {str(done.id): "completed", str(busy.id): "in_progress", str(idle.id): "not_started",
                      str(late.id): "overdue", str(gone.id): "left"}
    assert 'aria-valuenow="50"' in page and 'aria-valuenow="100"' in page
    only_late = lms_client.get(f"{LIST}/{assignment_id}?state=overdue").get_data(as_text=True)
    assert re.findall(r'<tr data-user="(\d+)">', only_late) == [str(late.id)]
    assert lms_client.get(f"{LIST}/{assignment_id}?state=bogus").status_code == 400
    listing = lms_client.get(LIST).get_data(as_text=True)
    assert data_counts(listing) == {"learners": 5, "completed": 1, "overdue": 1}


def test_detail_and_list_run_a_constant_number_of_queries(lms_app, lms_client, lms_auth, lms_user,
                                                          lms_queries, units, course, today):
    admin = lms_user("admin")
    counts = {}
    for size in (2, 12):
        learners = [lms_user(unit=units.sd) for _ in range(size)]
        assignment_id = assign_direct(lms_app, admin, course, today + dt.timedelta(days=size),
                                      learners_text=" ".join(u.email for u in learners))
        lms_auth.login(admin)
        with lms_queries() as q:
            assert lms_client.get(f"{LIST}/{assignment_id}").status_code == 200
        with lms_queries() as q_list:
            assert lms_client.get(LIST).status_code == 200
        with lms_queries() as q_overdue:
            assert lms_client.get(OVERDUE).status_code == 200
        counts[size] = (q.count, q_list.count, q_overdue.count)
        lms_auth.logout()
    assert counts[2] == counts[12]


# ------------------------------------------------------------------ learners' /me


def test_me_lists_assigned_courses_by_due_date(lms_app, lms_client, lms_auth, lms_user, lms_course, today):
    admin, learner = lms_user("admin"), lms_user()
    english(lms_app, learner)
    soon, later, late = (lms_course(slug, lessons=2) for slug in ("segera", "nanti", "terlambat"))
    lms_course("pilihan-sendiri", lessons=2)
    assign_direct(lms_app, admin, later, today + dt.timedelta(days=30), learners_text=learner.email)
    assign_direct(lms_app, admin, soon, today + dt.timedelta(days=2), learners_text=learner.email)
    assign_direct(lms_app, admin, late, today, learners_text=learner.email)
    with lms_app.app_context():
        row = db.session.scalar(select(Enrollment).where(Enrollment.course_id == late.id))
        row.due_on = today - dt.timedelta(days=4)
        db.session.commit()
    lms_auth.login(learner)
    lms_client.submit("/courses/pilihan-sendiri/enrol", form_page="/courses/pilihan-sendiri")
    page = lms_client.get("/me").get_data(as_text=True)
    section = page.split('id="assigned-heading"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'<h3><a href="/learn/([a-z-]+)">', section) == ["terlambat", "segera", "nanti"]
    assert "Assigned to you" in page
    cards = dict(zip(["terlambat", "segera", "nanti"], section.split('<article')[1:]))
    assert "is-overdue" in cards["terlambat"] and "Overdue" in cards["terlambat"]
    assert "2 days left" in cards["segera"] and "is-due-soon" in cards["segera"]
    assert "30 days left" in cards["nanti"] and "Overdue" not in cards["nanti"]
    assert "pilihan-sendiri" not in section  # self-chosen courses stay under "In progress"
    rest = page.split('id="assigned-heading"', 1)[1].split("</section>", 1)[1]
    assert 'href="/learn/pilihan-sendiri"' in rest and 'href="/learn/segera"' not in rest


def test_due_today_and_completed_assignments(lms_app, lms_client, lms_auth, lms_user, course, today):
    learner = lms_user()
    english(lms_app, learner)
    assign_direct(lms_app, lms_user("admin"), course, today, learners_text=learner.email)
    lms_auth.login(learner)
    assert "Due today" in lms_client.get("/me").get_data(as_text=True)
    complete_course(lms_client, "kursus-uji", course.lesson_keys)
    page = lms_client.get("/me").get_data(as_text=True)
    assert 'id="assigned-heading"' not in page  # completed: moved out to "Completed"
    assert "Kursus kursus-uji" in page.split("Completed", 1)[1]


def test_me_queries_do_not_grow_with_assignments(lms_app, lms_client, lms_auth, lms_user, lms_course,
                                                 lms_queries, today):
    admin, learner = lms_user("admin"), lms_user()
    slugs = [lms_course(f"wajib-{n}", lessons=2) for n in range(6)]
    lms_auth.login(learner)
    lms_client.submit("/courses/wajib-0/enrol", form_page="/courses/wajib-0")
    with lms_queries() as plain:
        assert lms_client.get("/me").status_code == 200
    for n, course in enumerate(slugs[1:], start=1):
        assign_direct(lms_app, admin, course, today + dt.timedelta(days=n), learners_text=learner.email)
    with lms_queries() as assigned:
        page = lms_client.get("/me").get_data(as_text=True)
    assert page.count("assigned-card") == 5
    assert assigned.count == plain.count


# ------------------------------------------------------------------ overdue list and CSV


@pytest.fixture
def overdue_setup(lms_app, lms_client, lms_auth, lms_user, units, course, today):
    """Three DISDIK learners assigned, two overdue (one halfway), one DINKES learner overdue."""
    admin = lms_user("admin")
    halfway = lms_user(name="=Ani Formula", unit=units.sd)
    idle = lms_user(name="Budi", unit=units.disdik)
    on_time = lms_user(name="Citra", unit=units.disdik)
    elsewhere = lms_user(name="Dodi", unit=units.dinkes)
    assign_direct(lms_app, admin, course, today + dt.timedelta(days=5),
                  learners_text=" ".join(u.email for u in (halfway, idle, on_time, elsewhere)))
    lms_auth.login(halfway)
    complete_course(lms_client, "kursus-uji", course.lesson_keys[:1])
    lms_auth.logout()
    for learner, days in ((halfway, 3), (idle, 1), (elsewhere, 2)):
        set_due(lms_app, learner, today - dt.timedelta(days=days))
    return SimpleNamespace(admin=admin, halfway=halfway, idle=idle, on_time=on_time, elsewhere=elsewhere)


def test_overdue_list_for_an_admin(lms_client, lms_auth, overdue_setup, units):
    lms_auth.login(overdue_setup.admin)
    page = lms_client.get(OVERDUE).get_data(as_text=True)
    names = re.findall(r'<tr data-enrollment="\d+">\s*<td>([^<]*)<br>', page)
    assert names == ["=Ani Formula", "Dodi", "Budi"]  # earliest due first
    assert 'aria-valuenow="50"' in page and 'aria-valuenow="0"' in page
    filtered = lms_client.get(f"{OVERDUE}?unit={units.ids['DISDIK']}").get_data(as_text=True)
    assert re.findall(r'<tr data-enrollment="\d+">\s*<td>([^<]*)<br>', filtered) == ["=Ani Formula", "Budi"]


def test_overdue_csv(lms_client, lms_auth, overdue_setup, units, today):
    lms_auth.login(overdue_setup.admin)
    response = lms_client.get(f"{CSV_URL}?unit={units.ids['DISDIK']}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="overdue-disdik-{today.isoformat()}.csv"')
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert table[0] == assignments.CSV_HEADER
    assert [row[0] for row in table[1:]] == ["'=Ani Formula", "Budi"]  # no spreadsheet formula
    first = dict(zip(table[0], table[1]))
    assert first["unit"] == "Bidang SD" and first["course"] == "Kursus kursus-uji"
    assert first["due_on"] == (today - dt.timedelta(days=3)).isoformat()
    assert first["days_overdue"] == "3" and first["progress_percent"] == "50"
    everything = list(csv.reader(io.StringIO(lms_client.get(CSV_URL).get_data(as_text=True))))
    assert len(everything) == 4


def test_overdue_list_for_a_unit_admin_is_their_subtree(lms_client, lms_auth, lms_user, overdue_setup,
                                                        units):
    lms_auth.login(lms_user("unit_admin", unit=units.disdik))
    page = lms_client.get(OVERDUE).get_data(as_text=True)
    assert re.findall(r'<tr data-enrollment="\d+">\s*<td>([^<]*)<br>', page) == ["=Ani Formula", "Budi"]
    assert lms_client.get(f"{OVERDUE}?unit={units.ids['DINKES']}").status_code == 404
    table = list(csv.reader(io.StringIO(lms_client.get(CSV_URL).get_data(as_text=True))))
    assert [row[0] for row in table[1:]] == ["'=Ani Formula", "Budi"]


# ------------------------------------------------------------------ later joiners


def test_sync_assignments_enrols_people_who_joined_the_unit(lms_app, lms_runner, lms_user, units, course,
                                                             today):
    admin = lms_user("admin")
    first = lms_user(unit=units.sd)
    assignment_id = assign_direct(lms_app, admin, course, today + dt.timedelta(days=7),
                                  unit_id=units.ids["DISDIK"], include_subunits=True)
    expired = assign_direct(lms_app, admin, course, today, unit_id=units.ids["DINKES"])
    with lms_app.app_context():  # an assignment whose due date has passed is left alone
        db.session.get(Assignment, expired).due_on = today - dt.timedelta(days=1)
        db.session.commit()
    newcomer, elsewhere = lms_user(unit=units.sd), lms_user(unit=units.dinkes)
    result = lms_runner.invoke(args=["lms", "sync-assignments"])
    assert result.exit_code == 0 and "1 learner(s) added" in result.output
    enrolled = rows(lms_app)
    assert set(enrolled) == {first.id, newcomer.id} and elsewhere.id not in enrolled
    assert enrolled[newcomer.id].assignment_id == assignment_id
    assert enrolled[newcomer.id].enrolled_by_id == admin.id
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).where(
            Notification.dedup_key == f"assignment:{assignment_id}:{newcomer.id}")) == 1
        assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "assignment.synced"
    again = lms_runner.invoke(args=["lms", "sync-assignments"])
    assert again.exit_code == 0 and "0 learner(s) added" in again.output
    assert count(lms_app, Notification) == 2
