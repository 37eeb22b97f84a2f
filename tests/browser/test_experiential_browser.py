"""Experiential learning and the training-history export on a phone: the learner records
coaching, her supervisor approves it, the admin opens the export page; no sideways scroll,
no CSP violation, the download is a SIASN CSV."""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from lms.database import db
from lms.models import User
from lms.services import orgs

from test_admin_reports import assert_no_sideways_scroll, screenshot, sign_in

PDF = b"%PDF-1.4\n% bukti coaching\n"


@pytest.mark.lms_plugins("siasn")
def test_record_approve_and_export_on_a_phone(lms_app, lms_user, live_server, phone, tmp_path):
    with lms_app.app_context():
        unit = orgs.create_unit(code="DISDIK", name="Dinas Pendidikan", kind="instansi")
    boss = lms_user(name="Bu Atasan", unit=unit)
    learner = lms_user(name="Laras Wicaksonowati", unit=unit)
    admin = lms_user("admin", nip=None)
    with lms_app.app_context():
        db.session.get(User, learner.id).supervisor_id = boss.id
        db.session.commit()
    violations = []
    phone.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

    sign_in(phone, live_server, learner.email, learner.password)
    phone.goto(f"{live_server}/me/jp")
    day = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    phone.select_option("select[name=kind]", "coaching")
    phone.fill("input[name=title]", "Coaching penulisan laporan")
    phone.fill("input[name=organiser]", "Pak Mentor")
    phone.fill("input[name=start_on]", day)
    phone.fill("input[name=end_on]", day)
    phone.fill("input[name=measure]", "3")
    phone.set_input_files("input[name=evidence]", files=[{"name": "bukti.pdf", "mimeType": "application/pdf",
                                                         "buffer": PDF}])
    phone.locator("form[enctype] button[type=submit]").click()
    expect(phone.locator("table")).to_contain_text("Coaching penulisan laporan")
    assert_no_sideways_scroll(phone)
    screenshot(phone, tmp_path, "experiential-ledger.png")
    phone.goto(f"{live_server}/jp/rules")
    assert_no_sideways_scroll(phone)
    phone.context.clear_cookies()

    sign_in(phone, live_server, boss.email, boss.password)
    phone.goto(f"{live_server}/me/jp/approvals")
    expect(phone.locator("main")).to_contain_text("Coaching penulisan laporan")
    assert_no_sideways_scroll(phone)
    screenshot(phone, tmp_path, "experiential-approvals.png")
    phone.locator("article form button[type=submit]").first.click()
    expect(phone.locator("main")).not_to_contain_text("Coaching penulisan laporan")
    phone.context.clear_cookies()

    sign_in(phone, live_server, admin.email, admin.password)
    phone.goto(f"{live_server}/admin/reports/training-history")
    assert_no_sideways_scroll(phone)
    screenshot(phone, tmp_path, "training-history-export.png")
    with phone.expect_download() as download:
        phone.locator("form.report-filters button[type=submit]").first.click()
    from pathlib import Path

    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("idRiwayat,nipBaru") and "Coaching penulisan laporan" in text and ",4," in text
    assert violations == []
