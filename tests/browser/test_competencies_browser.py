"""Competency pages on a phone: a learner's gap with recommended courses, the admin's views."""
from __future__ import annotations

from playwright.sync_api import expect

from lms.database import db
from lms.models import User
from lms.services import competencies, orgs
from browser_helpers import assert_no_sideways_scroll, screenshot, sign_in


def test_gap_pages_fit_a_phone(lms_app, live_server, lms_user, phone, tmp_path):
    with lms_app.app_context():
        root = orgs.create_unit(code="PEMKOT", name="Pemerintah Kota Semarang", kind="instansi")
        unit = orgs.create_unit(code="DUKCAPIL", name="Dinas Kependudukan dan Pencatatan Sipil",
                                kind="opd", parent=root)
    learner = lms_user(name="Siti Rahmawati Kusumaningtyas", unit=unit)
    admin = lms_user("admin", name="Admin BKPSDM")
    with lms_app.app_context():
        job = competencies.save_position(None, None, code="PENGADMINISTRASI-KEPENDUDUKAN",
                                         name="Pengadministrasi Kependudukan",
                                         requirements={"integritas": 2, "pelayanan-publik": 2,
                                                       "literasi-digital": 1, "spbe-tata-kelola": 1})
        db.session.get(User, learner.id).position_id = job.id
        db.session.commit()
    sign_in(phone, live_server, learner.email, learner.password)
    phone.goto(f"{live_server}/me")
    phone.get_by_role("link", name="Kompetensi saya").click()
    expect(phone.locator("h1")).to_have_text("Kompetensi saya")
    gap = phone.locator('[data-code="pelayanan-publik"]')
    expect(gap.get_by_role("link", name="Pelayanan Publik Prima")).to_be_visible()
    expect(phone.locator('[data-code="spbe-tata-kelola"]')).to_contain_text("Belum ada kursus terbit")
    assert_no_sideways_scroll(phone)
    screenshot(phone, tmp_path, "kompetensi-saya.png")
    gap.get_by_role("link", name="Pelayanan Publik Prima").click()
    expect(phone.locator("h1")).to_contain_text("Pelayanan Publik Prima")

    phone.context.clear_cookies()
    sign_in(phone, live_server, admin.email, admin.password)
    for path, name in (("/admin/competencies", "katalog-kompetensi.png"),
                       (f"/admin/positions/{job.id}/edit", "jabatan.png"),
                       ("/admin/competency-gap", "kesenjangan-unit.png")):
        phone.goto(live_server + path)
        assert_no_sideways_scroll(phone)
        screenshot(phone, tmp_path, name)
    expect(phone.locator("body")).to_contain_text("Siti Rahmawati Kusumaningtyas")
    phone.goto(f"{live_server}/courses?tag=integritas")
    expect(phone.locator(".course-card")).to_have_count(1)
