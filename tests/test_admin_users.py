"""Accounts at /admin/users: who may do what, what each change writes, and the audit trail."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lms.database import db
from lms.models import Role, User
from lms.models.audit import AuditEntry

GOOD_NIP = "199204202019032011"
SHOWN_PASSWORD = re.compile(r"data-password>([^<]+)<")


@pytest.fixture
def english(lms_client):
    """Pages in English, so the assertions do not depend on the Indonesian catalogue."""
    lms_client.submit("/language", {"lang": "en", "next": "/"}, form_page="/")


def row(app, user_id: int) -> User:
    with app.app_context():
        return db.session.get(User, user_id)


def state(app) -> tuple:
    """Everything an admin page could change about accounts, plus the audit log size."""
    with app.app_context():
        users = db.session.execute(select(User.id, User.name, User.email, User.nip, User.role,
                                          User.active, User.unit_id, User.password_hash,
                                          User.must_change_password).order_by(User.id)).all()
        return tuple(users), db.session.scalar(select(func.count()).select_from(AuditEntry))


def entries(app, action: str | None = None) -> list[AuditEntry]:
    with app.app_context():
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return list(db.session.scalars(query))


def listed_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-user-id="(\d+)"', page)]


def new_user_data(units, **changes) -> dict:
    data = {"name": "Ani Baru", "email": "ani.baru@example.go.id", "nip": GOOD_NIP,
            "unit_id": str(units.ids["DISDIK-SD"]), "jabatan": "Guru", "golongan": "III/a",
            "role": "learner", "password": ""}
    return {**data, **changes}


def edit_data(units, user, **changes) -> dict:
    data = {"name": user.name, "email": user.email, "nip": user.nip or "",
            "unit_id": str(units.ids["DISDIK-SD"]), "jabatan": "", "golongan": ""}
    return {**data, **changes}


# ------------------------------------------------------------------ role matrix

ROUTES = [
    # (method, url, data, status for the unit admin of another unit, status when allowed)
    ("GET", "/admin/users", None, 200, 200),
    ("GET", "/admin/users/new", None, 200, 200),
    ("POST", "/admin/users/new", "new", 400, 200),
    ("GET", "/admin/users/{id}", None, 404, 200),
    ("GET", "/admin/users/{id}/edit", None, 404, 200),
    ("POST", "/admin/users/{id}/edit", "edit", 404, 302),
    ("POST", "/admin/users/{id}/role", {"role": "author"}, 404, 302),
    ("POST", "/admin/users/{id}/deactivate", {}, 404, 302),
    ("POST", "/admin/users/{id}/reactivate", {}, 404, 302),
    ("POST", "/admin/users/{id}/reset-password", {}, 404, 200),
]
ROLES = ["anonymous", "learner", "author", "other_unit_admin", "unit_admin", "admin"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, url, data, other, allowed", ROUTES)
def test_role_matrix(lms_app, lms_client, lms_auth, lms_user, units, role, method, url, data,
                     other, allowed):
    target = lms_user(name="Target Learner", unit=units.sd)
    if role != "anonymous":
        unit = {"other_unit_admin": units.dinkes}.get(role, units.disdik)
        lms_auth.login(lms_user("unit_admin" if role == "other_unit_admin" else role, unit=unit))
    if url.endswith("/reactivate"):
        with lms_app.app_context():
            db.session.get(User, target.id).active = False
            db.session.commit()
    url = url.format(id=target.id)
    if data == "new":
        data = new_user_data(units)
    elif data == "edit":
        data = edit_data(units, target, name="Nama Baru")
    payload = data
    before = state(lms_app)
    if method == "GET":
        response = lms_client.get(url)
    else:
        response = lms_client.post(url, data={**payload, "csrf_token": lms_client.csrf_token("/")})
    expected = {"anonymous": 302, "learner": 403, "author": 403, "other_unit_admin": other}.get(role, allowed)
    assert response.status_code == expected
    if role == "anonymous":
        assert response.location.startswith("/login?next=")
    if expected != allowed or role in ("anonymous", "learner", "author"):
        assert state(lms_app) == before  # refused: nothing changed
    elif method == "POST":
        assert state(lms_app) != before  # allowed: the change happened and was audited
        assert state(lms_app)[1] > before[1]
    if url == "/admin/users" and response.status_code == 200:
        assert (target.id in listed_ids(response.get_data(as_text=True))) == (role != "other_unit_admin")


def test_post_without_csrf_token_changes_nothing(lms_app, lms_client, lms_auth, lms_user, units):
    target = lms_user(unit=units.sd)
    lms_auth.login(lms_user("admin"))
    before = state(lms_app)
    assert lms_client.post(f"/admin/users/{target.id}/deactivate").status_code == 400
    assert lms_client.post("/admin/users/new", data=new_user_data(units)).status_code == 400
    assert state(lms_app) == before


def test_unknown_user_is_404(lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user("admin"))
    assert lms_client.get("/admin/users/9999").status_code == 404
    token = lms_client.csrf_token("/")
    assert lms_client.post("/admin/users/9999/deactivate", data={"csrf_token": token}).status_code == 404


# ------------------------------------------------------------------ list, search, filters


def test_search_by_name_nip_and_email(lms_client, lms_auth, lms_user, units):
    ani = lms_user(name="Ani Lestari", email="ani@disdik.go.id", nip=GOOD_NIP, unit=units.sd)
    budi = lms_user(name="Budi Santoso", email="budi@dinkes.go.id", unit=units.dinkes)
    lms_auth.login(lms_user("admin", name="Zed Admin"))
    for q, expected in (("lestari", [ani.id]), ("19920420 201903 2 011", [ani.id]),
                        ("DINKES.GO", [budi.id]), ("santoso", [budi.id]), ("tidak-ada", []),
                        ("100%_", [])):
        page = lms_client.get("/admin/users", query_string={"q": q}).get_data(as_text=True)
        assert listed_ids(page) == expected, q


def test_filter_by_unit_includes_sub_units(lms_client, lms_auth, lms_user, units):
    in_opd, in_sub = lms_user(unit=units.disdik), lms_user(unit=units.sd)
    lms_user(unit=units.dinkes)
    lms_auth.login(lms_user("admin"))
    page = lms_client.get("/admin/users", query_string={"unit_id": units.ids["DISDIK"]}).get_data(as_text=True)
    assert sorted(listed_ids(page)) == sorted([in_opd.id, in_sub.id])
    page = lms_client.get("/admin/users", query_string={"unit_id": units.ids["DISDIK-SD"]}).get_data(as_text=True)
    assert listed_ids(page) == [in_sub.id]


def test_filter_by_role_and_status(lms_app, lms_client, lms_auth, lms_user, units):
    author = lms_user("author", unit=units.sd)
    gone = lms_user(unit=units.sd)
    with lms_app.app_context():
        db.session.get(User, gone.id).active = False
        db.session.commit()
    admin = lms_user("admin")
    lms_auth.login(admin)
    assert listed_ids(lms_client.get("/admin/users?role=author").get_data(as_text=True)) == [author.id]
    assert listed_ids(lms_client.get("/admin/users?status=inactive").get_data(as_text=True)) == [gone.id]
    active = listed_ids(lms_client.get("/admin/users?status=active").get_data(as_text=True))
    assert sorted(active) == sorted([author.id, admin.id])


def test_unit_admin_sees_only_their_subtree_and_cannot_forge_a_unit_filter(lms_client, lms_auth,
                                                                           lms_user, units):
    mine = [lms_user(unit=units.disdik), lms_user(unit=units.sd)]
    lms_user(unit=units.dinkes)
    lms_user()  # no unit
    ua = lms_user("unit_admin", unit=units.disdik)
    lms_auth.login(ua)
    page = lms_client.get("/admin/users").get_data(as_text=True)
    assert sorted(listed_ids(page)) == sorted([u.id for u in mine] + [ua.id])
    forged = lms_client.get("/admin/users", query_string={"unit_id": units.ids["DINKES"]})
    assert forged.status_code == 200
    assert sorted(listed_ids(forged.get_data(as_text=True))) == sorted([u.id for u in mine] + [ua.id])


def test_unit_admin_without_unit_sees_nobody(lms_client, lms_auth, lms_user, units):
    lms_user(unit=units.sd)
    lms_auth.login(lms_user("unit_admin"))
    assert listed_ids(lms_client.get("/admin/users").get_data(as_text=True)) == []


def test_list_is_paginated(lms_client, lms_auth, lms_user):
    for n in range(55):
        lms_user(name=f"Peserta {n:02d}")
    lms_auth.login(lms_user("admin", name="Admin Zulu"))
    first = lms_client.get("/admin/users").get_data(as_text=True)
    second = lms_client.get("/admin/users?page=2").get_data(as_text=True)
    assert len(listed_ids(first)) == 50 and len(listed_ids(second)) == 6
    assert 'href="/admin/users?page=2"' in first
    assert set(listed_ids(first)).isdisjoint(listed_ids(second))
    assert listed_ids(lms_client.get("/admin/users?page=99").get_data(as_text=True)) == listed_ids(second)


def test_list_runs_a_constant_number_of_queries(lms_client, lms_auth, lms_user, lms_queries, units):
    counts = {}
    for role in ("admin", "unit_admin"):
        lms_auth.login(lms_user(role, unit=units.disdik))
        for size in (3, 30):
            while True:
                page = lms_client.get("/admin/users?q=Pegawai").get_data(as_text=True)
                if len(listed_ids(page)) >= size:
                    break
                lms_user(unit=units.sd)
            with lms_queries() as q:
                page = lms_client.get("/admin/users?q=Pegawai").get_data(as_text=True)
            assert len(listed_ids(page)) >= size
            counts[role, size] = q.count
        lms_auth.logout()
    assert counts["admin", 3] == counts["admin", 30]
    assert counts["unit_admin", 3] == counts["unit_admin", 30]


# ------------------------------------------------------------------ creating


def test_admin_creates_an_account_with_a_generated_password(lms_app, lms_client, lms_auth, lms_user,
                                                             units, english):
    admin = lms_user("admin")
    lms_auth.login(admin)
    response = lms_client.submit("/admin/users/new", new_user_data(units, nip="19920420 201903 2 011",
                                                                   email="Ani.Baru@Example.go.id"))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = SHOWN_PASSWORD.search(response.get_data(as_text=True)).group(1)
    assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", password)
    with lms_app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ani.baru@example.go.id"))
        assert (user.nip, user.role, user.unit_id, user.golongan, user.jabatan) == (
            GOOD_NIP, Role.LEARNER, units.ids["DISDIK-SD"], "III/a", "Guru")
        assert user.must_change_password and password not in user.password_hash
    [entry] = entries(lms_app, "user.created")
    assert entry.actor_id == admin.id and entry.target_id == str(user.id)
    assert entry.unit_path == units.sd.path and password not in str(entry.details)
    lms_auth.logout()
    response = lms_auth.login(GOOD_NIP, password)
    assert response.status_code == 302 and response.location.startswith("/password/new")


def test_admin_chosen_password_must_still_be_changed(lms_app, lms_client, lms_auth, lms_user, units,
                                                     english):
    lms_auth.login(lms_user("admin"))
    response = lms_client.submit("/admin/users/new", new_user_data(units, password="Sementara-2026"))
    assert response.status_code == 302
    assert "Account created" in lms_client.get(response.location).get_data(as_text=True)
    lms_auth.logout()
    lms_auth.login("ani.baru@example.go.id", "Sementara-2026")
    assert lms_client.get("/me").location.startswith("/password/new")


@pytest.mark.parametrize("changes, field, message", [
    ({"nip": "123"}, "nip", "NIP must be exactly 18 digits."),
    ({"nip": "199213452019032011"}, "nip", "The birth date in the NIP (digits 1-8) is not a valid date."),
    ({"email": "bukan-email"}, "email", "Invalid email address."),
    ({"name": ""}, "name", "This field is required."),
    ({"password": "12345678901"}, "password", "Password cannot be digits only."),
    ({"golongan": "V/z"}, "golongan", "Not a valid choice."),
])
def test_create_refuses_bad_fields(lms_app, lms_client, lms_auth, lms_user, units, english, changes,
                                   field, message):
    lms_auth.login(lms_user("admin"))
    before = state(lms_app)
    response = lms_client.submit("/admin/users/new", new_user_data(units, **changes))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert state(lms_app) == before


def test_create_refuses_a_taken_email_or_nip(lms_app, lms_client, lms_auth, lms_user, units, english):
    lms_user(email="ada@example.go.id", nip=GOOD_NIP)
    lms_auth.login(lms_user("admin"))
    before = state(lms_app)
    page = lms_client.submit("/admin/users/new", new_user_data(units, email="ADA@example.go.id")
                             ).get_data(as_text=True)
    assert "An account with this email already exists." in page
    assert "An account with this NIP already exists." in page
    assert state(lms_app) == before


def test_unit_admin_creates_learners_and_authors_in_their_subtree_only(lms_app, lms_client, lms_auth,
                                                                       lms_user, units):
    lms_auth.login(lms_user("unit_admin", unit=units.disdik))
    page = lms_client.get("/admin/users/new").get_data(as_text=True)
    roles = re.search(r'<select[^>]*name="role".*?</select>', page, re.S).group(0)
    assert re.findall(r'value="([^"]*)"', roles) == ["learner", "author"]
    before = state(lms_app)
    for forged in ({"role": "admin"}, {"role": "unit_admin"}, {"unit_id": str(units.ids["DINKES"])},
                   {"unit_id": ""}):
        response = lms_client.submit("/admin/users/new", new_user_data(units, **forged))
        assert response.status_code == 400, forged
    assert state(lms_app) == before
    response = lms_client.submit("/admin/users/new", new_user_data(units, role="author"))
    assert response.status_code == 200
    with lms_app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ani.baru@example.go.id"))
        assert user.role == Role.AUTHOR and user.unit_id == units.ids["DISDIK-SD"]


def test_unit_admin_role_needs_a_unit(lms_app, lms_client, lms_auth, lms_user, units, english):
    lms_auth.login(lms_user("admin"))
    response = lms_client.submit("/admin/users/new", new_user_data(units, role="unit_admin", unit_id=""))
    assert response.status_code == 400
    assert "A unit administrator needs a unit." in response.get_data(as_text=True)


# ------------------------------------------------------------------ editing


def test_admin_edits_an_account_and_the_change_is_audited(lms_app, lms_client, lms_auth, lms_user,
                                                          units):
    target = lms_user(unit=units.sd)
    lms_auth.login(lms_user("admin"))
    data = edit_data(units, target, name="Nama Baru", email="Baru@Example.go.id",
                     unit_id=str(units.ids["DINKES"]), golongan="IV/a", jabatan="Kepala Seksi")
    response = lms_client.submit(f"/admin/users/{target.id}/edit", data)
    assert response.status_code == 302 and response.location == f"/admin/users/{target.id}"
    user = row(lms_app, target.id)
    assert (user.name, user.email, user.unit_id, user.golongan, user.jabatan) == (
        "Nama Baru", "baru@example.go.id", units.ids["DINKES"], "IV/a", "Kepala Seksi")
    [entry] = entries(lms_app, "user.updated")
    assert entry.details["changes"]["name"] == [target.name, "Nama Baru"]
    assert entry.details["changes"]["unit"] == ["DISDIK-SD", "DINKES"]


def test_unit_admin_cannot_move_someone_out_of_their_subtree(lms_app, lms_client, lms_auth, lms_user,
                                                            units):
    target = lms_user(unit=units.sd)
    lms_auth.login(lms_user("unit_admin", unit=units.disdik))
    before = state(lms_app)
    for unit_id in (str(units.ids["DINKES"]), str(units.ids["PEMKOT"]), ""):
        response = lms_client.submit(f"/admin/users/{target.id}/edit",
                                     edit_data(units, target, unit_id=unit_id))
        assert response.status_code == 400
    assert state(lms_app) == before
    response = lms_client.submit(f"/admin/users/{target.id}/edit",
                                 edit_data(units, target, unit_id=str(units.ids["DISDIK"])))
    assert response.status_code == 302 and row(lms_app, target.id).unit_id == units.ids["DISDIK"]


@pytest.mark.parametrize("role", ["unit_admin", "admin"])
def test_unit_admin_cannot_change_admins_in_their_subtree(lms_app, lms_client, lms_auth, lms_user, units,
                                                          role):
    peer = lms_user(role, unit=units.sd)
    lms_auth.login(lms_user("unit_admin", unit=units.disdik))
    assert lms_client.get(f"/admin/users/{peer.id}").status_code == 200  # visible, read-only
    before = state(lms_app)
    token = lms_client.csrf_token("/")
    for path, data in (("edit", edit_data(units, peer, name="X")), ("role", {"role": "learner"}),
                       ("deactivate", {}), ("reset-password", {})):
        response = lms_client.post(f"/admin/users/{peer.id}/{path}", data={**data, "csrf_token": token})
        assert response.status_code == 403, path
    assert lms_client.get(f"/admin/users/{peer.id}/edit").status_code == 403
    assert state(lms_app) == before


def test_unit_admin_cannot_change_their_own_account_here(lms_app, lms_client, lms_auth, lms_user, units):
    me = lms_user("unit_admin", unit=units.disdik)
    lms_auth.login(me)
    before = state(lms_app)
    assert lms_client.get(f"/admin/users/{me.id}/edit").status_code == 403
    token = lms_client.csrf_token("/")
    assert lms_client.post(f"/admin/users/{me.id}/role", data={"role": "learner",
                                                               "csrf_token": token}).status_code == 403
    assert state(lms_app) == before


# ------------------------------------------------------------------ roles


def test_admin_grants_and_changes_roles(lms_app, lms_client, lms_auth, lms_user, units):
    target = lms_user(unit=units.sd)
    admin = lms_user("admin")
    lms_auth.login(admin)
    lms_client.submit(f"/admin/users/{target.id}/role", {"role": "unit_admin"}, form_page="/")
    assert row(lms_app, target.id).role == Role.UNIT_ADMIN
    [entry] = entries(lms_app, "user.role_changed")
    assert entry.details == {"old": "learner", "new": "unit_admin"} and entry.actor_id == admin.id


def test_unit_admin_switches_learner_and_author_but_grants_nothing_higher(lms_app, lms_client, lms_auth,
                                                                         lms_user, units, english):
    target = lms_user(unit=units.sd)
    lms_auth.login(lms_user("unit_admin", unit=units.disdik))
    lms_client.submit(f"/admin/users/{target.id}/role", {"role": "author"}, form_page="/")
    assert row(lms_app, target.id).role == Role.AUTHOR
    for role in ("unit_admin", "admin", "root"):
        response = lms_client.submit(f"/admin/users/{target.id}/role", {"role": role}, form_page="/",
                                     follow_redirects=True)
        assert "You cannot grant this role." in response.get_data(as_text=True)
        assert row(lms_app, target.id).role == Role.AUTHOR
    assert len(entries(lms_app, "user.role_changed")) == 1


def test_admin_cannot_change_own_role_or_deactivate_self(lms_app, lms_client, lms_auth, lms_user, english):
    admin = lms_user("admin")
    lms_auth.login(admin)
    before = state(lms_app)
    page = lms_client.submit(f"/admin/users/{admin.id}/role", {"role": "learner"}, form_page="/",
                             follow_redirects=True).get_data(as_text=True)
    assert "You cannot change your own role." in page
    page = lms_client.submit(f"/admin/users/{admin.id}/deactivate", form_page="/",
                             follow_redirects=True).get_data(as_text=True)
    assert "You cannot deactivate your own account." in page
    assert state(lms_app) == before


# ------------------------------------------------------------------ deactivation and passwords


def test_deactivated_user_cannot_sign_in_and_is_signed_out(lms_app, lms_user, units):
    target = lms_user(unit=units.sd)
    learner_client, admin_client = lms_app.test_client(), lms_app.test_client()
    from lms.testing import AuthActions

    AuthActions(learner_client).login(target)
    assert learner_client.get("/me").status_code == 200
    AuthActions(admin_client).login(lms_user("admin"))
    admin_client.submit(f"/admin/users/{target.id}/deactivate", form_page="/")
    assert row(lms_app, target.id).active is False
    assert learner_client.get("/me").status_code == 302  # the open session ends
    response = AuthActions(lms_app.test_client()).login(target)
    assert response.status_code == 401
    admin_client.submit(f"/admin/users/{target.id}/reactivate", form_page="/")
    assert AuthActions(lms_app.test_client()).login(target).status_code == 302
    assert [e.action for e in entries(lms_app) if e.action.startswith("user.")] == [
        "user.deactivated", "user.reactivated"]
    with lms_app.app_context():  # never deleted
        assert db.session.get(User, target.id) is not None


def test_reset_password_is_shown_once_and_audited_without_it(lms_app, lms_client, lms_auth, lms_user,
                                                             units):
    target = lms_user(unit=units.sd)
    lms_auth.login(lms_user("unit_admin", unit=units.disdik))
    response = lms_client.submit(f"/admin/users/{target.id}/reset-password", form_page="/")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = SHOWN_PASSWORD.search(response.get_data(as_text=True)).group(1)
    [entry] = entries(lms_app, "user.password_reset")
    assert password not in str(entry.details) and entry.target_id == str(target.id)
    assert password not in lms_client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    lms_auth.logout()
    assert lms_auth.login(target).status_code == 401  # the old password is gone
    response = lms_auth.login(target.email, password)
    assert response.location.startswith("/password/new")


# ------------------------------------------------------------------ choosing one's own password


def test_temporary_password_leads_to_the_new_password_form_until_changed(lms_app, lms_client, lms_auth,
                                                                          lms_user, units, english):
    target = lms_user(unit=units.sd)
    lms_auth.login(lms_user("admin"))
    page = lms_client.submit(f"/admin/users/{target.id}/reset-password", form_page="/").get_data(as_text=True)
    password = SHOWN_PASSWORD.search(page).group(1)
    lms_auth.logout()
    lms_client.submit("/login?next=/courses", {"login": target.email, "password": password},
                      form_page="/login")
    for path in ("/me", "/courses", "/profile", "/admin/users"):
        response = lms_client.get(path)
        assert response.status_code == 302 and response.location.startswith("/password/new"), path
    with lms_client.get("/static/css/lms.css") as response:
        assert response.status_code == 200
    for weak, message in ((password, "Choose a password different from the one you were given."),
                          ("pendek", "Password must be at least 8 characters."),
                          (target.email, "Password cannot be your email or NIP.")):
        response = lms_client.submit("/password/new?next=/courses",
                                     {"new_password": weak, "confirm": weak})
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    response = lms_client.submit("/password/new?next=/courses",
                                 {"new_password": "Pilihan-Saya-1", "confirm": "Pilihan-Saya-1"})
    assert response.status_code == 302 and response.location == "/courses"
    assert lms_client.get("/me").status_code == 200
    assert lms_client.get("/password/new").status_code == 302
    user = row(lms_app, target.id)
    assert not user.must_change_password and user.password_hash.startswith("pbkdf2:sha256:1000$")
    lms_auth.logout()
    assert lms_auth.login(target.email, password).status_code == 401
    assert lms_auth.login(target.email, "Pilihan-Saya-1").status_code == 302


def test_new_password_page_needs_a_login(lms_client):
    response = lms_client.get("/password/new")
    assert response.status_code == 302 and response.location.startswith("/login")
