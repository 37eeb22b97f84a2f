"""An author imports questions from a spreadsheet on a phone: check, fix, check again, import."""
from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import expect

from lms.database import db
from lms.models import Course, User
from lms.services import authoring
from browser_helpers import sign_in

BAD = ("kode;jenis;pertanyaan;pilihan_a;pilihan_b;jawaban\n"
       "ibu-kota;pg;Ibu kota Indonesia?;Jakarta;Bandung;C\n"
       ";benar_salah;TTE sah secara hukum.;;;mungkin\n")


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def shot(page, name: str) -> None:
    if os.environ.get("LMS_SCREENSHOTS"):
        page.screenshot(path=str(Path(os.environ["LMS_SCREENSHOTS"]) / f"{name}.png"), full_page=True)


def test_author_checks_and_imports_a_spreadsheet_on_a_phone(live_server, phone, lms_app, lms_user, lms_course,
                                                            tmp_path):
    course = lms_course("bank-hp", lessons=1, questions=[
        {"id": "agenda", "type": "truefalse", "text": "Surat masuk diagendakan.", "answer": True}])
    author = lms_user("author")
    with lms_app.app_context():
        authoring.add_author(db.session.get(Course, course.id), db.session.get(User, author.id))
    sign_in(phone, live_server, author.email, author.password)
    bank = f"{live_server}/author/courses/bank-hp/questions"

    bad = tmp_path / "soal.csv"
    bad.write_text(BAD, encoding="utf-8")
    phone.goto(bank)
    phone.set_input_files("input[name=file]", str(bad))
    phone.locator("input[name=check]").click()
    problems = phone.locator("ol.import-problems li")
    expect(problems).to_have_count(2)
    expect(problems.first).to_contain_text("soal.csv: baris 2, kolom jawaban")
    expect(problems.nth(1)).to_contain_text("baris 3, kolom jawaban")
    assert phone.locator("form[action$='/import/confirm']").count() == 0
    no_sideways_scroll(phone)
    shot(phone, "question-import-problems")

    good = tmp_path / "soal-baik.csv"
    good.write_text(BAD.replace("Bandung;C", "Bandung;A").replace("mungkin", "benar"), encoding="utf-8")
    phone.goto(bank)
    phone.set_input_files("input[name=file]", str(good))
    phone.select_option("select[name=quiz]", "kuis")
    phone.locator("input[name=check]").click()
    expect(phone.locator("ol.import-preview li")).to_have_count(2)
    no_sideways_scroll(phone)
    shot(phone, "question-import-preview")
    phone.locator("form[action$='/import/confirm'] button").click()
    expect(phone.locator(".flash-success")).to_contain_text("2")
    expect(phone.locator("table.table")).to_contain_text("Ibu kota Indonesia?")
