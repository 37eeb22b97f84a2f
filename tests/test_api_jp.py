"""API JP: the caller's ledger (/me/jp) and the compliance report for admins (/reports/jp)."""
from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from api_schema import checked
from lms.database import db
from lms.models import Certificate, JpEntry, JpSource, JpStatus, User
from lms.services import tokens

YEAR = 2026
LEDGER, REPORT = "/me/jp", "/reports/jp"


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def call(app, client, url: str, template: str, status: int, secret: str | None = None):
    response = client.get("/api/v1" + url, headers=bearer(secret) if secret else {})
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    data = checked(app, response, template, "GET")
    if status >= 400:
        assert set(data) == {"error"} and set(data["error"]) == {"code", "message", "details"}
    return data


def make_token(app, user_id: int, write: bool = False) -> str:
    with app.app_context():
        return tokens.create(db.session.get(User, user_id), name="uji", write=write, days=7)[1]


def credit(app, user, jp: int, *, year: int = YEAR, status: str = "approved", competency: str = "teknis",
           title: str = "Pelatihan", day: int = 1) -> None:
    with app.app_context():
        db.session.add(JpEntry(user_id=user.id, year=year, source=JpSource.EXTERNAL, status=JpStatus(status),
                               jp=jp, title=title, organiser="BPSDM", competency=competency,
                               start_on=dt.date(year, 3, day), end_on=dt.date(year, 3, day + 1),
                               decision_note="Bukti kurang" if status == "rejected" else ""))
        db.session.commit()


# ----------------------------------------------------------------------- ledger


def test_anonymous_callers_get_401(lms_app, lms_client):
    for url, template in ((LEDGER, LEDGER), (REPORT, REPORT)):
        assert call(lms_app, lms_client, url, template, 401)["error"]["code"] == "unauthenticated"


def test_ledger_lists_entries_totals_and_the_target(lms_app, lms_client, lms_auth, lms_user, lms_course):
    course = lms_course("bersertifikat", lessons=1, jp=3, competency="manajerial")
    learner = lms_user(name="Siti Rahmawati")
    lms_auth.login(learner)
    lms_client.submit("/courses/bersertifikat/enrol", form_page="/courses/bersertifikat")
    key = course.lesson_keys[0]
    lms_client.submit(f"/learn/bersertifikat/{key}/complete", form_page=f"/learn/bersertifikat/{key}")
    lms_auth.logout()
    with lms_app.app_context():
        number = db.session.scalar(select(Certificate.number))
        year = db.session.scalar(select(JpEntry.year))
    credit(lms_app, learner, 10, year=year, title="Diklat teknis")
    credit(lms_app, learner, 7, year=year, status="pending", title="Menunggu")
    credit(lms_app, learner, 15, year=year, status="rejected", title="Ditolak")
    credit(lms_app, learner, 40, year=year - 1, title="Tahun lalu")
    secret = make_token(lms_app, learner.id)
    data = call(lms_app, lms_client, f"{LEDGER}?year={year}", LEDGER, 200, secret)
    assert (data["year"], data["target"], data["approved_jp"], data["pending_jp"], data["reached"]) == (
        year, 20, 13, 7, False)
    assert data["by_competency"] == [{"competency": "manajerial", "jp": 3}, {"competency": "teknis", "jp": 10}]
    by_title = {e["title"]: e for e in data["entries"]}
    assert set(by_title) == {course.title, "Diklat teknis", "Menunggu", "Ditolak"}
    course_entry = by_title[course.title]
    assert (course_entry["source"], course_entry["status"], course_entry["jp"],
            course_entry["certificate_number"]) == ("course", "approved", 3, number)
    assert by_title["Ditolak"]["decision_note"] == "Bukti kurang" and by_title["Ditolak"]["certificate_number"] is None
    assert call(lms_app, lms_client, LEDGER, LEDGER, 200, secret)["year"] == dt.date.today().year
    last = call(lms_app, lms_client, f"{LEDGER}?year={year - 1}", LEDGER, 200, secret)
    assert (last["approved_jp"], last["reached"], len(last["entries"])) == (40, True, 1)
    for bad in ("1999", "2101", "dua"):
        data = call(lms_app, lms_client, f"{LEDGER}?year={bad}", LEDGER, 422, secret)
        assert data["error"]["code"] == "validation_failed" and "year" in data["error"]["details"]


def test_ledger_is_the_callers_own_and_sends_an_etag(lms_app, lms_client, lms_user):
    ani, budi = lms_user(), lms_user()
    credit(lms_app, ani, 25)
    secret = make_token(lms_app, budi.id)
    assert call(lms_app, lms_client, f"{LEDGER}?year={YEAR}", LEDGER, 200, secret)["entries"] == []
    response = lms_client.get(f"/api/v1{LEDGER}?year={YEAR}", headers=bearer(secret))
    again = lms_client.get(f"/api/v1{LEDGER}?year={YEAR}",
                           headers={**bearer(secret), "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    checked(lms_app, again, LEDGER)


def test_ledger_costs_the_same_for_more_entries(lms_app, lms_client, lms_user, lms_queries):
    user = lms_user()
    secret = make_token(lms_app, user.id)

    def cost():
        with lms_queries() as counter:
            call(lms_app, lms_client, f"{LEDGER}?year={YEAR}", LEDGER, 200, secret)
        return counter.count

    credit(lms_app, user, 2)
    cost()  # the token's first use writes last_used_at
    one = cost()
    for n in range(5):
        credit(lms_app, user, 2, day=n + 2, competency="manajerial")
    assert cost() == one


# ----------------------------------------------------------------------- report


@pytest.fixture
def org(lms_app, lms_user, units):
    """PEMKOT > DISDIK (ani 22, ua 0) > DISDIK-SD (budi 8); PEMKOT > DINKES (dedi 40; eka no NIP)."""
    people = SimpleNamespace(
        admin=lms_user("admin", nip=None), ua=lms_user("unit_admin", name="Ua Disdik", unit=units.disdik),
        ani=lms_user(name="Ani", unit=units.disdik), budi=lms_user("author", name="Budi", unit=units.sd),
        dedi=lms_user(name="Dedi", unit=units.dinkes), eka=lms_user(name="Eka", unit=units.dinkes, nip=None),
        learner=lms_user(name="Lulu", unit=units.sd, nip=None), author=lms_user("author", nip=None))
    credit(lms_app, people.ani, 12)
    credit(lms_app, people.ani, 10, competency="manajerial")
    credit(lms_app, people.budi, 8)
    credit(lms_app, people.dedi, 40)
    credit(lms_app, people.eka, 40)
    people.secret = {name: make_token(lms_app, getattr(people, name).id)
                     for name in ("admin", "ua", "learner", "author")}
    return people


def test_report_is_for_admins_only(lms_app, lms_client, org):
    for who in ("learner", "author"):
        assert call(lms_app, lms_client, REPORT, REPORT, 403, org.secret[who])["error"]["code"] == "forbidden"


def test_report_people_for_admin_and_unit_admin(lms_app, lms_client, org):
    data = call(lms_app, lms_client, f"{REPORT}?year={YEAR}&sort=name", REPORT, 200, org.secret["admin"])
    rows = {p["name"]: (p["jp"], p["reached"], p["unit_code"]) for p in data["items"]}
    assert rows == {"Ani": (22, True, "DISDIK"), "Budi": (8, False, "DISDIK-SD"), "Dedi": (40, True, "DINKES"),
                    "Ua Disdik": (0, False, "DISDIK")}  # no NIP, not ASN: not counted
    mine = call(lms_app, lms_client, f"{REPORT}?year={YEAR}", REPORT, 200, org.secret["ua"])
    assert [p["name"] for p in mine["items"]] == ["Ua Disdik", "Budi", "Ani"]  # fewest JP first
    sd = call(lms_app, lms_client, f"{REPORT}?year={YEAR}&unit=disdik-sd", REPORT, 200, org.secret["ua"])
    assert [p["name"] for p in sd["items"]] == ["Budi"]
    below = call(lms_app, lms_client, f"{REPORT}?year={YEAR}&below=true&sort=-jp", REPORT, 200, org.secret["admin"])
    assert [p["name"] for p in below["items"]] == ["Budi", "Ua Disdik"]
    other_year = call(lms_app, lms_client, f"{REPORT}?year={YEAR - 1}", REPORT, 200, org.secret["admin"])
    assert {p["jp"] for p in other_year["items"]} == {0}


def test_report_scope_and_validation(lms_app, lms_client, org):
    for unit in ("DINKES", "PEMKOT"):
        data = call(lms_app, lms_client, f"{REPORT}?unit={unit}", REPORT, 403, org.secret["ua"])
        assert data["error"]["code"] == "forbidden"
    assert call(lms_app, lms_client, f"{REPORT}?unit=NOPE", REPORT, 404, org.secret["admin"])["error"]["code"] == "not_found"
    for query in ("year=1999", "sort=random", "per_page=500", "below=perhaps"):
        data = call(lms_app, lms_client, f"{REPORT}?{query}", REPORT, 422, org.secret["admin"])
        assert data["error"]["code"] == "validation_failed"


def test_report_pages_with_links_and_etag(lms_app, lms_client, org):
    url = f"{REPORT}?year={YEAR}&per_page=1&sort=name"
    first = call(lms_app, lms_client, url, REPORT, 200, org.secret["admin"])
    assert (first["total"], first["pages"], [p["name"] for p in first["items"]]) == (4, 4, ["Ani"])
    response = lms_client.get(f"/api/v1{url}&page=2", headers=bearer(org.secret["admin"]))
    links = {rel for _url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"])}
    assert links == {"first", "prev", "next", "last"}
    assert checked(lms_app, response, REPORT)["items"][0]["name"] == "Budi"
    again = lms_client.get(f"/api/v1{url}", headers={**bearer(org.secret["admin"]),
                                                    "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 200  # another page, another ETag
    same = lms_client.get(f"/api/v1{url}&page=2", headers={**bearer(org.secret["admin"]),
                                                          "If-None-Match": response.headers["ETag"]})
    assert same.status_code == 304
    beyond = call(lms_app, lms_client, f"{url}&page=9", REPORT, 200, org.secret["admin"])
    assert beyond["items"] == [] and beyond["page"] == 9


def test_report_costs_the_same_for_more_people(lms_app, lms_client, org, lms_user, units, lms_queries):
    def cost(who):
        with lms_queries() as counter:
            call(lms_app, lms_client, f"{REPORT}?year={YEAR}&per_page=100", REPORT, 200, org.secret[who])
        return counter.count

    cost("admin"), cost("ua")  # the tokens' first use writes last_used_at
    before = {who: cost(who) for who in ("admin", "ua")}
    for n in range(6):
        credit(lms_app, lms_user(name=f"Tambahan {n}", unit=units.sd if n % 2 else units.dinkes), n * 5)
    assert {who: cost(who) for who in ("admin", "ua")} == before
