"""A learner's first visit, driven through the real pages in a headless phone browser."""
from __future__ import annotations

import html
import io
import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import expect

DEMO_TITLES = [
    "Literasi Digital bagi ASN",
    "Nilai Dasar ASN BerAKHLAK dalam Pekerjaan Sehari-hari",
    "Pelayanan Publik Prima",
]
COURSE_SLUG = "nilai-dasar-berakhlak"
COURSE_TITLE = "Nilai Dasar ASN BerAKHLAK dalam Pekerjaan Sehari-hari"
QUIZ_KEY = "kuis-akhir"
QUIZ_FILE = (Path(__file__).resolve().parents[2] / "lms" / "demo" / "courses" / COURSE_SLUG
             / "quizzes" / f"{QUIZ_KEY}.gift")
#: More than the course's 6 lessons, so a page that never moves on fails instead of looping.
MAX_LESSONS = 12
LOCAL_SCHEMES = {"data", "blob", "about"}
#: What the attempt page's timer shows right after a 15-minute attempt starts.
FRESH_TIMER = re.compile(r"^1[45]:\d\d$")


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


def screenshot(page, tmp_path, name: str, also: str | None = None) -> None:
    target = tmp_path / name
    page.screenshot(path=str(target), full_page=True)
    keep = os.environ.get("LMS_SCREENSHOTS")
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(target, os.path.join(keep, name))
    if also:
        shutil.copy(target, also)


def register(page, live_server: str, name: str, email: str, nip: str) -> None:
    """Register through the form, which logs the new learner in and opens the profile."""
    page.goto(f"{live_server}/register")
    assert_no_sideways_scroll(page)
    page.fill("input[name=name]", name)
    page.fill("input[name=email]", email)
    page.fill("input[name=nip]", nip)
    page.fill("input[name=password]", "Belajar-ASN-2026")
    page.fill("input[name=confirm]", "Belajar-ASN-2026")
    submit(page, "form[method=post]:has(input[name=nip]) button[type=submit]")
    assert path_of(page) == "/profile", page.locator("main").inner_text()


# ------------------------------------------------------------------ quiz helpers


def words(text: str) -> str:
    """Text reduced to its lowercase words, so Markdown's typography does not matter."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def seconds_left(page) -> int:
    minutes, seconds = page.locator("#time-left").inner_text().split(":")
    return int(minutes) * 60 + int(seconds)


def questions_on(page, definitions: list[dict]) -> list[tuple[object, dict]]:
    """(section, definition) for each question of the attempt page, in page order."""
    found = []
    sections = page.locator("section.question")
    for i in range(sections.count()):
        section = sections.nth(i)
        shown = words(section.locator(".question-text").inner_text())
        matches = [d for d in definitions if words(d["text"]) in shown]
        assert len(matches) == 1, f"question {i + 1} ({shown!r}) matches {len(matches)} definitions"
        found.append((section, matches[0]))
    assert len(found) == len(definitions), [d["id"] for _, d in found]
    return found


def right_options(definition: dict) -> list[str]:
    if definition["type"] == "single":
        return [o["text"] for o in definition["options"] if o["fraction"] == 1][:1]
    return [o["text"] for o in definition["options"] if o["fraction"] > 0]


def answer(section, definition: dict) -> None:
    """Answer a question correctly, through the controls a learner sees."""
    kind = definition["type"]
    if kind in ("single", "multiple"):
        for text in right_options(definition):
            section.get_by_label(text, exact=True).check()
    elif kind == "truefalse":  # always "True" then "False"; their values are fixed
        section.locator(f'input[type=radio][value="{str(definition["answer"]).lower()}"]').check()
    elif kind == "short":
        field = section.locator("input[type=text]")
        field.fill(definition["answers"][0]["text"])
        field.blur()  # a text field changes (and autosaves) when it loses the focus
    elif kind == "matching":
        for pair in definition["pairs"]:
            section.locator("label.match", has=section.page.locator("span", has_text=pair["left"])) \
                .locator("select").select_option(label=pair["right"])
    else:
        raise AssertionError(f"no way to answer a {kind} question")


def assert_answered(section, definition: dict) -> None:
    """The question shows the right answer as chosen (after a reload: as saved)."""
    kind = definition["type"]
    if kind in ("single", "multiple"):
        for option in definition["options"]:
            box = section.get_by_label(option["text"], exact=True)
            if option["text"] in right_options(definition):
                expect(box).to_be_checked()
            else:
                expect(box).not_to_be_checked()
    elif kind == "truefalse":
        expect(section.locator(f'input[value="{str(definition["answer"]).lower()}"]')).to_be_checked()
    elif kind == "short":
        expect(section.locator("input[type=text]")).to_have_value(definition["answers"][0]["text"])
    elif kind == "matching":
        for pair in definition["pairs"]:
            select = section.locator("label.match", has=section.page.locator("span", has_text=pair["left"])) \
                .locator("select")
            assert select.evaluate("s => s.selectedOptions[0].text") == pair["right"], pair


def secrets_of(definitions: list[dict]) -> list[str]:
    """Texts the attempt page must not carry: every feedback."""
    found = []
    for d in definitions:
        found += [d.get("feedback"), d.get("feedback_true"), d.get("feedback_false")]
        found += [entry.get("feedback") for entry in d.get("options", []) + d.get("answers", [])]
    return [text for text in found if text]


def wait_until_saved(page) -> None:
    """Autosave wrote its state, and it is not the "not saved" warning."""
    offline = page.locator("#attempt").get_attribute("data-offline-text")
    page.wait_for_function(
        "offline => { const t = document.getElementById('save-state').textContent.trim();"
        " return t !== '' && t !== offline; }", arg=offline)


# ------------------------------------------------------------------------ tests


def download(page, selector: str) -> bytes:
    """Click a download link and return the downloaded file's bytes."""
    with page.expect_download() as info:
        page.locator(selector).click()
    return Path(info.value.path()).read_bytes()


def qr_codes_in(pdf: bytes) -> list[str]:
    """The text of every QR code in the images of a one-page PDF."""
    import zxingcpp
    from PIL import Image
    from pypdf import PdfReader

    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 1, f"the certificate has {len(pages)} pages"
    return [code.text for image in pages[0].images
            for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))]


def test_learner_journey_on_a_phone(live_server, phone, stranger, tmp_path):
    from pypdf import PdfReader

    from lms.packages.gift import parse_gift

    definitions, problems = parse_gift(QUIZ_FILE.read_text(encoding="utf-8"), QUIZ_FILE.name)
    assert not problems, problems
    page = phone
    outside: list[str] = []

    def watch(request) -> None:
        url = urlsplit(request.url)
        if url.scheme not in LOCAL_SCHEMES and url.hostname != "127.0.0.1":
            outside.append(request.url)

    page.on("request", watch)

    register(page, live_server, "Dewi Lestari", "dewi.lestari@example.go.id", "19900315 201503 1 002")
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

    # Complete every lesson: the course's final quiz is still to do, so the course page opens.
    quiz_path = f"/learn/{COURSE_SLUG}/quiz/{QUIZ_KEY}"
    seen, quiz_links = [], []
    for _ in range(MAX_LESSONS):
        if not path_of(page).startswith(f"/learn/{COURSE_SLUG}/"):
            break
        assert page.locator("article.lesson h1").count() == 1, f"no lesson title on {page.url}"
        assert page.locator("article.lesson h1").inner_text().strip()
        assert_no_sideways_scroll(page)
        if not seen:
            screenshot(page, tmp_path, "journey-lesson.png")
        seen.append(path_of(page))
        quiz_links.append(page.locator(f'.quiz-link a[href="{quiz_path}"]').count())
        submit(page, 'form[action$="/complete"] button[type=submit]')
    assert path_of(page) == f"/courses/{COURSE_SLUG}", f"on {page.url} after lessons {seen}"
    assert len(seen) == 6, seen
    assert quiz_links[-1] == 1, f"the last lesson {seen[-1]} does not link to the quiz"

    # The quiz page: 15 minutes, then the attempt starts and the timer runs from the server's deadline.
    page.locator(f'a[href="{quiz_path}"]').first.click()
    page.wait_for_url(re.compile(rf"{quiz_path}$"))
    facts = page.locator("dl.facts").inner_text()
    assert re.search(r"\b15 (minutes|menit)\b", facts), facts
    assert_no_sideways_scroll(page)
    submit(page, 'form[action$="/start"] button[type=submit]')
    assert re.fullmatch(r"/learn/attempts/[0-9a-f]+", path_of(page)), page.url
    attempt_path = path_of(page)
    expect(page.locator("#time-left")).to_have_text(FRESH_TIMER)
    content = page.content()
    leaked = [text for text in secrets_of(definitions) if text in content or html.escape(text) in content]
    assert leaked == [], f"the attempt page shows feedback: {leaked}"
    assert "fraction" not in content.lower()
    questions = questions_on(page, definitions)
    assert_no_sideways_scroll(page)

    # The first answer autosaves and survives a dropped connection; the timer does not restart.
    section, definition = questions[0]
    page.evaluate("document.getElementById('save-state').textContent = ''")
    answer(section, definition)
    wait_until_saved(page)
    before = seconds_left(page)
    assert before <= 15 * 60, before
    page.reload()
    assert path_of(page) == attempt_path, page.url
    expect(page.locator("#time-left")).to_have_text(FRESH_TIMER)
    after = seconds_left(page)
    assert after <= before + 2, f"the timer restarted: {before}s left before the reload, {after}s after"
    questions = questions_on(page, definitions)
    assert_answered(*questions[0])

    # Every other answer, then submit: full marks and a pass.
    for section, definition in questions[1:]:
        answer(section, definition)
    for section, definition in questions:
        assert_answered(section, definition)
    assert_no_sideways_scroll(page)
    page.locator("#submit-attempt").scroll_into_view_if_needed()
    expect(page.locator("#time-left")).to_be_in_viewport()  # the timer bar sticks to the top
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, tmp_path, "journey-quiz.png", also="/tmp/journey-quiz.png")
    submit(page, "#submit-attempt")
    assert path_of(page) == f"{attempt_path}/review", page.url
    expect(page.locator(".score")).to_contain_text("100%")
    expect(page.locator(".score .badge-mine")).to_be_visible()
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, "journey-review.png", also="/tmp/journey-review.png")

    # The dashboard counts the course's 4 JP towards the yearly 20.
    page.goto(f"{live_server}/me")
    figure = page.locator(".jp-figure").inner_text()
    assert "4" in figure and "20" in figure, figure
    assert re.search(r"\b4\s*/\s*20\b", figure), figure
    completed = page.locator("table.table tbody").inner_text()
    assert COURSE_TITLE in completed, completed
    assert_no_sideways_scroll(page)
    screenshot(page, tmp_path, "journey-me.png")

    # My certificates: the course's certificate, as a PDF whose QR code leads to the verify page.
    page.locator('main a[href="/me/certificates"]').click()  # the header menu has one too
    page.wait_for_url(re.compile(r"/me/certificates$"))
    listed = page.locator(".certificate-card h2").all_inner_texts()
    assert listed == [COURSE_TITLE], listed
    assert_no_sideways_scroll(page)
    pdf = download(page, 'a[href$=".pdf"]')
    assert pdf.startswith(b"%PDF"), pdf[:20]
    qr_codes = qr_codes_in(pdf)
    text = words(PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    assert words("Dewi Lestari") in text and words(COURSE_TITLE) in text, text
    assert len(qr_codes) == 1, qr_codes
    verify_url = qr_codes[0]
    assert re.fullmatch(rf"{re.escape(live_server)}/verify/[A-Za-z0-9_-]{{32,64}}", verify_url), verify_url

    # Someone else (no account, no cookies) scans it: a valid certificate, readable on a phone.
    stranger.on("request", watch)
    stranger.goto(verify_url)
    assert stranger.url == verify_url
    expect(stranger.locator(".verdict-valid")).to_contain_text("Sertifikat sah")
    facts = stranger.locator("dl.facts").inner_text()
    assert "Dewi Lestari" in facts and COURSE_TITLE in facts, facts
    assert_no_sideways_scroll(stranger)
    screenshot(stranger, tmp_path, "journey-verify.png", also="/tmp/journey-verify.png")

    # The digital credential checks out through the public API.
    credential = download(page, 'a[href$=".json"]')
    response = page.request.post(f"{live_server}/api/v1/credentials/verify", data=credential,
                                 headers={"Content-Type": "application/json"})
    assert response.ok, response.status
    result = response.json()
    assert result["valid"] is True, result
    assert result["certificate"]["holder_name"] == "Dewi Lestari", result
    assert result["certificate"]["course_title"] == COURSE_TITLE, result
    assert json.loads(credential), "the credential is not JSON"

    assert outside == [], f"requests left the server: {outside}"


TIMED_SLUG = "kuis-satu-menit"
TIMED_QUESTIONS = [
    {"type": "single", "id": "ibu-kota", "text": "Ibu kota Provinsi Jawa Barat adalah ...",
     "options": [{"id": "a", "text": "Bandung", "fraction": 1},
                 {"id": "b", "text": "Semarang", "fraction": 0}]},
    {"type": "truefalse", "id": "jp-tahunan", "text": "Setiap ASN wajib mengikuti 20 JP per tahun.",
     "answer": True},
]


def test_timed_quiz_submits_itself_when_time_is_up(live_server, phone, lms_app):
    from sqlalchemy import select

    from lms.database import db
    from lms.models import Attempt, AttemptState
    from lms.packages.manifest import parse_manifest
    from lms.services import courses
    from lms.testing import course_manifest

    manifest, bodies = course_manifest(TIMED_SLUG, lessons=1, questions=TIMED_QUESTIONS,
                                       quiz={"time_limit": 1})
    spec, problems = parse_manifest(manifest)
    assert not problems, problems
    with lms_app.app_context():
        courses.publish(courses.import_version(spec, bodies))

    page = phone
    register(page, live_server, "Budi Santoso", "budi.santoso@example.go.id", "19880720 201001 1 003")
    page.goto(f"{live_server}/courses/{TIMED_SLUG}")
    submit(page, 'form[action$="/enrol"] button[type=submit]')
    assert path_of(page).startswith(f"/learn/{TIMED_SLUG}/"), page.url

    # The page's clock is a fake one (running at normal speed until it is moved on).
    page.clock.install()
    page.goto(f"{live_server}/learn/{TIMED_SLUG}/quiz/kuis")
    submit(page, 'form[action$="/start"] button[type=submit]')
    attempt_path = path_of(page)
    expect(page.locator("#time-left")).to_have_text(re.compile(r"^[01]:\d\d$"))
    questions = questions_on(page, TIMED_QUESTIONS)
    section, definition = next(q for q in questions if q[1]["id"] == "ibu-kota")
    answer(section, definition)
    wait_until_saved(page)

    # A minute and more later, the page submits itself and shows the result.
    page.clock.fast_forward("01:05")
    page.wait_for_url(re.compile(rf"{attempt_path}/review$"))
    expect(page.locator(".score")).to_contain_text("50%")

    with lms_app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.uid == attempt_path.rsplit("/", 1)[1]))
        assert attempt.state == AttemptState.GRADED
        assert attempt.score == 50
        by_key = {q.question_key: q for q in attempt.questions}
        assert by_key["ibu-kota"].fraction == 1 and by_key["ibu-kota"].saved_at is not None
        assert by_key["jp-tahunan"].response is None and by_key["jp-tahunan"].fraction == 0
