"""The audit log viewer at /admin/audit and its CSV export: scope, filters, pages."""
from __future__ import annotations

import csv
import io
import re

import pytest

from lms.database import db
from lms.models import User
from lms.services import audit, orgs


@pytest.fixture
def log(lms_app, lms_user, units):
    """Entries in DISDIK-SD, DINKES and without a unit, by one admin."""
    admin = lms_user("admin", name="Admin Pusat")
    with lms_app.app_context():
        actor = db.session.get(User, admin.id)
        sd, dinkes = orgs.get_by_code("DISDIK-SD"), orgs.get_by_code("DINKES")
        audit.record(actor, "user.created", "user", 101, unit=sd, email="sd@example.go.id")
        audit.record(actor, "unit.renamed", "unit", "DISDIK-SD", unit=sd, old="A", new="B")
        audit.record(actor, "user.deactivated", "user", 102, unit=dinkes, email="dinkes@example.go.id")
        audit.record(actor, "settings.changed", setting="JP_TARGET")
        db.session.commit()
    return admin


def targets(page: str) -> list[str]:
    """The action of each entry listed, in order."""
    body = page.split('<ul class="audit-list">', 1)[1].split("</ul>", 1)[0]
    return re.findall(r"<code>([a-z_.]+)</code>", body)


@pytest.mark.parametrize("role, status, seen", [
    ("anonymous", 302, None), ("learner", 403, None), ("author", 403, None),
    ("other_unit_admin", 200, ["user.deactivated"]),
    ("unit_admin", 200, ["unit.renamed", "user.created"]),
    ("admin", 200, ["settings.changed", "user.deactivated", "unit.renamed", "user.created"]),
])
def test_role_matrix(lms_client, lms_auth, lms_user, units, log, role, status, seen):
    if role != "anonymous":
        unit = units.dinkes if role == "other_unit_admin" else units.disdik
        lms_auth.login(lms_user("unit_admin" if role == "other_unit_admin" else role, unit=unit))
    response = lms_client.get("/admin/audit")
    assert response.status_code == status
    exported = lms_client.get("/admin/audit.csv")
    assert exported.status_code == status
    if status == 302:
        assert response.location.startswith("/login?next=") and exported.location.startswith("/login?next=")
    if seen is not None:
        assert targets(response.get_data(as_text=True)) == seen
        assert exported.mimetype == "text/csv"
        assert re.match(r'attachment; filename="audit-\d{8}\.csv"', exported.headers["Content-Disposition"])
        rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
        assert rows[0][:3] == ["time_utc", "actor", "action"]
        assert [r[2] for r in rows[1:]] == seen and {r[1] for r in rows[1:]} == {log.email}


def test_unit_admin_without_a_unit_reads_nothing(lms_client, lms_auth, lms_user, log):
    lms_auth.login(lms_user("unit_admin"))
    assert targets(lms_client.get("/admin/audit").get_data(as_text=True)) == []
    assert len(lms_client.get("/admin/audit.csv").get_data(as_text=True).splitlines()) == 1


def test_filter_by_action_prefix(lms_client, lms_auth, log):
    lms_auth.login(log)
    assert targets(lms_client.get("/admin/audit?action=user.").get_data(as_text=True)) == [
        "user.deactivated", "user.created"]
    assert targets(lms_client.get("/admin/audit?action=unit.renamed").get_data(as_text=True)) == ["unit.renamed"]
    assert targets(lms_client.get("/admin/audit?action=100%25_").get_data(as_text=True)) == []
    assert targets(lms_client.get("/admin/audit?action=" + "x" * 100).get_data(as_text=True)) == [
        "settings.changed", "user.deactivated", "unit.renamed", "user.created"]  # too long: ignored


def test_admin_changes_appear_in_the_log(lms_client, lms_auth, lms_user, units):
    target = lms_user(unit=units.sd)
    lms_auth.login(lms_user("unit_admin", unit=units.disdik))
    lms_client.submit(f"/admin/users/{target.id}/role", {"role": "author"}, form_page="/")
    lms_client.submit(f"/admin/users/{target.id}/deactivate", form_page="/")
    page = lms_client.get("/admin/audit").get_data(as_text=True)
    assert targets(page) == ["user.deactivated", "user.role_changed"]
    assert f'href="/admin/users/{target.id}"' in page
    detail = lms_client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert "user.role_changed" in detail and "user.deactivated" in detail


def test_log_is_paginated_in_constant_queries(lms_app, lms_client, lms_auth, lms_user, units, lms_queries):
    admin = lms_user("admin")
    lms_auth.login(admin)
    counts = []
    with lms_app.app_context():
        actor = db.session.get(User, admin.id)
        for n in range(55):
            audit.record(actor, "user.created", "user", n, unit=orgs.get_by_code("DISDIK-SD"), n=n)
        db.session.commit()
    for url in ("/admin/audit", "/admin/audit?page=2"):
        with lms_queries() as q:
            page = lms_client.get(url).get_data(as_text=True)
        counts.append((q.count, len(targets(page))))
    assert counts[0][1] == 50 and counts[1][1] == 5
    assert counts[0][0] == counts[1][0]
    assert 'href="/admin/audit?page=2"' in lms_client.get("/admin/audit").get_data(as_text=True)


@pytest.mark.parametrize("role, status", [("anonymous", 302), ("learner", 403), ("author", 403),
                                          ("unit_admin", 200), ("admin", 200)])
def test_the_administration_home_and_its_menu_entry(lms_client, lms_auth, lms_user, role, status):
    if role != "anonymous":
        lms_auth.login(lms_user(role))
    response = lms_client.get("/admin/")
    assert response.status_code == status
    home = lms_client.get("/").get_data(as_text=True)
    assert ('href="/admin/"' in home) == (status == 200)
    if status == 200:
        page = response.get_data(as_text=True)
        for path in ("/admin/users", "/admin/units", "/admin/assignments", "/admin/reports/jp", "/admin/audit"):
            assert f'href="{path}' in page
        assert ('href="/admin/certificates' in page) == (role == "admin")
