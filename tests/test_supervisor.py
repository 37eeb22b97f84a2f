"""The direct supervisor (atasan) of an account: set by admins, in the CSV import and the API."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from lms.database import db
from lms.errors import ValidationFailed
from lms.models import User
from lms.services import user_admin, user_import

HEADER = "nip;nama;email;kode_unit;atasan_nip"


def nip(n: int) -> str:
    birth = dt.date(1980, 1, 1) + dt.timedelta(days=n)
    return f"{birth:%Y%m%d}200501{1 + n % 2}{n + 1:03d}"


def supervisor_of(app, user_id: int) -> int | None:
    with app.app_context():
        return db.session.get(User, user_id).supervisor_id


def edit(client, user, units, supervisor: str):
    return client.post(f"/admin/users/{user.id}/edit", data={
        "csrf_token": client.csrf_token("/"), "name": user.name, "email": user.email, "nip": user.nip,
        "unit_id": str(units.ids["DISDIK-SD"]), "jabatan": "", "golongan": "", "supervisor": supervisor})


@pytest.fixture
def english(lms_client):
    lms_client.submit("/language", {"lang": "en", "next": "/"}, form_page="/")


def test_admin_sets_the_supervisor_by_nip_or_email_and_sees_it(lms_app, lms_client, lms_auth, lms_user,
                                                               units, english):
    staff = lms_user(name="Staf Satu", unit=units.sd)
    boss = lms_user(name="Kepala Bidang", unit=units.disdik)
    lms_auth.login(lms_user("admin"))
    assert edit(lms_client, staff, units, boss.nip).status_code == 302
    assert supervisor_of(lms_app, staff.id) == boss.id
    page = lms_client.get(f"/admin/users/{staff.id}").get_data(as_text=True)
    assert "Kepala Bidang" in page
    form = lms_client.get(f"/admin/users/{staff.id}/edit").get_data(as_text=True)
    assert f'value="{boss.nip}"' in form
    assert edit(lms_client, staff, units, boss.email.upper()).status_code == 302
    assert supervisor_of(lms_app, staff.id) == boss.id
    assert edit(lms_client, staff, units, "").status_code == 302
    assert supervisor_of(lms_app, staff.id) is None


@pytest.mark.parametrize("case, message", [
    ("self", "cannot be their own supervisor"),
    ("loop", "already supervises"),
    ("unknown", "No active account"),
    ("inactive", "No active account"),
])
def test_bad_supervisors_are_refused_with_a_message(lms_app, lms_client, lms_auth, lms_user, units,
                                                    english, case, message):
    staff = lms_user(unit=units.sd)
    other = lms_user(unit=units.sd)
    with lms_app.app_context():
        if case == "loop":  # other reports to staff already: staff cannot report to other
            db.session.get(User, other.id).supervisor_id = staff.id
        if case == "inactive":
            db.session.get(User, other.id).active = False
        db.session.commit()
    ref = {"self": staff.nip, "unknown": "198001012005011999"}.get(case, other.nip)
    lms_auth.login(lms_user("admin"))
    response = edit(lms_client, staff, units, ref)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert supervisor_of(lms_app, staff.id) == (None if case != "loop" else None)


def test_a_unit_admin_names_supervisors_in_their_subtree_or_above_only(lms_app, lms_user, units):
    ua = lms_user("unit_admin", unit=units.disdik)
    staff = lms_user(unit=units.sd)
    above = lms_user(unit=units.root)
    elsewhere = lms_user(unit=units.dinkes)
    with lms_app.app_context():
        actor, person = db.session.get(User, ua.id), db.session.get(User, staff.id)
        assert user_admin.find_supervisor(actor, person, above.nip).id == above.id
        with pytest.raises(ValidationFailed) as refused:
            user_admin.find_supervisor(actor, person, elsewhere.nip)
        assert "No active account" in str(refused.value.errors["supervisor"])


def test_subordinates_of_lists_active_direct_reports(lms_app, lms_user, units):
    boss = lms_user(name="Kepala", unit=units.disdik)
    people = [lms_user(name=name, unit=units.sd) for name in ("Budi", "Ani", "Cici")]
    with lms_app.app_context():
        for person in people:
            db.session.get(User, person.id).supervisor_id = boss.id
        db.session.get(User, people[2].id).active = False
        db.session.commit()
        assert [u.name for u in user_admin.subordinates_of(db.session.get(User, boss.id))] == ["Ani", "Budi"]


def test_csv_import_links_supervisors_in_the_file_and_already_registered(lms_app, lms_user, units):
    boss = lms_user(name="Kepala Dinas", unit=units.disdik)
    text = "\n".join([HEADER,
                      f"{nip(1)};Staf Satu;satu@example.go.id;DISDIK-SD;{nip(2)}",
                      f"{nip(2)};Kasubag;kasubag@example.go.id;DISDIK-SD;{boss.nip}",
                      f"{nip(3)};Staf Tiga;tiga@example.go.id;DISDIK-SD;"]) + "\n"
    with lms_app.app_context():
        user_import.run(text.encode())
        by_nip = {u.nip: u for u in db.session.scalars(select(User))}
        assert by_nip[nip(1)].supervisor_id == by_nip[nip(2)].id
        assert by_nip[nip(2)].supervisor_id == boss.id
        assert by_nip[nip(3)].supervisor_id is None


def test_csv_import_refuses_unknown_self_and_looping_supervisors(lms_app, units):
    text = "\n".join([HEADER,
                      f"{nip(1)};Satu;satu@example.go.id;DISDIK-SD;{nip(2)}",
                      f"{nip(2)};Dua;dua@example.go.id;DISDIK-SD;{nip(1)}",
                      f"{nip(3)};Tiga;tiga@example.go.id;DISDIK-SD;{nip(3)}",
                      f"{nip(4)};Empat;empat@example.go.id;DISDIK-SD;{nip(9)}"]) + "\n"
    with lms_app.app_context():
        plan = user_import.check(text.encode())
        found = [(p.line, p.column, p.english()) for p in plan.problems]
    assert found == [
        (2, "atasan_nip", "The supervisors in the file form a loop."),
        (3, "atasan_nip", "The supervisors in the file form a loop."),
        (4, "atasan_nip", "A person cannot be their own supervisor."),
        (5, "atasan_nip", f"No active account or row of the file has the supervisor NIP {nip(9)}."),
    ]


def test_api_sets_and_clears_the_supervisor(lms_app, lms_client, lms_user, units):
    from lms.services import tokens

    staff = lms_user(unit=units.sd)
    boss = lms_user(unit=units.disdik)
    admin = lms_user("admin")
    with lms_app.app_context():
        secret = tokens.create(db.session.get(User, admin.id), name="t", write=True, days=tokens.LIFETIMES[0])[1]
    headers = {"Authorization": f"Bearer {secret}"}
    response = lms_client.patch(f"/api/v1/users/{staff.id}", json={"supervisor": boss.email}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["supervisor_id"] == boss.id
    response = lms_client.patch(f"/api/v1/users/{staff.id}", json={"supervisor": staff.nip}, headers=headers)
    assert response.status_code in (400, 409, 422)
    assert supervisor_of(lms_app, staff.id) == boss.id
    response = lms_client.patch(f"/api/v1/users/{staff.id}", json={"supervisor": None}, headers=headers)
    assert response.status_code == 200 and response.get_json()["supervisor_id"] is None
