"""API accounts and units for admins and unit admins: scope (404/403), changes, audit, pages."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from api_schema import bearer, checked
from api_schema import call as api_call
from lms.database import db
from lms.models import AuditEntry, Role, User
from lms.services import accounts, tokens

GOOD_NIP = "199204202019032011"
USERS, USER = "/users", "/users/{user_id}"
UNITS, UNIT = "/units", "/units/{code}"


def call(app, client, method: str, url: str, template: str, status: int, **kwargs):
    """api_schema.call with the /api/v1 prefix these tests leave out."""
    return api_call(app, client, method, "/api/v1" + url, template, status, **kwargs)


def make_token(app, user_id: int, write: bool = True) -> str:
    with app.app_context():
        return tokens.create(db.session.get(User, user_id), name="uji", write=write, days=7)[1]


@pytest.fixture
def people(lms_app, lms_user, units):
    """Admin; a unit admin of DISDIK; in their subtree a learner, an author and another unit
    admin (DISDIK-SD); out of it a learner of DINKES; and a plain learner and author."""
    made = SimpleNamespace(
        admin=lms_user("admin", name="Admin Kota"),
        ua=lms_user("unit_admin", name="Ua Disdik", unit=units.disdik),
        sd=lms_user(name="Sari Sd", unit=units.sd),
        sd_author=lms_user("author", name="Sapto Penulis", unit=units.sd),
        sd_ua=lms_user("unit_admin", name="Ua Sd", unit=units.sd),
        dinkes=lms_user(name="Dewi Dinkes", unit=units.dinkes),
        learner=lms_user(name="Lina Learner", unit=units.disdik),
        author=lms_user("author", name="Andi Author", unit=units.disdik))
    made.secret = {name: make_token(lms_app, getattr(made, name).id)
                   for name in ("admin", "ua", "learner", "author")}
    made.units = units
    return made


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# ----------------------------------------------------------------------- access


@pytest.mark.parametrize("method,url,template", [
    ("GET", "/users", USERS), ("POST", "/users", USERS), ("GET", "/users/1", USER),
    ("PATCH", "/users/1", USER), ("GET", "/units", UNITS), ("GET", "/units/PEMKOT", UNIT),
    ("POST", "/units", UNITS)])
def test_anonymous_401_and_learners_and_authors_403(lms_app, lms_client, people, method, url, template):
    body = {} if method in ("POST", "PATCH") else None
    assert call(lms_app, lms_client, method, url, template, 401, body=body)["error"]["code"] == "unauthenticated"
    for who in ("learner", "author"):
        data = call(lms_app, lms_client, method, url, template, 403, secret=people.secret[who], body=body)
        assert data["error"]["code"] == "forbidden"


def test_read_only_tokens_cannot_write(lms_app, lms_client, people):
    reader = make_token(lms_app, people.admin.id, write=False)
    for method, url, template in (("POST", "/users", USERS), ("PATCH", f"/users/{people.sd.id}", USER),
                                  ("POST", "/units", UNITS)):
        data = call(lms_app, lms_client, method, url, template, 403, secret=reader, body={})
        assert data["error"]["code"] == "insufficient_scope"
    call(lms_app, lms_client, "GET", "/users", USERS, 200, secret=reader)


def test_session_writes_need_the_csrf_header(lms_app, lms_client, lms_auth, people):
    lms_auth.login(people.admin)
    body = {"name": "Sari Baru"}
    data = call(lms_app, lms_client, "PATCH", f"/users/{people.sd.id}", USER, 403, body=body)
    assert data["error"]["code"] == "csrf_failed"
    token = lms_client.csrf_token("/")
    data = call(lms_app, lms_client, "PATCH", f"/users/{people.sd.id}", USER, 200, body=body,
                headers={"X-CSRFToken": token})
    assert data["name"] == "Sari Baru"


# ----------------------------------------------------------------------- users: reading


def test_admin_lists_everyone_unit_admin_their_subtree(lms_app, lms_client, people):
    everyone = call(lms_app, lms_client, "GET", "/users?per_page=100", USERS, 200, secret=people.secret["admin"])
    assert everyone["total"] == 8
    mine = call(lms_app, lms_client, "GET", "/users?per_page=100", USERS, 200, secret=people.secret["ua"])
    names = [u["name"] for u in mine["items"]]
    assert names == sorted(names) and set(names) == {"Ua Disdik", "Sari Sd", "Sapto Penulis", "Ua Sd",
                                                     "Lina Learner", "Andi Author"}
    manageable = {u["name"]: u["manageable"] for u in mine["items"]}
    assert manageable == {"Ua Disdik": False, "Sari Sd": True, "Sapto Penulis": True, "Ua Sd": False,
                          "Lina Learner": True, "Andi Author": True}
    sari = next(u for u in mine["items"] if u["name"] == "Sari Sd")
    assert sari["unit"]["code"] == "DISDIK-SD" and sari["role"] == "learner" and sari["active"] is True


def test_user_filters(lms_app, lms_client, people):
    def names(query, who="admin"):
        data = call(lms_app, lms_client, "GET", f"/users?{query}", USERS, 200, secret=people.secret[who])
        return {u["name"] for u in data["items"]}

    assert names("q=sari") == {"Sari Sd"}
    assert names("unit=DISDIK") == {"Ua Disdik", "Sari Sd", "Sapto Penulis", "Ua Sd", "Lina Learner",
                                    "Andi Author"}  # with sub-units
    assert names(f"unit={people.units.ids['DISDIK-SD']}") == {"Sari Sd", "Sapto Penulis", "Ua Sd"}
    assert names("role=author") == {"Sapto Penulis", "Andi Author"}
    assert names("unit=disdik-sd&role=unit_admin") == {"Ua Sd"}
    with lms_app.app_context():
        db.session.get(User, people.dinkes.id).active = False
        db.session.commit()
    assert names("active=false") == {"Dewi Dinkes"}
    assert "Dewi Dinkes" not in names("active=true")
    for query in ("role=boss", "active=maybe", "per_page=0", "per_page=101", "page=0"):
        data = call(lms_app, lms_client, "GET", f"/users?{query}", USERS, 422, secret=people.secret["admin"])
        assert data["error"]["code"] == "validation_failed" and data["error"]["details"]
    assert call(lms_app, lms_client, "GET", "/users?unit=NOPE", USERS, 404,
                secret=people.secret["admin"])["error"]["code"] == "not_found"
    # a unit outside the subtree is as unknown as a unit that does not exist
    data = call(lms_app, lms_client, "GET", "/users?unit=DINKES", USERS, 404, secret=people.secret["ua"])
    assert data["error"] == {"code": "not_found", "message": "No such unit.", "details": {}}


def test_users_are_paged_with_links_and_etag(lms_app, lms_client, people):
    url = "/users?per_page=3&q=a"
    first = call(lms_app, lms_client, "GET", url, USERS, 200, secret=people.secret["admin"])
    assert (first["page"], first["per_page"], first["pages"]) == (1, 3, -(-first["total"] // 3))
    response = lms_client.get("/api/v1" + url + "&page=2", headers=bearer(people.secret["admin"]))
    links = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"]))
    assert set(links) >= {"first", "prev", "last"} and "page=1" in links["prev"]
    assert lms_client.get("/api/v1" + url, headers={**bearer(people.secret["admin"]),
                          "If-None-Match": lms_client.get("/api/v1" + url, headers=bearer(
                              people.secret["admin"])).headers["ETag"]}).status_code == 304
    beyond = call(lms_app, lms_client, "GET", "/users?page=50", USERS, 200, secret=people.secret["admin"])
    assert beyond["items"] == [] and beyond["page"] == 50


def test_listing_users_does_not_cost_a_query_per_user(lms_app, lms_client, people, lms_user, lms_queries, units):
    def cost(who):
        with lms_queries() as counter:
            call(lms_app, lms_client, "GET", "/users?per_page=100", USERS, 200, secret=people.secret[who])
        return counter.count

    cost("admin"), cost("ua")  # the tokens' first use writes last_used_at
    before = {who: cost(who) for who in ("admin", "ua")}
    for n in range(6):
        lms_user(name=f"Tambahan {n}", unit=units.sd if n % 2 else units.dinkes)
    assert {who: cost(who) for who in ("admin", "ua")} == before


def test_one_user_in_and_out_of_scope(lms_app, lms_client, people):
    data = call(lms_app, lms_client, "GET", f"/users/{people.sd.id}", USER, 200, secret=people.secret["ua"])
    assert (data["name"], data["manageable"], data["nip"]) == ("Sari Sd", True, people.sd.nip)
    assert call(lms_app, lms_client, "GET", f"/users/{people.sd_ua.id}", USER, 200,
                secret=people.secret["ua"])["manageable"] is False
    for user_id in (people.dinkes.id, people.admin.id, 999_999):
        data = call(lms_app, lms_client, "GET", f"/users/{user_id}", USER, 404, secret=people.secret["ua"])
        assert data["error"]["code"] == "not_found"
    call(lms_app, lms_client, "GET", f"/users/{people.dinkes.id}", USER, 200, secret=people.secret["admin"])


# ----------------------------------------------------------------------- users: changes


def test_create_with_a_generated_password_shown_once(lms_app, lms_client, people):
    response = lms_client.post("/api/v1/users", headers=bearer(people.secret["ua"]), json={
        "name": "Nina Baru", "email": "Nina@Disdik.go.id", "nip": "19920420 201903 2 011",
        "unit": "DISDIK-SD", "golongan": "iii/a", "jabatan": "Analis"})
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    data = checked(lms_app, response, USERS)
    assert (data["email"], data["nip"], data["golongan"], data["unit"]["code"], data["role"]) == (
        "nina@disdik.go.id", GOOD_NIP, "III/a", "DISDIK-SD", "learner")
    assert data["must_change_password"] is True and data["manageable"] is True
    password = data["temporary_password"]
    with lms_app.app_context():
        assert accounts.authenticate(data["email"], password).id == data["id"]
    again = call(lms_app, lms_client, "GET", f"/users/{data['id']}", USER, 200, secret=people.secret["ua"])
    assert "temporary_password" not in again and password not in str(again)
    assert "user.created" in audit_actions(lms_app)


def test_create_with_a_chosen_password_returns_none(lms_app, lms_client, people):
    data = call(lms_app, lms_client, "POST", "/users", USERS, 201, secret=people.secret["admin"], body={
        "name": "Tanpa Unit", "email": "tanpa@example.go.id", "role": "author",
        "password": "Kata-Sandi-Kuat-2024"})
    assert data["temporary_password"] is None and data["unit"] is None and data["role"] == "author"


def test_create_refusals_409_per_field_and_schema_violations_422(lms_app, lms_client, people):
    ua = people.secret["ua"]
    data = call(lms_app, lms_client, "POST", "/users", USERS, 409, secret=ua, body={
        "name": "X", "email": people.sd.email, "unit": "DISDIK-SD", "nip": "123"})
    assert data["error"]["code"] == "refused" and set(data["error"]["details"]) == {"email", "nip"}
    assert data["error"]["details"]["email"] == "An account with this email already exists."
    data = call(lms_app, lms_client, "POST", "/users", USERS, 409, secret=ua, body={
        "name": "X", "email": "x@example.go.id", "unit": "DISDIK", "role": "admin"})
    assert data["error"]["details"] == {"role": "You cannot grant this role."}
    data = call(lms_app, lms_client, "POST", "/users", USERS, 409, secret=ua, body={
        "name": "X", "email": "x@example.go.id"})  # no unit: admins only
    assert set(data["error"]["details"]) == {"unit"}
    for unit in ("DINKES", "NOPE", 999_999):  # outside the subtree, unknown
        data = call(lms_app, lms_client, "POST", "/users", USERS, 404, secret=ua, body={
            "name": "X", "email": "x@example.go.id", "unit": unit})
        assert data["error"]["code"] == "not_found"
    for body, fields in (({"name": 5, "email": "x@example.go.id", "surprise": 1}, {"name", "surprise"}),
                         ({}, {"name", "email"}), ({"name": "  ", "email": "x@example.go.id"}, {"name"}),
                         ({"name": "X", "email": "x@example.go.id", "role": "boss"}, {"role"})):
        data = call(lms_app, lms_client, "POST", "/users", USERS, 422, secret=people.secret["admin"], body=body)
        assert data["error"]["code"] == "validation_failed" and set(data["error"]["details"]) == fields
    assert "user.created" not in audit_actions(lms_app)
    assert "user.created" not in audit_actions(lms_app)


def test_patch_profile_role_and_active(lms_app, lms_client, people):
    url = f"/users/{people.sd.id}"
    data = call(lms_app, lms_client, "PATCH", url, USER, 200, secret=people.secret["ua"],
                body={"name": "Sari Sekolah", "jabatan": "Guru", "unit": "DISDIK"})
    assert (data["name"], data["jabatan"], data["unit"]["code"], data["email"]) == (
        "Sari Sekolah", "Guru", "DISDIK", people.sd.email)
    data = call(lms_app, lms_client, "PATCH", url, USER, 200, secret=people.secret["ua"],
                body={"role": "author", "active": False})
    assert (data["role"], data["active"]) == ("author", False)
    data = call(lms_app, lms_client, "PATCH", url, USER, 200, secret=people.secret["ua"], body={"active": True})
    assert data["active"] is True
    assert audit_actions(lms_app)[-4:] == ["user.updated", "user.role_changed", "user.deactivated",
                                           "user.reactivated"]
    data = call(lms_app, lms_client, "PATCH", url, USER, 200, secret=people.secret["admin"],
                body={"role": "unit_admin"})
    assert data["role"] == "unit_admin"


def test_patch_scope_and_refusals(lms_app, lms_client, people):
    ua = people.secret["ua"]
    for user_id in (people.dinkes.id, people.admin.id, 999_999):  # out of scope: nothing revealed
        assert call(lms_app, lms_client, "PATCH", f"/users/{user_id}", USER, 404, secret=ua,
                    body={"name": "X"})["error"]["code"] == "not_found"
    for user_id in (people.sd_ua.id, people.ua.id):  # in scope, not theirs to change
        assert call(lms_app, lms_client, "PATCH", f"/users/{user_id}", USER, 403, secret=ua,
                    body={"name": "X"})["error"]["code"] == "forbidden"
    url = f"/users/{people.sd.id}"
    cases = [({"role": "admin"}, 409, {"role"}), ({"email": "bukan"}, 409, {"email"}),
             ({"golongan": "Z/z"}, 409, {"golongan"}), ({"unit": None}, 409, {"unit"}),
             ({"name": None}, 422, {"name"}), ({"role": None}, 422, {"role"}),
             ({"active": "no"}, 422, {"active"}), ({"nip": 1}, 422, {"nip"})]
    for body, status, fields in cases:
        data = call(lms_app, lms_client, "PATCH", url, USER, status, secret=ua, body=body)
        assert set(data["error"]["details"]) == fields, body
    assert call(lms_app, lms_client, "PATCH", url, USER, 404, secret=ua,
                body={"unit": "DINKES"})["error"]["code"] == "not_found"
    admin = people.secret["admin"]
    own = f"/users/{people.admin.id}"
    assert call(lms_app, lms_client, "PATCH", own, USER, 409, secret=admin,
                body={"role": "learner"})["error"]["details"] == {"role": "You cannot change your own role."}
    assert set(call(lms_app, lms_client, "PATCH", own, USER, 409, secret=admin,
                    body={"active": False})["error"]["details"]) == {"active"}
    with lms_app.app_context():
        assert db.session.get(User, people.sd.id).name == "Sari Sd"  # nothing changed
    with lms_app.app_context():
        assert db.session.get(User, people.admin.id).role == Role.ADMIN


def test_a_patch_refused_in_part_changes_nothing(lms_app, lms_client, people):
    before = audit_actions(lms_app)
    data = call(lms_app, lms_client, "PATCH", f"/users/{people.sd.id}", USER, 409,
                secret=people.secret["ua"], body={"name": "Nama Baru", "jabatan": "Guru", "role": "admin"})
    assert set(data["error"]["details"]) == {"role"}
    with lms_app.app_context():
        user = db.session.get(User, people.sd.id)
        assert (user.name, user.jabatan, user.role) == ("Sari Sd", None, Role.LEARNER)
    assert audit_actions(lms_app) == before


# ----------------------------------------------------------------------- units


def test_units_tree_for_admin_and_unit_admin(lms_app, lms_client, people):
    data = call(lms_app, lms_client, "GET", "/units", UNITS, 200, secret=people.secret["admin"])
    rows = {u["code"]: u for u in data["items"]}
    assert [u["code"] for u in data["items"]] == ["PEMKOT", "DISDIK", "DISDIK-SD", "DINKES"]
    assert rows["DISDIK-SD"] == {"id": people.units.ids["DISDIK-SD"], "code": "DISDIK-SD", "name": "Bidang SD",
                                 "kind": "sub_unit", "parent": "DISDIK", "depth": 2,
                                 "path": ["PEMKOT", "DISDIK", "DISDIK-SD"], "members": 3, "changeable": True}
    assert rows["PEMKOT"]["parent"] is None and rows["PEMKOT"]["depth"] == 0
    mine = call(lms_app, lms_client, "GET", "/units", UNITS, 200, secret=people.secret["ua"])
    assert [(u["code"], u["parent"], u["changeable"]) for u in mine["items"]] == [
        ("DISDIK", "PEMKOT", False), ("DISDIK-SD", "DISDIK", True)]
    assert mine["items"][0]["path"] == ["PEMKOT", "DISDIK"] and mine["items"][0]["members"] == 3
    page = call(lms_app, lms_client, "GET", "/units?per_page=1&page=2", UNITS, 200, secret=people.secret["admin"])
    assert [u["code"] for u in page["items"]] == ["DISDIK"] and page["total"] == 4


def test_units_tree_costs_the_same_for_more_units(lms_app, lms_client, people, lms_queries):
    from lms.services import orgs

    def cost(who):
        with lms_queries() as counter:
            call(lms_app, lms_client, "GET", "/units?per_page=100", UNITS, 200, secret=people.secret[who])
        return counter.count

    cost("admin"), cost("ua")  # the tokens' first use writes last_used_at
    before = {who: cost(who) for who in ("admin", "ua")}
    with lms_app.app_context():
        parent = orgs.get_by_code("DISDIK-SD")
        for n in range(5):
            parent = orgs.create_unit(code=f"SUB-{n}", name=f"Sub {n}", kind="sub_unit", parent=parent)
    assert {who: cost(who) for who in ("admin", "ua")} == before


def test_one_unit(lms_app, lms_client, people):
    data = call(lms_app, lms_client, "GET", "/units/DISDIK", UNIT, 200, secret=people.secret["ua"])
    assert (data["children"], data["changeable"], data["members"]) == (["DISDIK-SD"], False, 3)
    assert call(lms_app, lms_client, "GET", f"/units/{people.units.ids['DISDIK']}", UNIT, 200,
                secret=people.secret["ua"])["code"] == "DISDIK"
    for code in ("DINKES", "PEMKOT", "NOPE"):
        assert call(lms_app, lms_client, "GET", f"/units/{code}", UNIT, 404,
                    secret=people.secret["ua"])["error"]["code"] == "not_found"
    assert call(lms_app, lms_client, "GET", "/units/pemkot", UNIT, 200,
                secret=people.secret["admin"])["children"] == ["DISDIK", "DINKES"]


def test_create_units(lms_app, lms_client, people):
    data = call(lms_app, lms_client, "POST", "/units", UNITS, 201, secret=people.secret["ua"],
                body={"code": "disdik-smp", "name": "Bidang SMP", "kind": "sub_unit", "parent": "DISDIK"})
    assert (data["code"], data["parent"], data["path"], data["depth"]) == (
        "DISDIK-SMP", "DISDIK", ["PEMKOT", "DISDIK", "DISDIK-SMP"], 2)
    agency = call(lms_app, lms_client, "POST", "/units", UNITS, 201, secret=people.secret["admin"],
                  body={"code": "PEMKAB", "name": "Pemerintah Kabupaten", "kind": "instansi"})
    assert (agency["parent"], agency["depth"], agency["members"]) == (None, 0, 0)
    assert audit_actions(lms_app).count("unit.created") == 2
    ua = people.secret["ua"]
    data = call(lms_app, lms_client, "POST", "/units", UNITS, 403, secret=ua,
                body={"code": "X1", "name": "X", "kind": "instansi"})  # agencies: admins only
    assert data["error"]["code"] == "forbidden"
    for parent in ("DINKES", "NOPE", "PEMKOT"):  # outside the subtree (even its parent), unknown
        data = call(lms_app, lms_client, "POST", "/units", UNITS, 404, secret=ua,
                    body={"code": "X2", "name": "X", "kind": "opd", "parent": parent})
        assert data["error"]["code"] == "not_found"
    cases = [({"code": "DISDIK", "name": "X", "kind": "sub_unit", "parent": "DISDIK"}, 409, {"code"}),
             ({"code": "X4", "name": "X", "kind": "instansi", "parent": "DISDIK"}, 409, {"kind"}),
             ({"code": "bad code", "name": "X", "kind": "sub_unit", "parent": "DISDIK"}, 422, {"code"}),
             ({"code": "X5", "name": "X", "kind": "castle", "parent": "DISDIK"}, 422, {"kind"}),
             ({"code": "X6", "name": " ", "kind": "opd", "parent": "DISDIK"}, 422, {"name"})]
    for body, status, fields in cases:
        data = call(lms_app, lms_client, "POST", "/units", UNITS, status, secret=ua, body=body)
        assert set(data["error"]["details"]) == fields, body
    assert audit_actions(lms_app).count("unit.created") == 2
