"""Experiential learning: the JP conversion rules at their boundaries, recording with the
raw measure, approval by the supervisor / unit admin / admin (and nobody else, never of
one's own entries), the learner's notification, the ledger page and the year totals."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import select

from lms.database import db
from lms.models import JpEntry, JpStatus, JpYearTotal, Notification, User
from lms.services import jp_ledger, jp_rules, orgs

PDF = b"%PDF-1.4\n% bukti coaching\n"
YEAR = dt.date.today().year
DAY = dt.date(YEAR, 1, 10)


@pytest.fixture
def org(lms_app, lms_user):
    """Unit A (with the learner, her supervisor and unit admin A) and unit B (unit admin B)."""
    with lms_app.app_context():
        root = orgs.create_unit(code="PEMKOT", name="Pemkot", kind="instansi")
        a = orgs.create_unit(code="ALFA", name="Unit Alfa", kind="opd", parent=root)
        b = orgs.create_unit(code="BETA", name="Unit Beta", kind="opd", parent=root)
        ids = (a, b)
    boss = lms_user(name="Bu Atasan", unit=ids[0])
    learner = lms_user(name="Laras", unit=ids[0])
    peer = lms_user(name="Rekan", unit=ids[0])
    admin_a = lms_user("unit_admin", name="Admin Alfa", unit=ids[0])
    admin_b = lms_user("unit_admin", name="Admin Beta", unit=ids[1])
    admin = lms_user("admin", name="Admin Pusat")
    with lms_app.app_context():
        db.session.get(User, learner.id).supervisor_id = boss.id
        db.session.get(User, boss.id).supervisor_id = admin_a.id
        db.session.commit()
    return dict(boss=boss, learner=learner, peer=peer, admin_a=admin_a, admin_b=admin_b, admin=admin)


def record(app, user_id, kind="coaching", measure="3", end_on=DAY, **fields):
    with app.app_context():
        entry = jp_ledger.record_experiential(
            db.session.get(User, user_id), kind=kind, title=fields.get("title", "Coaching kinerja"),
            organiser="Pak Mentor", start_on=fields.get("start_on", end_on), end_on=end_on, measure=Decimal(measure),
            competency="manajerial", evidence=PDF, evidence_name="bukti.pdf")
        return entry.id


def entry_of(app, entry_id) -> JpEntry:
    with app.app_context():
        return db.session.get(JpEntry, entry_id)


# ---------------------------------------------------------------------- the rules


def rule(kind, **config):
    return jp_rules.build_rules(config or None)[kind]


@pytest.mark.parametrize("hours, jp", [("0.75", 1), ("1.49", 1), ("1.5", 2), ("7.5", 10), ("7.49", 9),
                                       ("8", 10), ("100", 10)])
def test_coaching_is_one_jp_per_45_minutes_capped_per_entry(hours, jp):
    assert rule("coaching").convert(Decimal(hours)) == jp


def test_the_yearly_cap_leaves_what_is_left_and_then_refuses():
    coaching = rule("coaching")  # 10 per entry, 20 per year
    assert jp_rules.credit(coaching, Decimal(8), used_this_year=0) == 10
    assert jp_rules.credit(coaching, Decimal(8), used_this_year=15) == 5
    assert jp_rules.credit(coaching, Decimal(8), used_this_year=19) == 1
    with pytest.raises(jp_rules.RuleError):
        jp_rules.credit(coaching, Decimal(8), used_this_year=20)
    with pytest.raises(jp_rules.RuleError):  # less than one JP
        jp_rules.credit(coaching, Decimal("0.74"), used_this_year=0)
    with pytest.raises(jp_rules.RuleError):
        jp_rules.credit(coaching, Decimal(0), used_this_year=0)
    with pytest.raises(jp_rules.RuleError):
        jp_rules.credit(coaching, jp_rules.MAX_MEASURE + 1, used_this_year=0)


def test_magang_per_day_and_community_per_meeting():
    assert rule("magang").convert(Decimal(1)) == 5 and rule("magang").convert(Decimal(12)) == 60
    assert rule("magang").convert(Decimal(13)) == 60
    assert jp_rules.credit(rule("komunitas"), Decimal(6), used_this_year=0) == 10  # per entry 10
    assert jp_rules.credit(rule("komunitas"), Decimal(6), used_this_year=10) == 2  # year 12
    assert rule("pelatihan").convert(Decimal(200)) == 200 and rule("pelatihan").max_per_year is None


def test_rules_are_configurable_and_a_wrong_setting_is_named():
    changed = jp_rules.build_rules({"magang": {"jp_per_unit": "4", "max_per_year": None},
                                    "coaching": {"jp_per_unit": "1/2"}, "seminar": {"enabled": False}})
    assert changed["magang"].jp_per_unit == 4 and changed["magang"].max_per_year is None
    assert changed["coaching"].jp_per_unit == Fraction(1, 2) and changed["coaching"].convert(Decimal(3)) == 1
    assert not changed["seminar"].enabled
    for wrong, named in [({"yoga": {}}, "yoga"), ({"magang": {"jp_per_unit": "-1"}}, "jp_per_unit"),
                         ({"magang": {"jp_per_unit": "x"}}, "jp_per_unit"),
                         ({"magang": {"max_per_year": 0}}, "limit"), ({"magang": {"cap": 1}}, "cap"),
                         ({"magang": {"unit": "week"}}, "unit")]:
        with pytest.raises(jp_rules.RuleError, match=named):
            jp_rules.build_rules(wrong)


@pytest.mark.lms_config(EXPERIENTIAL_JP_RULES={"seminar": {"enabled": False}, "magang": {"jp_per_unit": "2"}})
def test_the_rules_page_shows_the_rules_in_force(lms_client, lms_auth, lms_user):
    assert lms_client.get("/jp/rules").status_code == 302
    lms_auth.login(lms_user())
    page = lms_client.get("/jp/rules").get_data(as_text=True)
    assert "Coaching" in page and "4/3" in page and "Seminar" not in page
    form = lms_client.get("/me/jp").get_data(as_text=True)
    assert 'value="magang"' in form and 'value="seminar"' not in form


# --------------------------------------------------------------------- recording


def post(client, **fields):
    data = {"kind": "coaching", "title": "Coaching kinerja", "organiser": "Pak Mentor",
            "start_on": DAY.isoformat(), "end_on": DAY.isoformat(), "measure": "3",
            "competency": "manajerial", **fields, "evidence": (io.BytesIO(PDF), "bukti.pdf")}
    data["csrf_token"] = client.csrf_token("/me/jp")
    return client.post("/me/jp", data=data, content_type="multipart/form-data")


def test_recording_computes_the_jp_from_the_measure(lms_app, lms_client, lms_auth, org):
    lms_auth.login(org["learner"])
    assert post(lms_client, reference_number="SK-12/2026").status_code == 302
    entry = entry_of(lms_app, 1)
    assert (entry.kind, entry.measure, entry.measure_unit, entry.jp, entry.status) == \
        ("coaching", Decimal("3.00"), "hour", 4, JpStatus.PENDING)
    assert entry.reference_number == "SK-12/2026"
    for bad in [{"measure": "0"}, {"measure": "0.5"}, {"kind": "yoga"}, {"measure": "", "jp": ""},
                {"kind": "magang", "measure": "3"}]:  # magang: 3 days in a one-day period
        assert post(lms_client, **bad).status_code == 400, bad
    with lms_app.app_context():
        assert len(db.session.scalars(select(JpEntry)).all()) == 1  # nothing half-written


def test_the_yearly_cap_counts_pending_entries_too(lms_app, org):
    for _ in range(2):
        record(lms_app, org["learner"].id, measure="8")  # 10 + 10: the year's 20
    with pytest.raises(jp_ledger.LedgerError, match="20 JP"):
        record(lms_app, org["learner"].id, measure="1")
    record(lms_app, org["learner"].id, kind="mentoring", measure="1")  # another kind, its own cap


def test_the_ledger_shows_course_and_experiential_jp_side_by_side(lms_app, lms_client, lms_auth, org,
                                                                   lms_course):
    lms_course("kursus-a", lessons=1, jp=6)
    lms_auth.login(org["learner"])
    lms_client.submit("/courses/kursus-a/enrol", form_page="/courses/kursus-a")
    lms_client.submit("/learn/kursus-a/pelajaran-1/complete", form_page="/learn/kursus-a/pelajaran-1")
    entry_id = record(lms_app, org["learner"].id, kind="magang", measure="2", start_on=DAY,
                      end_on=DAY + dt.timedelta(days=1))
    with lms_app.app_context():
        jp_ledger.decide(db.session.get(JpEntry, entry_id), db.session.get(User, org["boss"].id), True)
    page = lms_client.get(f"/me/jp?year={YEAR}").get_data(as_text=True)
    assert "Internship (magang)" in page or "Magang" in page
    with lms_app.app_context():
        ledger = jp_ledger.year_of(db.session.get(User, org["learner"].id), YEAR)
    assert ledger.experiential_jp == 10 and ledger.course_jp == 6 and ledger.approved_jp == 16
    assert f"{ledger.experiential_jp} JP" in page and f"{ledger.course_jp} JP" in page


# ---------------------------------------------------------------------- approving


def decide_by_page(client, auth, who, entry_id, decision="approve", note="", supervisor=True):
    auth.login(who)
    base = "/me/jp/approvals" if supervisor else "/admin/jp"
    response = client.submit(f"{base}/{entry_id}/{decision}", {"note": note}, form_page="/me/jp")
    auth.logout()
    return response


def test_the_supervisor_sees_and_approves_a_report_s_entry(lms_app, lms_client, lms_auth, org):
    entry_id = record(lms_app, org["learner"].id, title="Coaching Laras")
    lms_auth.login(org["boss"])
    assert "/me/jp/approvals" in lms_client.get("/me/jp").get_data(as_text=True)  # 1 waits for her
    assert "Coaching Laras" in lms_client.get("/me/jp/approvals").get_data(as_text=True)
    assert lms_client.get(f"/me/jp/{entry_id}/evidence").data == PDF
    lms_auth.logout()
    lms_auth.login(org["peer"])
    assert "Coaching Laras" not in lms_client.get("/me/jp/approvals").get_data(as_text=True)
    lms_auth.logout()
    assert decide_by_page(lms_client, lms_auth, org["boss"], entry_id).status_code == 302
    entry = entry_of(lms_app, entry_id)
    assert entry.status == JpStatus.APPROVED
    assert (entry.decided_by_id, entry.decided_as) == (org["boss"].id, "supervisor")
    with lms_app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.kind == "jp_decision"))
        assert note.user_id == org["learner"].id and "Coaching Laras" in note.subject


@pytest.mark.parametrize("who, supervisor, allowed, capacity", [
    ("learner", True, False, None),     # her own entry
    ("peer", True, False, None),        # not her supervisor
    ("admin_b", False, False, None),    # unit admin of another unit
    ("admin_b", True, False, None),
    ("admin_a", False, True, "unit_admin"),
    ("admin", False, True, "admin"),
    ("boss", True, True, "supervisor"),
])
def test_who_may_decide(lms_app, lms_client, lms_auth, org, who, supervisor, allowed, capacity):
    entry_id = record(lms_app, org["learner"].id)
    response = decide_by_page(lms_client, lms_auth, org[who], entry_id, supervisor=supervisor)
    entry = entry_of(lms_app, entry_id)
    if allowed:
        assert response.status_code == 302 and entry.status == JpStatus.APPROVED and entry.decided_as == capacity
    else:
        assert response.status_code in (403, 404) and entry.status == JpStatus.PENDING


def test_a_supervisor_cannot_approve_their_own_entry(lms_app, lms_client, lms_auth, org):
    """Bu Atasan supervises Laras and is herself supervised by admin A: her own entry is
    not in her list and cannot be decided by her, even as a unit admin would."""
    own = record(lms_app, org["boss"].id, title="Coaching Atasan")
    lms_auth.login(org["boss"])
    assert "Coaching Atasan" not in lms_client.get("/me/jp/approvals").get_data(as_text=True)
    lms_auth.logout()
    assert decide_by_page(lms_client, lms_auth, org["boss"], own).status_code == 404
    assert entry_of(lms_app, own).status == JpStatus.PENDING
    admin_self = record(lms_app, org["admin"].id)
    with lms_app.app_context():
        entry = db.session.get(JpEntry, own)
        assert not jp_ledger.can_review(db.session.get(User, org["boss"].id), entry)
        assert not jp_ledger.can_review(db.session.get(User, org["admin"].id), db.session.get(JpEntry, admin_self))


def test_a_rejection_needs_a_reason_which_the_learner_receives(lms_app, lms_client, lms_auth, org):
    entry_id = record(lms_app, org["learner"].id)
    decide_by_page(lms_client, lms_auth, org["boss"], entry_id, "reject", note="")
    assert entry_of(lms_app, entry_id).status == JpStatus.PENDING
    decide_by_page(lms_client, lms_auth, org["boss"], entry_id, "reject", note="Bukti kurang")
    entry = entry_of(lms_app, entry_id)
    assert entry.status == JpStatus.REJECTED and entry.decision_note == "Bukti kurang"
    with lms_app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.kind == "jp_decision"))
        assert "Bukti kurang" in note.body
    assert decide_by_page(lms_client, lms_auth, org["boss"], entry_id).status_code == 302  # already decided
    assert entry_of(lms_app, entry_id).status == JpStatus.REJECTED


@pytest.mark.lms_config(EXPERIENTIAL_JP_RULES={"coaching": {"max_per_year": 12}})
def test_approval_rechecks_the_yearly_cap(lms_app, org):
    first = record(lms_app, org["learner"].id, measure="7.5")    # 10 JP
    second = record(lms_app, org["learner"].id, measure="7.5")   # 2 JP left when recorded
    assert entry_of(lms_app, second).jp == 2
    with lms_app.app_context():
        boss = db.session.get(User, org["boss"].id)
        jp_ledger.decide(db.session.get(JpEntry, first), boss, False, "Tidak relevan")
    third = record(lms_app, org["learner"].id, measure="7.5")    # first rejected: 10 left
    with lms_app.app_context():
        boss = db.session.get(User, org["boss"].id)
        jp_ledger.decide(db.session.get(JpEntry, third), boss, True)
        jp_ledger.decide(db.session.get(JpEntry, second), boss, True)
        assert db.session.get(JpEntry, second).jp == 2
        total = db.session.get(JpYearTotal, (org["learner"].id, YEAR)).jp_total
    assert total == 12


def test_year_totals_follow_experiential_decisions(lms_app, org):
    ids = [record(lms_app, org["learner"].id, kind=k, measure=m)
           for k, m in [("coaching", "3"), ("magang", "1"), ("komunitas", "2"), ("pelatihan", "7")]]  # 4 5 4 7
    with lms_app.app_context():
        boss = db.session.get(User, org["boss"].id)
        for entry_id, ok in zip(ids, [True, True, False, True]):
            jp_ledger.decide(db.session.get(JpEntry, entry_id), boss, ok, "" if ok else "Tidak hadir")
        row = db.session.get(JpYearTotal, (org["learner"].id, YEAR))
        assert row.jp_total == 4 + 5 + 7
        assert row.jp_manajerial == 16 and row.jp_teknis is None


def test_the_api_says_kind_and_measure(lms_app, lms_client, lms_auth, org):
    record(lms_app, org["learner"].id, kind="mentoring", measure="1.5")
    lms_auth.login(org["learner"])
    entries = lms_client.get(f"/api/v1/me/jp?year={YEAR}").json["entries"]
    assert entries[0]["kind"] == "mentoring" and entries[0]["measure"] == 1.5
    assert entries[0]["measure_unit"] == "hour" and entries[0]["jp"] == 2
