"""The unit tree at /admin/units: create, rename, move (one UPDATE), move people; who may."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from lms.database import db
from lms.errors import ValidationFailed
from lms.models import Unit, User
from lms.models.audit import AuditEntry
from lms.services import orgs


@pytest.fixture
def units(lms_app):
    """PEMKOT > DISDIK > {DISDIK-SD > DISDIK-SD-1, DISDIK-SMP}; PEMKOT > DINKES; PROV (agency)."""
    with lms_app.app_context():
        root = orgs.create_unit(code="PEMKOT", name="Pemerintah Kota", kind="instansi")
        disdik = orgs.create_unit(code="DISDIK", name="Dinas Pendidikan", kind="opd", parent=root)
        sd = orgs.create_unit(code="DISDIK-SD", name="Bidang SD", kind="sub_unit", parent=disdik)
        sd1 = orgs.create_unit(code="DISDIK-SD-1", name="Seksi Kurikulum SD", kind="sub_unit", parent=sd)
        smp = orgs.create_unit(code="DISDIK-SMP", name="Bidang SMP", kind="sub_unit", parent=disdik)
        dinkes = orgs.create_unit(code="DINKES", name="Dinas Kesehatan", kind="opd", parent=root)
        prov = orgs.create_unit(code="PROV", name="Pemerintah Provinsi", kind="instansi")
        all_units = (root, disdik, sd, sd1, smp, dinkes, prov)
        return SimpleNamespace(root=root, disdik=disdik, sd=sd, sd1=sd1, smp=smp, dinkes=dinkes, prov=prov,
                               ids={u.code: u.id for u in all_units})


@pytest.fixture
def english(lms_client):
    lms_client.submit("/language", {"lang": "en", "next": "/"}, form_page="/")


def tree(app) -> dict[str, tuple]:
    """{code: (name, parent code, path)} straight from the database."""
    with app.app_context():
        units = list(db.session.scalars(select(Unit)))
        by_id = {u.id: u for u in units}
        return {u.code: (u.name, by_id[u.parent_id].code if u.parent_id else None, u.path) for u in units}


def state(app) -> tuple:
    with app.app_context():
        people = tuple(db.session.execute(select(User.id, User.unit_id, User.role).order_by(User.id)).all())
        count = db.session.scalar(select(func.count()).select_from(AuditEntry))
    return tree(app), people, count


def user_unit(app, user_id: int) -> int | None:
    with app.app_context():
        return db.session.get(User, user_id).unit_id


def actions(app) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def post(client, url: str, data: dict, **kwargs):
    return client.post(url, data={**data, "csrf_token": client.csrf_token("/")}, **kwargs)


# ------------------------------------------------------------------ role matrix

ROUTES = [
    # (method, url, data, status for the unit admin of another unit, status when allowed)
    ("GET", "/admin/units", None, 200, 200),
    ("POST", "/admin/units", {"code": "DISDIK-SD-2", "name": "Seksi Baru", "parent_id": "{SD}",
                              "kind": "sub_unit"}, 400, 302),
    ("GET", "/admin/units/{SD}", None, 404, 200),
    ("POST", "/admin/units/{SD}/rename", {"name": "Bidang Sekolah Dasar"}, 404, 302),
    ("POST", "/admin/units/{SD}/move", {"parent_id": "{SMP}"}, 404, 302),
    ("POST", "/admin/units/move-users", {"user_ids": "{target}", "target_unit_id": "{DISDIK}"}, 404, 302),
]
ROLES = ["anonymous", "learner", "author", "other_unit_admin", "unit_admin", "admin"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, url, data, other, allowed", ROUTES)
def test_role_matrix(lms_app, lms_client, lms_auth, lms_user, units, role, method, url, data, other,
                     allowed):
    target = lms_user(unit=units.sd)
    if role != "anonymous":
        unit = units.dinkes if role == "other_unit_admin" else units.disdik
        lms_auth.login(lms_user("unit_admin" if role == "other_unit_admin" else role, unit=unit))
    values = {"SD": units.ids["DISDIK-SD"], "SMP": units.ids["DISDIK-SMP"], "DISDIK": units.ids["DISDIK"],
              "target": target.id}
    url = url.format(**values)
    before = state(lms_app)
    if method == "GET":
        response = lms_client.get(url)
    else:
        response = post(lms_client, url, {k: v.format(**values) for k, v in data.items()})
    expected = {"anonymous": 302, "learner": 403, "author": 403, "other_unit_admin": other}.get(role, allowed)
    assert response.status_code == expected
    if role == "anonymous":
        assert response.location.startswith("/login?next=")
    if expected != allowed or role in ("anonymous", "learner", "author"):
        assert state(lms_app) == before
    elif method == "POST":
        after = state(lms_app)
        assert after != before and after[2] > before[2]  # changed, and audited
    if url == "/admin/units" and method == "GET" and expected == 200:
        page = response.get_data(as_text=True)
        assert ('data-unit-code="DISDIK-SD"' in page) == (role != "other_unit_admin")


# ------------------------------------------------------------------ creating and renaming


def test_admin_creates_an_agency_and_units_under_it(lms_app, lms_client, lms_auth, lms_user, units):
    admin = lms_user("admin")
    lms_auth.login(admin)
    response = post(lms_client, "/admin/units", {"code": "kab-x", "name": "Pemkab X", "parent_id": "",
                                                 "kind": "instansi"})
    assert response.status_code == 302
    assert tree(lms_app)["KAB-X"][1] is None
    post(lms_client, "/admin/units", {"code": "KAB-X.BKPSDM", "name": "BKPSDM", "kind": "opd",
                                      "parent_id": str(tree_id(lms_app, "KAB-X"))})
    assert tree(lms_app)["KAB-X.BKPSDM"][1] == "KAB-X"
    created = [e for e in actions(lms_app) if e.action == "unit.created"]
    assert [e.target_id for e in created] == ["KAB-X", "KAB-X.BKPSDM"]
    assert created[1].actor_id == admin.id and created[1].details["parent"] == "KAB-X"


def tree_id(app, code: str) -> int:
    with app.app_context():
        return orgs.get_by_code(code).id


@pytest.mark.parametrize("data, message", [
    ({"code": "DISDIK", "kind": "opd"}, "A unit with this code already exists."),
    ({"code": "BAD CODE!", "kind": "opd"}, "A code has up to 40 letters, digits, dots, dashes or underscores."),
    ({"code": "NEW", "kind": "opd", "parent_id": ""}, "An agency (instansi) sits at the top of the tree"),
    ({"code": "NEW", "kind": "instansi"}, "An agency (instansi) sits at the top of the tree"),
    ({"code": "", "kind": "opd"}, "This field is required."),
])
def test_create_refuses_bad_units(lms_app, lms_client, lms_auth, lms_user, units, english, data, message):
    lms_auth.login(lms_user("admin"))
    before = state(lms_app)
    payload = {"name": "Unit Baru", "parent_id": str(units.ids["PEMKOT"]), **data}
    response = post(lms_client, "/admin/units", payload)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert state(lms_app) == before


def test_unit_admin_creates_only_below_their_unit(lms_app, lms_client, lms_auth, lms_user, units):
    lms_auth.login(lms_user("unit_admin", unit=units.disdik))
    page = lms_client.get("/admin/units").get_data(as_text=True)
    parents = re.search(r'<select[^>]*name="parent_id".*?</select>', page, re.S).group(0)
    assert re.findall(r'value="([^"]*)"', parents) == [
        str(units.ids[c]) for c in ("DISDIK", "DISDIK-SD", "DISDIK-SD-1", "DISDIK-SMP")]
    assert 'value="instansi"' not in page
    before = state(lms_app)
    for forged in ({"parent_id": ""}, {"parent_id": str(units.ids["DINKES"])}, {"kind": "instansi"}):
        data = {"code": "DISDIK-SLB", "name": "Bidang SLB", "parent_id": str(units.ids["DISDIK"]),
                "kind": "sub_unit", **forged}
        assert post(lms_client, "/admin/units", data).status_code == 400, forged
    assert state(lms_app) == before
    data = {"code": "DISDIK-SLB", "name": "Bidang SLB", "parent_id": str(units.ids["DISDIK"]), "kind": "sub_unit"}
    assert post(lms_client, "/admin/units", data).status_code == 302
    assert tree(lms_app)["DISDIK-SLB"][1] == "DISDIK"


def test_rename_keeps_the_code_and_is_audited(lms_app, lms_client, lms_auth, lms_user, units):
    lms_auth.login(lms_user("unit_admin", unit=units.disdik))
    post(lms_client, f"/admin/units/{units.ids['DISDIK-SD']}/rename", {"name": "  Bidang Sekolah Dasar "})
    assert tree(lms_app)["DISDIK-SD"][0] == "Bidang Sekolah Dasar"
    [entry] = [e for e in actions(lms_app) if e.action == "unit.renamed"]
    assert entry.details == {"old": "Bidang SD", "new": "Bidang Sekolah Dasar"}
    assert entry.unit_path == units.sd.path


def test_unit_admin_cannot_rename_or_move_their_own_unit(lms_app, lms_client, lms_auth, lms_user, units):
    lms_auth.login(lms_user("unit_admin", unit=units.disdik))
    before = state(lms_app)
    assert post(lms_client, f"/admin/units/{units.ids['DISDIK']}/rename", {"name": "X"}).status_code == 403
    assert post(lms_client, f"/admin/units/{units.ids['DISDIK']}/move",
                {"parent_id": str(units.ids["DINKES"])}).status_code == 403
    page = lms_client.get(f"/admin/units/{units.ids['DISDIK']}").get_data(as_text=True)
    assert "/rename" not in page and "/move\"" not in page
    assert state(lms_app) == before


# ------------------------------------------------------------------ moving units


def test_move_rewrites_the_subtree_paths_in_one_update(lms_app, lms_client, lms_auth, lms_user, units,
                                                      lms_queries):
    lms_auth.login(lms_user("admin"))
    with lms_queries() as q:
        response = post(lms_client, f"/admin/units/{units.ids['DISDIK-SD']}/move",
                        {"parent_id": str(units.ids["DINKES"])})
    assert response.status_code == 302
    updates = [s for s in q.statements if s.lstrip().upper().startswith("UPDATE UNITS")]
    assert len(updates) == 1
    after = tree(lms_app)
    dinkes_path = after["DINKES"][2]
    assert after["DISDIK-SD"][1] == "DINKES" and after["DISDIK-SD"][2] == f"{dinkes_path}{units.sd.id:08d}/"
    assert after["DISDIK-SD-1"][1] == "DISDIK-SD"
    assert after["DISDIK-SD-1"][2] == f"{dinkes_path}{units.sd.id:08d}/{units.sd1.id:08d}/"
    assert after["DISDIK-SMP"][2] == units.smp.path  # siblings untouched
    [entry] = [e for e in actions(lms_app) if e.action == "unit.moved"]
    assert entry.details == {"old_parent": "DISDIK", "new_parent": "DINKES"}
    assert entry.unit_path == after["DISDIK-SD"][2]
    with lms_app.app_context():
        dinkes = orgs.get_by_code("DINKES")
        assert {u.code for u in orgs.subtree(dinkes)} == {"DINKES", "DISDIK-SD", "DISDIK-SD-1"}


def test_moved_subtree_changes_hands(lms_app, lms_client, lms_auth, lms_user, units):
    """After a move the subtree's people belong to the new parent's unit admin, not the old one's."""
    person = lms_user(unit=units.sd1)
    lms_auth.login(lms_user("admin"))
    post(lms_client, f"/admin/units/{units.ids['DISDIK-SD']}/move", {"parent_id": str(units.ids["DINKES"])})
    lms_auth.logout()
    lms_auth.login(lms_user("unit_admin", unit=units.disdik))
    assert lms_client.get(f"/admin/users/{person.id}").status_code == 404
    lms_auth.logout()
    lms_auth.login(lms_user("unit_admin", unit=units.dinkes))
    assert lms_client.get(f"/admin/users/{person.id}").status_code == 200


@pytest.mark.parametrize("unit, parent, message", [
    ("DISDIK", "DISDIK-SD-1", "A unit cannot move under itself or one of its sub-units."),
    ("DISDIK", "DISDIK", "A unit cannot move under itself or one of its sub-units."),
    ("PEMKOT", "PROV", "An agency (instansi) stays at the top of the tree."),
])
def test_impossible_moves_are_refused(lms_app, lms_client, lms_auth, lms_user, units, english, unit, parent,
                                      message):
    lms_auth.login(lms_user("admin"))
    before = state(lms_app)
    response = post(lms_client, f"/admin/units/{units.ids[unit]}/move", {"parent_id": str(units.ids[parent])},
                    follow_redirects=True)
    assert message in response.get_data(as_text=True)
    assert state(lms_app) == before


def test_move_service_refuses_descendants_directly(lms_app, units):
    with lms_app.app_context():
        disdik, sd1 = orgs.get_by_code("DISDIK"), orgs.get_by_code("DISDIK-SD-1")
        with pytest.raises(ValidationFailed):
            orgs.move_unit(disdik, sd1)
        orgs.move_unit(sd1, disdik)  # a move up is fine
        assert orgs.get_by_code("DISDIK-SD-1").path == f"{disdik.path}{sd1.id:08d}/"


def test_unit_admin_moves_only_within_their_subtree(lms_app, lms_client, lms_auth, lms_user, units):
    lms_auth.login(lms_user("unit_admin", unit=units.disdik))
    before = state(lms_app)
    for parent in ("DINKES", "PEMKOT", "PROV"):
        post(lms_client, f"/admin/units/{units.ids['DISDIK-SD']}/move", {"parent_id": str(units.ids[parent])})
    assert state(lms_app) == before
    post(lms_client, f"/admin/units/{units.ids['DISDIK-SD-1']}/move", {"parent_id": str(units.ids["DISDIK-SMP"])})
    assert tree(lms_app)["DISDIK-SD-1"][1] == "DISDIK-SMP"


# ------------------------------------------------------------------ moving people


def test_moving_people_between_units(lms_app, lms_client, lms_auth, lms_user, units):
    first, second = lms_user(unit=units.sd), lms_user("author", unit=units.sd)
    admin_here = lms_user("unit_admin", unit=units.sd)
    ua = lms_user("unit_admin", unit=units.disdik)
    lms_auth.login(ua)
    page = lms_client.get(f"/admin/units/{units.ids['DISDIK-SD']}").get_data(as_text=True)
    boxes = re.findall(r'name="user_ids" value="(\d+)"', page)
    assert sorted(int(b) for b in boxes) == sorted([first.id, second.id])  # not the unit admin
    back = f"/admin/units/{units.ids['DISDIK-SD']}"
    response = lms_client.post("/admin/units/move-users", data={
        "user_ids": [str(first.id), str(second.id)], "target_unit_id": str(units.ids["DISDIK-SMP"]),
        "next": back, "csrf_token": lms_client.csrf_token("/")})
    assert response.status_code == 302 and response.location == back
    assert user_unit(lms_app, first.id) == user_unit(lms_app, second.id) == units.ids["DISDIK-SMP"]
    assert user_unit(lms_app, admin_here.id) == units.ids["DISDIK-SD"]
    moved = [e for e in actions(lms_app) if e.action == "user.moved"]
    assert sorted(int(e.target_id) for e in moved) == sorted([first.id, second.id])
    assert all(e.details["old"] == "DISDIK-SD" and e.details["new"] == "DISDIK-SMP" for e in moved)


@pytest.mark.parametrize("extra, status", [("outsider", 404), ("peer", 403), ("unknown", 404)])
def test_moving_people_is_all_or_nothing(lms_app, lms_client, lms_auth, lms_user, units, extra, status):
    mine = lms_user(unit=units.sd)
    other = {"outsider": lambda: lms_user(unit=units.dinkes).id,
             "peer": lambda: lms_user("unit_admin", unit=units.sd).id,
             "unknown": lambda: 9999}[extra]()
    lms_auth.login(lms_user("unit_admin", unit=units.disdik))
    before = state(lms_app)
    response = lms_client.post("/admin/units/move-users", data={
        "user_ids": [str(mine.id), str(other)], "target_unit_id": str(units.ids["DISDIK-SMP"]),
        "csrf_token": lms_client.csrf_token("/")})
    assert response.status_code == status
    assert state(lms_app) == before


def test_moving_people_out_of_the_subtree_is_refused(lms_app, lms_client, lms_auth, lms_user, units):
    mine = lms_user(unit=units.sd)
    lms_auth.login(lms_user("unit_admin", unit=units.disdik))
    before = state(lms_app)
    for target in ("DINKES", "PEMKOT", "abc", ""):
        lms_client.post("/admin/units/move-users", data={
            "user_ids": [str(mine.id)], "target_unit_id": str(units.ids.get(target, target)),
            "csrf_token": lms_client.csrf_token("/")})
    response = lms_client.post("/admin/units/move-users", data={
        "user_ids": ["x"], "target_unit_id": str(units.ids["DISDIK-SMP"]),
        "csrf_token": lms_client.csrf_token("/")})
    assert response.status_code == 302
    assert state(lms_app) == before


def test_unit_page_lists_counts_in_few_queries(lms_app, lms_client, lms_auth, lms_user, units, lms_queries,
                                               english):
    lms_auth.login(lms_user("admin"))
    counts = []
    for extra in (1, 20):
        for _ in range(extra):
            lms_user(unit=units.sd)
        with lms_queries() as q:
            page = lms_client.get("/admin/units").get_data(as_text=True)
        counts.append(q.count)
    assert "21 people" in page
    assert counts[0] == counts[1]
