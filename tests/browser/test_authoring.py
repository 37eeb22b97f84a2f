"""An author uploads a course package on a phone, previews it, publishes it, then a new version."""
from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from lms.packages.archive import write_package
from browser_helpers import sign_in

DEMO = Path(__file__).resolve().parents[2] / "lms" / "demo" / "courses" / "pelayanan-publik-prima"
SLUG = "pelayanan-prima-unggahan"


def demo_package(tmp_path: Path, name: str, drop_last_lesson: bool = False) -> Path:
    """The demo course under a new slug, as a zip file an author would pick."""
    import yaml

    manifest = yaml.safe_load((DEMO / "course.yaml").read_text(encoding="utf-8"))
    manifest["slug"] = SLUG
    if drop_last_lesson:
        manifest["sections"][-1]["lessons"].pop()
    files = {str(p.relative_to(DEMO)): p.read_text(encoding="utf-8")
             for p in DEMO.rglob("*") if p.is_file() and p.name != "course.yaml"}
    target = tmp_path / name
    target.write_bytes(write_package(manifest, files, {}))
    return target


def upload(page, live_server: str, package: Path) -> None:
    page.goto(f"{live_server}/author/import")
    page.set_input_files("input[name=package]", str(package))
    page.locator("form[data-upload-progress] button[type=submit]").click()


def test_author_uploads_previews_and_publishes_on_a_phone(live_server, phone, lms_user, tmp_path):
    author = lms_user("author", name="Rina Penulis")
    sign_in(phone, live_server, author.email, author.password)

    # A broken package: the script shows the refusal page with every problem, nothing imported.
    broken = tmp_path / "rusak.zip"
    broken.write_bytes(b"PK\x03\x04 bukan zip yang utuh")
    upload(phone, live_server, broken)
    expect(phone.locator("ul.problems li").first).to_be_visible()
    assert phone.locator("h1").inner_text() == "Impor ditolak"

    # The real package: the progress bar shows, then the course page with the new draft.
    upload(phone, live_server, demo_package(tmp_path, "v1.zip"))
    expect(phone.locator("#upload-progress")).to_be_visible()
    phone.wait_for_url(re.compile(rf"/author/courses/{SLUG}/$"))
    expect(phone.locator("#draft h2")).to_have_text("Versi draf 1")
    expect(phone.locator(".flash-success")).to_contain_text("diimpor sebagai versi draf 1")

    # Preview: the first lesson as learners will read it; nothing is published yet.
    phone.locator("#draft a", has_text="Pratinjau").click()
    expect(phone.locator("article.lesson h1")).to_be_visible()
    assert phone.locator("article.lesson .lesson-body p").count() > 0
    phone.go_back()
    assert phone.request.get(f"{live_server}/courses/{SLUG}").status == 404

    phone.locator("#draft form[action$='/publish'] button").click()
    expect(phone.locator(".flash-success")).to_contain_text("Versi 1 diterbitkan")
    assert phone.request.get(f"{live_server}/courses/{SLUG}").status == 200

    # A second version without the last lesson: the draft's changes name it before publishing.
    upload(phone, live_server, demo_package(tmp_path, "v2.zip", drop_last_lesson=True))
    phone.wait_for_url(re.compile(rf"/author/courses/{SLUG}/$"))
    removed = phone.locator("li.change-removed")
    expect(removed).to_have_count(1)
    phone.locator("#draft form[action$='/publish'] button").click()
    expect(phone.locator(".flash-success")).to_contain_text("Versi 2 diterbitkan")
    rows = phone.locator("table.table tbody tr")
    expect(rows).to_have_count(2)
    width = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], "the course page scrolls sideways on a phone"
