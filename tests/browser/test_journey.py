"""A learner's first visit, driven through the real pages in a headless phone browser."""
from __future__ import annotations

import os
import re
import shutil
from urllib.parse import urlsplit

DEMO_TITLES = [
    "Literasi Digital bagi ASN",
    "Nilai Dasar ASN BerAKHLAK dalam Pekerjaan Sehari-hari",
    "Pelayanan Publik Prima",
]
COURSE_SLUG = "nilai-dasar-berakhlak"
COURSE_TITLE = "Nilai Dasar ASN BerAKHLAK dalam Pekerjaan Sehari-hari"
#: More than the course's 6 lessons, so a page that never moves on fails instead of looping.
MAX_LESSONS = 12
LOCAL_SCHEMES = {"data", "blob", "about"}


def path_of(page) -> str:
    return urlsplit(page.url).path


def assert_no_sideways_scroll(page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{path_of(page)} scrolls sideways: {width[0]}px in {width[1]}px"


def submit(page, selector: str) -> None:
    """Click a submit button and wait for the page the form leads to."""
    before = page.url
    page.locator(selector).click()
    page.wait_for_url(lambda url: url != before)
    page.wait_for_load_state()


def screenshot(page, tmp_path, name: str) -> None:
    target = tmp_path / name
    page.screenshot(path=str(target), full_page=True)
    keep = os.environ.get("LMS_SCREENSHOTS")
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(target, os.path.join(keep, name))


def test_learner_journey_on_a_phone(live_server, phone, tmp_path):
    page = phone
    outside: list[str] = []

    def watch(request) -> None:
        url = urlsplit(request.url)
        if url.scheme not in LOCAL_SCHEMES and url.hostname != "127.0.0.1":
            outside.append(request.url)

    page.on("request", watch)

    # Register: the form logs the new learner in and opens the profile.
    page.goto(f"{live_server}/register")
    assert_no_sideways_scroll(page)
    page.fill("input[name=name]", "Dewi Lestari")
    page.fill("input[name=email]", "dewi.lestari@example.go.id")
    page.fill("input[name=nip]", "19900315 201503 1 002")
    page.fill("input[name=password]", "Belajar-ASN-2026")
    page.fill("input[name=confirm]", "Belajar-ASN-2026")
    submit(page, "form[method=post]:has(input[name=nip]) button[type=submit]")
    assert path_of(page) == "/profile", page.locator("main").inner_text()
    assert_no_sideways_scroll(page)

    # The catalog, reached through the collapsed header menu.
    menu_link = page.locator('details.menu nav a[href="/courses"]')
    assert not menu_link.is_visible(), "the phone menu should start collapsed"
    page.locator("details.menu > summary").click()
    menu_link.click()
    page.wait_for_url(re.compile(r"/courses$"))
    titles = page.locator(".course-card h2").all_inner_texts()
    for title in DEMO_TITLES:
        assert title in titles, f"{title!r} not in the catalog: {titles}"
    assert_no_sideways_scroll(page)

    # Open the course and enrol: the first lesson opens.
    page.locator(f'a[href="/courses/{COURSE_SLUG}"]').first.click()
    page.wait_for_url(re.compile(rf"/courses/{COURSE_SLUG}$"))
    assert_no_sideways_scroll(page)
    submit(page, 'form[action$="/enrol"] button[type=submit]')
    assert path_of(page).startswith(f"/learn/{COURSE_SLUG}/"), page.url

    # Complete every lesson until the course is done and the dashboard opens.
    seen = []
    for _ in range(MAX_LESSONS):
        if path_of(page) == "/me":
            break
        assert path_of(page).startswith(f"/learn/{COURSE_SLUG}/"), page.url
        assert page.locator("article.lesson h1").count() == 1, f"no lesson title on {page.url}"
        assert page.locator("article.lesson h1").inner_text().strip()
        assert_no_sideways_scroll(page)
        if not seen:
            screenshot(page, tmp_path, "journey-lesson.png")
        seen.append(path_of(page))
        submit(page, 'form[action$="/complete"] button[type=submit]')
    assert path_of(page) == "/me", f"still on {page.url} after lessons {seen}"
    assert len(seen) == 6, seen

    # The dashboard counts the course's 4 JP towards the yearly 20.
    figure = page.locator(".jp-figure").inner_text()
    assert "4" in figure and "20" in figure, figure
    assert re.search(r"\b4\s*/\s*20\b", figure), figure
    completed = page.locator("table.table tbody").inner_text()
    assert COURSE_TITLE in completed, completed
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, "journey-me.png")

    assert outside == [], f"requests left the server: {outside}"
