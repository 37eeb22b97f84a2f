"""An admin reads the JP compliance dashboard and the course reports on a phone."""
from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from lms.database import db
from lms.models import JpEntry, User
from lms.services import jp_ledger, orgs
from browser_helpers import assert_no_sideways_scroll, screenshot, sign_in

LONG_NAME = "Badan Perencanaan Pembangunan, Penelitian dan Pengembangan Daerah"
PDF = b"%PDF-1.4\n% bukti pelatihan\n"


def seed(app, lms_user) -> tuple[int, object]:
    """Units, ASN and approved external training, through the services; returns (year, admin)."""
    with app.app_context():
        root = orgs.create_unit(code="PEMKOT", name="Pemerintah Kota Semarang", kind="instansi")
        disdik = orgs.create_unit(code="DISDIK", name="Dinas Pendidikan", kind="opd", parent=root)
        bappeda = orgs.create_unit(code="BAPPEDA", name=LONG_NAME, kind="opd", parent=root)
        orgs.create_unit(code="DISDIK-SD", name="Bidang Sekolah Dasar", kind="sub_unit", parent=disdik)
    admin = lms_user("admin", name="Admin BKPSDM", nip=None)
    people = [(disdik, 24), (disdik, 6), (disdik, 0), (bappeda, 40), (bappeda, 12), (bappeda, 20)]
    made = [(lms_user(name=f"Pegawai Contoh {n}", unit=unit), jp) for n, (unit, jp) in enumerate(people, start=1)]
    end_on = dt.date.today() - dt.timedelta(days=1)
    with app.app_context():
        reviewer = db.session.get(User, admin.id)
        for person, jp in made:
            if not jp:
                continue
            entry = jp_ledger.record_external(
                db.session.get(User, person.id), title="Diklat Teknis", organiser="BPSDMD", jp=jp,
                start_on=end_on - dt.timedelta(days=2), end_on=end_on, competency="teknis",
                evidence=PDF, evidence_name="sertifikat.pdf")
            jp_ledger.decide(db.session.get(JpEntry, entry.id), reviewer, True)
    return end_on.year, admin


def test_admin_reads_the_jp_dashboard_on_a_phone(live_server, phone, lms_app, lms_user, tmp_path):
    year, admin = seed(lms_app, lms_user)
    sign_in(phone, live_server, admin.email, admin.password)

    phone.goto(f"{live_server}/admin/reports/jp?year={year}&unit=PEMKOT")
    expect(phone.locator("h1")).to_contain_text("Pemerintah Kota Semarang")
    expect(phone.locator(".report-figure strong")).to_have_text("3")  # 24, 40 and 20 JP reach 20
    for chart in ("#chart-distribution", "#chart-units"):
        svg = phone.locator(f"svg{chart}")
        expect(svg).to_be_visible()
        box = svg.bounding_box()
        assert box["width"] > 250 and box["x"] + box["width"] <= 390, (chart, box)
        assert svg.locator("title").first.text_content()
    expect(phone.locator("svg#chart-units text", has_text="Badan Perencanaan")).to_have_count(1)
    expect(phone.locator(".people-table tbody tr")).to_have_count(6)
    assert_no_sideways_scroll(phone)
    screenshot(phone, tmp_path, "admin-reports-jp.png")

    # Drill down to a sub-unit, then the people table sorted by most JP.
    phone.locator("table.report-table a", has_text="Dinas Pendidikan").click()
    expect(phone.locator("h1")).to_contain_text("Dinas Pendidikan")
    phone.locator(".sort-links a").nth(0).click()  # "most JP first" (the current sort is not a link)
    expect(phone.locator(".people-table tbody tr").first).to_contain_text("24")
    assert_no_sideways_scroll(phone)

    phone.goto(f"{live_server}/admin/reports/courses")
    expect(phone.locator("h1")).to_be_visible()
    assert phone.locator("table.report-table tbody tr").count() >= 3  # the demo courses
    assert_no_sideways_scroll(phone)
    screenshot(phone, tmp_path, "admin-reports-courses.png")
