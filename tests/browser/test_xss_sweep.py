"""XSS sweep in headless Chromium: hundreds of hostile payloads through every author and
learner text field, shown on every page that shows them, and none of them runs.

The payloads (tests/fixtures/xss_payloads.txt) each call a trap: ``__xss(id)``, ``alert``,
``confirm``, ``prompt`` or ``print``. An init script defines the trap in every page and frame
and reports each call to the test at once (a Playwright binding, so a hit is kept even when
the page navigates away); ``securitypolicyviolation`` events are recorded separately.

The app's Content-Security-Policy would stop inline script anyway, so the sweep strips that
header from every page (a Playwright route): what is proved is that escaping and the
sanitiser alone keep the payloads inert. A canary proves the stripped pages do run an
injected handler, so a silent trap cannot pass the test. After every page the DOM is also
searched for event-handler attributes, javascript:/data: URLs, inline or foreign scripts,
srcdoc frames, <base>, meta refreshes, <object>/<embed> and script-bearing styles.

Payloads are packed into fields up to each field's length limit behind a marker word
(``xm<kind>n<i>q``); a page counts for a field only when the marker is on it, so an empty
or refused field cannot pass for an inert one. The entry points are the real ones: package
import, the browser editor's forms, the profile form, the unit form, the CSV user import,
the external-training form and its rejection, the quiz's submit and grading forms, the
evaluation's question editor and end-of-course form, the competency and position forms, the
search box.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus

import pytest
import yaml
from sqlalchemy import select

from lms.database import db

PAYLOAD_FILE = Path(__file__).parents[1] / "fixtures" / "xss_payloads.txt"
PASSWORD = "rahasia-ASN-1"
#: Where one field's value may be checked for: fields are up to this long (the forms' limits).
SHORT, SUMMARY, LONG = 200, 2000, 4000
#: The search box takes 100 characters; a longer query is refused with the form echoed back.
SEARCH = 1000
#: An experiential entry's certificate/letter number (100: the payloads that fit behind the
#: marker) and an evaluation question (500, at most 30 questions a form: spread over two courses).
REFERENCE, EVAL_QUESTION = 100, 500

#: Defined before any page script, in every frame: each trap call and CSP violation goes
#: straight to the test through the bindings.
TRAP = """
(() => {
  const hit = (how, value) => { try { window.__xssReport(how + ":" + String(value) + " @" + location.href); } catch (e) {} };
  const trap = (how) => function (value) { hit(how, value); };
  try { Object.defineProperty(window, "__xss", {value: trap("__xss"), writable: false, configurable: false}); } catch (e) {}
  window.alert = trap("alert"); window.confirm = trap("confirm"); window.prompt = trap("prompt");
  window.print = trap("print");
  document.addEventListener("securitypolicyviolation", (e) => {
    try { window.__cspReport(e.violatedDirective + " " + e.blockedURI + " @" + location.href); } catch (x) {}
  }, true);
})();
"""

#: Everything in the page that could run script or take the page elsewhere.
SCAN = """
() => {
  const bad = [];
  const urlAttrs = new Set(["href", "src", "action", "formaction", "xlink:href", "data", "poster",
                            "background", "lowsrc", "dynsrc", "codebase", "cite", "ping", "srcset", "values", "to"]);
  const own = location.origin + "/static/";
  const clean = (v) => v.replace(/[\\u0000-\\u0020\\u007f-\\u00a0\\u200b-\\u200f\\u2028\\u2029\\ufeff]/g, "").toLowerCase();
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    for (const a of el.attributes) {
      const name = a.name.toLowerCase(), value = clean(a.value);
      if (name.startsWith("on")) bad.push(`${tag}[${name}]`);
      else if (urlAttrs.has(name) && /(^|,)(javascript|vbscript|data|livescript):/.test(value)
               && !(tag === "img" && /^data:image\\/(png|jpe?g|gif|webp);/.test(value)))
        bad.push(`${tag}[${name}=${a.value.slice(0, 60)}]`);
      else if (name === "srcdoc") bad.push(`${tag}[srcdoc]`);
      else if (name === "style" && /expression|javascript:|url\\(|binding|behavior/.test(value))
        bad.push(`${tag}[style=${a.value.slice(0, 60)}]`);
    }
    if (tag === "script" && (!el.src || !el.src.startsWith(own))) bad.push(`script ${el.src || el.textContent.slice(0, 60)}`);
    if (["base", "object", "embed", "frameset", "frame", "applet", "handler", "isindex"].includes(tag)) bad.push(tag);
    if (tag === "meta" && el.httpEquiv && !/^\\d+$/.test(el.content.trim())) bad.push(`meta refresh ${el.content.slice(0, 60)}`);
    if (tag === "iframe" && !/^https:\\/\\/www\\.youtube-nocookie\\.com\\//.test(el.src) && !el.classList.contains("scorm-frame"))
      bad.push(`iframe ${el.src.slice(0, 60)}`);
    if (tag === "link" && el.rel !== "stylesheet" && el.rel !== "icon" && el.rel !== "manifest") bad.push(`link ${el.rel}`);
    if (tag === "link" && el.href && !el.href.startsWith(location.origin)) bad.push(`link ${el.href.slice(0, 60)}`);
  }
  return bad;
}
"""
#: A phone (as tests/browser/conftest.py) and how long one page action may take (ms).
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
TIMEOUT_MS = 10_000
#: Fields shown only on one person's detail page: looked at for a sample of people (every
#: value is stored; a page per person would double the sweep's time).
SAMPLED = {"profile_jabatan", "csv_jabatan"}
#: A template engine that evaluated a payload would print this (the payloads spell it split).
TEMPLATE_EVALUATED = re.compile(r"tmplEVAL\d")


# ------------------------------------------------------------------------------ payloads


def load_payloads() -> list[str]:
    """The payload file's lines with their numbers filled in (1-based, in file order)."""
    lines = [line for line in PAYLOAD_FILE.read_text(encoding="utf-8").split("\n")
             if line and not line.startswith("# ")]
    return [line.replace("__ID__", str(n)).replace("\\n", "\n") for n, line in enumerate(lines, 1)]


PAYLOADS = load_payloads()


@dataclass
class Chunk:
    """One stored value: a marker word and the payloads packed behind it."""

    kind: str
    index: int
    ids: list[int]
    value: str

    @property
    def marker(self) -> str:
        return marker(self.kind, self.index)


def marker(kind: str, index: int) -> str:
    return f"xm{kind.replace('_', '')}n{index}q"


def fits(limit: int, kind: str) -> set[int]:
    """The payloads (numbers) that fit in a field of `limit` characters behind its marker: a
    longer one cannot be typed into it at all."""
    room = limit - len(marker(kind, 999)) - 1
    return {n for n, payload in enumerate(PAYLOADS, 1) if len(payload) <= room}


def pack(kind: str, limit: int, *, multiline: bool = False, only: set[int] | None = None) -> list[Chunk]:
    """Every payload (or those numbered in `only`), packed in order into values of at most
    `limit` characters, each behind its marker (a payload longer than a field on its own gets
    a value of its own)."""
    sep = "\n\n" if multiline else " "
    chunks: list[Chunk] = []
    for n, payload in enumerate(PAYLOADS, 1):
        if only is not None and n not in only:
            continue
        text = payload if multiline else payload.replace("\n", " ")
        if chunks and len(chunks[-1].value) + len(sep) + len(text) <= limit:
            chunks[-1].value += sep + text
            chunks[-1].ids.append(n)
            continue
        chunk = Chunk(kind, len(chunks), [n], "")
        chunk.value = chunk.marker + sep + text
        chunks.append(chunk)
    return chunks


# ------------------------------------------------------------------------------ the sweep


@dataclass
class Sweep:
    """What went in, what was looked at, and what ran."""

    chunks: dict[str, list[Chunk]] = field(default_factory=dict)
    refused: dict[str, list[str]] = field(default_factory=dict)
    seen: dict[str, set[int]] = field(default_factory=dict)   # kind -> chunk indexes seen
    views: int = 0
    renderings: int = 0          # payloads x fields x pages: each payload of each field on each page
    gate: tuple[int, int] = (0, 0)   # lesson-Markdown payloads past the import's gate, refused by it
    hits: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    dom: list[str] = field(default_factory=list)
    popups: list[str] = field(default_factory=list)

    def add(self, kind: str, limit: int, *, multiline: bool = False, only: set[int] | None = None) -> list[Chunk]:
        self.chunks[kind] = pack(kind, limit, multiline=multiline, only=only)
        return self.chunks[kind]

    def by_marker(self) -> dict[str, Chunk]:
        return {c.marker: c for chunks in self.chunks.values() for c in chunks}


def strip_csp(route) -> None:
    """Serve pages without their Content-Security-Policy (and framing rules); refuse every
    other request but the app's own scripts and styles (a refused image still fires its
    onerror, and the sweep does not wait for hundreds of 404 pages)."""
    if route.request.resource_type in ("fetch", "xhr"):  # the editor's preview
        route.continue_()
        return
    if route.request.resource_type not in ("document", "iframe"):
        route.abort()
        return
    response = route.fetch(max_redirects=0)
    headers = {k: v for k, v in response.headers.items()
               if k.lower() not in ("content-security-policy", "x-frame-options", "content-length")}
    route.fulfill(response=response, headers=headers)


def browser_for(chromium_browser, sweep: Sweep, base: str):
    """A phone-sized context whose pages carry the trap and no CSP."""
    context = chromium_browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    context.expose_binding("__xssReport", lambda source, text: sweep.hits.append(text))
    context.expose_binding("__cspReport", lambda source, text: sweep.csp.append(text))
    context.add_init_script(TRAP)
    context.route(lambda url: not url.startswith(f"{base}/static/"), strip_csp)
    context.on("page", lambda p: sweep.popups.append(p.url) if p.opener() else None)
    page = context.new_page()

    def on_dialog(dialog):
        sweep.dialogs.append(f"{dialog.type}:{dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return context, page


def sign_in(page, base: str, login: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form[method=post]:has(input[name=password]) button[type=submit]").click()
    page.wait_for_url(lambda url: not url.endswith("/login"))


def look(page, sweep: Sweep, url: str, *, expect: list[str] | None = None, status=(200,)) -> str:
    """Open `url`, let handlers fire, scan the DOM, and count which fields' markers it shows.

    `expect` names markers that must be on the page; every other marker found counts too."""
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status in status, (url, response and response.status)
    page.wait_for_timeout(25)  # autofocus, toggle and animation events fire just after load
    assert page.url.split("#")[0] == response.url.split("#")[0], f"{url} went to {page.url}"
    return record(page, sweep, url, expect)


def record(page, sweep: Sweep, url: str, expect: list[str] | None = None) -> str:
    sweep.views += 1
    html = page.content()
    sweep.dom += [f"{url}: {item}" for item in page.evaluate(SCAN)]
    assert not TEMPLATE_EVALUATED.search(html), f"{url}: a template expression was evaluated"
    for name in expect or []:
        assert name in html, f"{name} is not on {url}"
    for name, chunk in sweep.by_marker().items():
        if name in html:
            sweep.seen.setdefault(chunk.kind, set()).add(chunk.index)
            sweep.renderings += len(chunk.ids)
    return html


def canary(page, sweep: Sweep, base: str) -> None:
    """The trap works and the page policy is gone: an injected handler runs and is reported."""
    look(page, sweep, f"{base}/")
    page.evaluate("""() => {
      const d = document.createElement("div");
      d.innerHTML = '<img src="x" onerror="__xss(\\'canary-img\\')"><details open ontoggle="alert(\\'canary-toggle\\')"></details>';
      document.body.appendChild(d);
    }""")
    deadline = time.monotonic() + 5
    while len([h for h in sweep.hits if "canary" in h]) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    found = [h for h in sweep.hits if "canary" in h]
    assert len(found) == 2, f"the trap did not report the canary: {sweep.hits}"
    assert sweep.csp == [], f"the page policy is still on: {sweep.csp}"
    sweep.hits[:] = [h for h in sweep.hits if "canary" not in h]


# ------------------------------------------------------------------------------ the data


def course_zip(manifest: dict, files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("course.yaml", yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False))
        for path, text in files.items():
            archive.writestr(path, text)
    return buffer.getvalue()


def question_file(sweep: Sweep) -> str:
    """The big course's questions: question texts, choices and feedback full of payloads."""
    texts, choices, feedback = sweep.chunks["question_text"], sweep.chunks["choice"], sweep.chunks["feedback"]
    questions = []
    for n in range(max(len(texts), len(feedback))):
        options = [{"id": "benar", "text": f"Benar {n}", "fraction": 1}]
        options += [{"id": f"o{c.index}", "text": c.value, "fraction": 0,
                     "feedback": f"Salah {c.index}"} for c in choices[n::max(len(texts), len(feedback))]]
        if len(options) < 2:
            options.append({"id": "salah", "text": "Salah", "fraction": 0})
        question = {"id": f"q{n}", "type": "single", "text": texts[n].value if n < len(texts) else f"Soal {n}",
                    "options": options}
        if n < len(feedback):
            question["feedback"] = feedback[n].value
            options[0]["feedback"] = feedback[n].value
        questions.append(question)
    questions += [{"id": f"esai-{n}", "type": "essay", "text": f"Jelaskan {n}."}
                  for n in range(len(sweep.chunks["grader_feedback"]))]
    return yaml.safe_dump(questions, allow_unicode=True, sort_keys=False)


def build_packages(sweep: Sweep) -> list[bytes]:
    """The big course (every section, lesson, quiz, question and body payload) and one small
    course per course-title value, each with a summary value while there are any."""
    sections, lessons, quizzes = (sweep.chunks[k] for k in ("section_title", "lesson_title", "quiz_title"))
    bodies, descriptions = sweep.chunks["lesson_body"], sweep.chunks["lesson_description"]
    files = {"quizzes/kuis.yaml": question_file(sweep)}
    big_sections = []
    for n in range(max(len(sections), len(lessons), len(quizzes))):
        entries = []
        if n < len(lessons) or n < len(bodies):
            key = f"pelajaran-{n}"
            entries.append({"id": key, "title": lessons[n].value if n < len(lessons) else f"Pelajaran {n}",
                            "file": f"lessons/{key}.md"})
            files[f"lessons/{key}.md"] = bodies[n].value if n < len(bodies) else f"Isi {n}."
        if n < len(descriptions):
            entries.append({"id": f"tautan-{n}", "title": f"Tautan {n}", "type": "link",
                            "url": f"https://example.go.id/?q=\"><img src=x onerror=__xss('url{n}')>",
                            "description": descriptions[n].value})
        if not entries:
            entries.append({"id": f"isi-{n}", "title": f"Isi {n}", "file": f"lessons/isi-{n}.md"})
            files[f"lessons/isi-{n}.md"] = "Isi."
        section = {"title": sections[n].value if n < len(sections) else f"Bagian {n}", "lessons": entries}
        if n < len(quizzes):
            section["quiz"] = {"id": f"kuis-{n}", "title": quizzes[n].value, "file": "quizzes/kuis.yaml",
                               "required": False}
        big_sections.append(section)
    packages = [course_zip({"format": "lms-course/1", "slug": "xss-gudang", "title": "Gudang muatan",
                            "language": "id", "jp": 2, "competency": "teknis", "summary": "Semua isian.",
                            "sections": big_sections}, files)]
    summaries, titles = sweep.chunks["course_summary"], sweep.chunks["course_title"]
    for n in range(small_courses(sweep)):
        packages.append(course_zip(
            {"format": "lms-course/1", "slug": f"xss-{n}", "title": titles[n].value if n < len(titles) else f"Kursus {n}",
             "language": "id", "jp": 1,
             "competency": "teknis", "summary": summaries[n].value if n < len(summaries) else "Ringkas.",
             "sections": [{"title": "Bagian", "lessons": [{"id": "satu", "title": "Satu", "file": "lessons/satu.md"}]}]},
            {"lessons/satu.md": "Isi."}))
    return packages


def store_bodies(version, sweep: Sweep) -> None:
    """Lesson bodies the gate would refuse, stored as the import stores a body it accepted."""
    from lms.builtin.lesson_types import MarkdownLesson

    offset = len(sweep.chunks["lesson_body"])
    lessons = {lesson.key: lesson for lesson in version.lessons}
    for chunk in sweep.chunks["lesson_body_stored"]:
        lesson = lessons[f"pelajaran-{offset + chunk.index}"]
        prepared = MarkdownLesson().prepare({"id": lesson.key, "title": lesson.title}, chunk.value)
        lesson.source, lesson.body_html = prepared.source, prepared.body_html
    db.session.flush()


def small_courses(sweep: Sweep) -> int:
    """One small course per course title, from the package and from the editor."""
    return max(len(sweep.chunks["course_title"]), len(sweep.chunks["editor_course_title"]))


def csv_file(sweep: Sweep, unit_code: str) -> bytes:
    """The CSV import: one account per name value (with a jabatan value while there are any)."""
    lines = ["nip;nama;email;kode_unit;jabatan"]
    jabatan = sweep.chunks["csv_jabatan"]
    for chunk in sweep.chunks["csv_name"]:
        n = chunk.index
        value = chunk.value.replace('"', '""')
        job = jabatan[n].value.replace('"', '""') if n < len(jabatan) else "Staf"
        lines.append(f'19850202201001{2 - n % 2}{n + 1:03d};"{value}";impor{n}@example.go.id;{unit_code};"{job}"')
    return "\n".join(lines).encode("utf-8")


def form_post(client, url: str, data: dict, *, form_page: str | None = None, ok=(200, 302), **kwargs):
    """POST a form as the browser would; the session's CSRF token is fetched once (it stays
    the same for the session), which halves the requests of a long setup."""
    token = getattr(client, "xss_token", None) or client.csrf_token(form_page or url)
    client.xss_token = token
    response = client.post(url, data={**data, "csrf_token": token}, **kwargs)
    assert response.status_code in ok, (url, response.status_code, re.findall(
        r'class="(?:error|errors|flash flash-error|field-error)[^"]*"[^>]*>(.*?)<', response.get_data(as_text=True), re.S)
        or response.get_data(as_text=True)[:2000])
    return response


# ------------------------------------------------------------------------------ the test


@pytest.fixture
def world(lms_app, lms_user, units):
    """Everyone the sweep needs, signed up through the services."""
    admin = lms_user("admin", name="Admin Utama", password=PASSWORD)
    author = lms_user("author", name="Penulis Utama", password=PASSWORD)
    learner = lms_user("learner", name="Budi Santoso", password=PASSWORD)
    return admin, author, learner


@pytest.mark.lms_config(VERIFY_RATE_LIMIT="1000 per minute")  # 80 verify pages in a minute are the sweep, not an attack
def test_no_payload_runs_in_any_field_on_any_page(lms_app, lms_user, world, units, live_server, chromium_browser):
    from lms.models import Certificate, Course, User
    from lms.packages.archive import markdown_problems
    from lms.services import courses as course_service, enrollment, packages

    started = time.monotonic()
    admin, author, learner = world
    base = live_server
    sweep = Sweep()
    # Lesson Markdown meets a gate first: the import and the editor refuse raw script, event
    # attributes and script URLs (lms.packages.archive.markdown_problems). What passes the gate
    # goes in through them; everything is also stored straight through the lesson type's
    # prepare() and shown by the editor's preview, so the sanitiser is tried without the gate.
    gate = {n for n, payload in enumerate(PAYLOADS, 1) if not markdown_problems(payload)}
    sweep.gate = (len(gate), len(PAYLOADS) - len(gate))
    for kind, limit, multiline, only in [
            ("course_title", SHORT, False, None), ("course_summary", SUMMARY, False, None),
            ("section_title", SHORT, False, None), ("lesson_title", SHORT, False, None),
            ("lesson_body", LONG, True, gate), ("lesson_body_stored", LONG, True, None),
            ("lesson_description", LONG, True, None), ("quiz_title", SHORT, False, None),
            ("question_text", LONG, True, None), ("choice", 500, False, None), ("feedback", LONG, True, None),
            ("editor_course_title", SHORT, False, None), ("editor_summary", SUMMARY, False, None),
            ("editor_section_title", SHORT, False, None), ("editor_lesson_title", SHORT, False, None),
            ("editor_lesson_body", 20000, True, gate), ("editor_preview", 100_000, True, None),
            ("essay_answer", 20000, True, None), ("grader_feedback", 5000, True, None),
            ("profile_name", SHORT, False, None), ("profile_jabatan", SHORT, False, None),
            ("unit_name", SHORT, False, None), ("csv_name", SHORT, False, None), ("csv_jabatan", SHORT, False, None),
            ("jp_title", SHORT, False, None), ("jp_organiser", SHORT, False, None), ("search", SEARCH, False, None),
            ("jp_reference", REFERENCE, False, fits(REFERENCE, "jp_reference")),
            ("jp_reject_reason", SUMMARY, True, None),
            ("eval_question", EVAL_QUESTION, False, None), ("eval_answer", LONG, True, None),
            ("competency_name", SHORT, False, None), ("competency_description", SUMMARY, True, None),
            ("position_name", SHORT, False, None), ("position_description", SUMMARY, True, None)]:
        sweep.add(kind, limit, multiline=multiline, only=only)

    client = lms_app.test_client()

    # ---- package import (the author's upload path, checked whole before anything is written)
    with lms_app.app_context():
        uploader = db.session.get(User, author.id)
        for data in build_packages(sweep):
            version = packages.import_upload(data, "xss.zip", uploader)
            if version.course.slug == "xss-gudang":
                store_bodies(version, sweep)
            course_service.publish(version)
        db.session.commit()
    slugs = [f"xss-{n}" for n in range(small_courses(sweep))]

    # ---- the browser editor's forms: a draft of each small course, and of the big one
    client.submit("/login", {"login": author.email, "password": PASSWORD})
    summaries = sweep.chunks["editor_summary"]
    for chunk in sweep.chunks["editor_course_title"]:
        n = chunk.index
        form_post(client, f"/author/courses/xss-{n}/edit/course",
                  {"title": chunk.value, "summary": summaries[n].value if n < len(summaries) else "Ringkas.",
                   "language": "id", "jp": "1", "competency": "teknis", "category": ""})
    editor = "/author/courses/xss-1/edit"
    for chunk in sweep.chunks["editor_section_title"]:
        form_post(client, f"{editor}/sections/new", {"title": chunk.value})
    with lms_app.app_context():
        from lms.services import course_editor
        layout = course_editor.current(db.session.scalar(select(Course).where(Course.slug == "xss-1")))
        first_new = len(layout.version.sections) - len(sweep.chunks["editor_section_title"])
    body = "\n\n".join(c.value for c in sweep.chunks["editor_lesson_body"])
    for chunk in sweep.chunks["editor_lesson_title"]:
        form_post(client, f"{editor}/sections/{first_new + chunk.index % len(sweep.chunks['editor_section_title'])}"
                          f"/lessons/new",
                  {"key": f"sunting-{chunk.index}", "title": chunk.value, "type": "markdown",
                   "section": str(first_new), "required": "y",
                   "body": body if chunk.index == 0 else f"Isi {chunk.index}.", "save": "1"})
    client = lms_app.test_client()

    # ---- units through the admin's form; the CSV import (check, then confirm) into them
    client.submit("/login", {"login": admin.email, "password": PASSWORD})
    for chunk in sweep.chunks["unit_name"]:
        form_post(client, "/admin/units", {"code": f"XSS-{chunk.index}", "name": chunk.value,
                                           "parent_id": str(units.root.id), "kind": "opd"})
    data = csv_file(sweep, "DISDIK")
    checked = form_post(client, "/admin/users/import",
                        {"file": (io.BytesIO(data), "pegawai.csv"), "unit_default": "", "check": "1"},
                        form_page="/admin/users/import", content_type="multipart/form-data")
    digest = re.search(r'name="digest"[^>]*value="([0-9a-f]+)"', checked.get_data(as_text=True))
    assert digest, checked.get_data(as_text=True)[:3000]
    form_post(client, "/admin/users/import", {"digest": digest.group(1), "filename": "pegawai.csv",
                                              "unit_default": "", "confirm": "1"},
              form_page="/admin/users/import")
    client = lms_app.test_client()

    # ---- learners: one profile per name value; the learner records external training
    profiles = []
    jabatan = sweep.chunks["profile_jabatan"]
    for chunk in sweep.chunks["profile_name"]:
        person = lms_user("learner", password=PASSWORD)
        client = lms_app.test_client()
        client.submit("/login", {"login": person.email, "password": PASSWORD})
        form_post(client, "/profile", {"name": chunk.value, "locale": "id", "golongan": "",
                                       "jabatan": jabatan[chunk.index].value if chunk.index < len(jabatan) else ""},
                  ok=(302,))
        profiles.append(person)

    # Certificates: each imported account completes a small course (frozen holder name).
    with lms_app.app_context():
        from lms.services import progress
        imported = list(db.session.scalars(select(User).where(User.email.like("impor%")).order_by(User.id)))
        assert len(imported) == len(sweep.chunks["csv_name"])
        version = course_service.published_version("xss-0")
        course = version.course
        for person in imported:
            enrolled = enrollment.enroll_self(person, course)
            progress.complete_lesson(enrolled, version, version.lessons[0])
        gudang = db.session.scalar(select(Course).where(Course.slug == "xss-gudang"))
        for person in [db.session.get(User, learner.id), *[db.session.get(User, p.id) for p in profiles]]:
            enrollment.enroll_self(person, gudang)
        for slug in slugs[:3]:
            enrollment.enroll_self(db.session.get(User, learner.id),
                                   db.session.scalar(select(Course).where(Course.slug == slug)))
        codes = list(db.session.scalars(select(Certificate.code).order_by(Certificate.id)))
        db.session.commit()

    # External training through the learner's form.
    client = lms_app.test_client()
    client.submit("/login", {"login": learner.email, "password": PASSWORD})
    ledger = client.get("/me/jp").get_data(as_text=True)
    titles, organisers = sweep.chunks["jp_title"], sweep.chunks["jp_organiser"]
    references, reasons = sweep.chunks["jp_reference"], sweep.chunks["jp_reject_reason"]
    for n in range(max(len(titles), len(organisers), len(references))):
        fields = jp_form(ledger, titles[n].value if n < len(titles) else f"Pelatihan {n}",
                         organisers[n].value if n < len(organisers) else "BPSDM",
                         references[n].value if n < len(references) else "")
        form_post(client, "/me/jp", fields, content_type="multipart/form-data", ok=(302,))
    for chunk in reasons:  # entries the admin rejects below, with a reason full of payloads
        form_post(client, "/me/jp", jp_form(ledger, f"Ditolak {chunk.index}", "BPSDM", ""),
                  content_type="multipart/form-data", ok=(302,))

    # The quiz: an essay full of payloads, submitted through the learner's form.
    start = client.submit("/learn/xss-gudang/quiz/kuis-0/start", form_page="/learn/xss-gudang/quiz/kuis-0")
    uid = start.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    attempt_page = client.get(f"/learn/attempts/{uid}").get_data(as_text=True)
    essay_fields = re.findall(r'<textarea name="(q\d+)"', attempt_page)
    assert len(essay_fields) == len(sweep.chunks["grader_feedback"]), attempt_page[:2000]
    essay = "\n\n".join(c.value for c in sweep.chunks["essay_answer"])
    form_post(client, f"/learn/attempts/{uid}/submit", {name: essay if n == 0 else "Jawaban." for n, name in enumerate(essay_fields)},
              form_page=f"/learn/attempts/{uid}")
    client = lms_app.test_client()
    client.submit("/login", {"login": author.email, "password": PASSWORD})
    slots = [int(name[1:]) for name in essay_fields]
    for slot, chunk in zip(slots, sweep.chunks["grader_feedback"]):
        form_post(client, f"/author/attempts/{uid}/questions/{slot}/grade", {"percent": "50", "feedback": chunk.value},
                  form_page=f"/author/attempts/{uid}/questions/{slot}/grade")
    client = lms_app.test_client()

    # ---- the end-of-course evaluation: the author's questions (two forms: 30 questions at
    # most each), then learners who completed the course answer through the form
    client.submit("/login", {"login": author.email, "password": PASSWORD})
    questions = sweep.chunks["eval_question"]
    half = (len(questions) + 1) // 2
    eval_slugs = {"xss-1": questions[:half], "xss-2": questions[half:]}
    for slug, chunks in eval_slugs.items():
        for chunk in chunks:  # free text and Likert questions in turn (both show the text)
            form_post(client, f"/author/courses/{slug}/evaluation/questions",
                      {"kind": "likert" if chunk.index % 2 else "text", "text": chunk.value},
                      form_page=f"/author/courses/{slug}/evaluation")
    with lms_app.app_context():
        from lms.services import progress
        for person, done in [(learner, eval_slugs), (profiles[0], eval_slugs), (profiles[1], ["xss-1"])]:
            for slug in done:
                version = course_service.published_version(slug)
                enrolled = enrollment.enroll_self(db.session.get(User, person.id), version.course)
                progress.complete_lesson(enrolled, version, version.lessons[0])
        db.session.commit()
    # profiles[0] leaves the forms unanswered: the browser shows them the questions.
    for person, answers in [(learner, {"xss-1": sweep.chunks["eval_answer"], "xss-2": []}),
                            (profiles[1], {"xss-1": []})]:
        client = lms_app.test_client()
        client.submit("/login", {"login": person.email, "password": PASSWORD})
        for slug, chunks in answers.items():
            form_page = client.get(f"/evaluation/courses/{slug}").get_data(as_text=True)
            form_post(client, f"/evaluation/courses/{slug}", evaluation_answers(form_page, chunks), ok=(302,))

    # ---- competencies and positions through the admin's forms; the learner (and a profile,
    # whose name the gap page lists) hold the position that requires them all
    client = lms_app.test_client()
    client.submit("/login", {"login": admin.email, "password": PASSWORD})
    descriptions = sweep.chunks["competency_description"]
    for chunk in sweep.chunks["competency_name"]:
        n = chunk.index
        form_post(client, "/admin/competencies/new",
                  {"code": f"xss-k{n}", "name": chunk.value, "kind": "teknis", "spbe_domain": "", "spbe_aspect": "",
                   "description": descriptions[n].value if n < len(descriptions) else ""}, ok=(302,))
    with lms_app.app_context():
        from lms.models import CompetencyEntry, JpEntry, Position
        required = list(db.session.scalars(select(CompetencyEntry.id).where(CompetencyEntry.code.like("xss-k%"))))
    position_descriptions = sweep.chunks["position_description"]
    for chunk in sweep.chunks["position_name"]:
        n = chunk.index
        form_post(client, "/admin/positions/new",
                  {"code": f"XSS-J{n}", "name": chunk.value,
                   "description": position_descriptions[n].value if n < len(position_descriptions) else "",
                   **({f"level_{i}": "3" for i in required} if n == 0 else {})}, ok=(302,))
    with lms_app.app_context():
        positions = list(db.session.scalars(select(Position.id).where(Position.code.like("XSS-J%"))
                                            .order_by(Position.id)))
        rejected = list(db.session.scalars(select(JpEntry.id).where(JpEntry.title.like("Ditolak %"))
                                           .order_by(JpEntry.id)))
    for person in (learner, profiles[0]):
        form_post(client, f"/admin/users/{person.id}/position", {"position_id": str(positions[0])}, ok=(302,))
    # The admin rejects the learner's last entries with a reason (the learner's ledger shows it).
    for entry_id, chunk in zip(rejected, reasons):
        form_post(client, f"/admin/jp/{entry_id}/reject", {"note": chunk.value}, ok=(302,))
    client = lms_app.test_client()
    prepared = time.monotonic()

    # ---- Chromium: every page that shows the values, as learner, author and admin
    markers = lambda kind: [c.marker for c in sweep.chunks[kind]]  # noqa: E731
    context, page = browser_for(chromium_browser, sweep, base)
    try:
        canary(page, sweep, base)
        # Anonymous: the catalog, its search (echoed back), certificates' verify pages.
        for n in range(1, len(slugs) // 12 + 3):
            look(page, sweep, f"{base}/courses?page={n}")
        for chunk in sweep.chunks["search"]:
            look(page, sweep, f"{base}/courses?q={quote_plus(chunk.value)}", expect=[chunk.marker], status=(200, 400))
        for code in codes[::3]:  # the admin's certificate list shows every holder name
            look(page, sweep, f"{base}/verify/{code}")
        for slug in slugs[:3]:
            look(page, sweep, f"{base}/courses/{slug}")

        # The learner: dashboard, course pages, lessons, quizzes, review, ledger.
        sign_in(page, base, learner.email)
        look(page, sweep, f"{base}/me")
        look(page, sweep, f"{base}/courses/xss-gudang", expect=markers("section_title") + markers("quiz_title"))
        for n in range(len(sweep.chunks["lesson_body"]) + len(sweep.chunks["lesson_body_stored"])):
            look(page, sweep, f"{base}/learn/xss-gudang/pelajaran-{n}")
        for n in range(len(sweep.chunks["lesson_title"])):
            if n >= len(sweep.chunks["lesson_body"]) and n % 3 == 1:
                look(page, sweep, f"{base}/learn/xss-gudang/pelajaran-{n}")
        for n in range(len(sweep.chunks["lesson_description"])):
            look(page, sweep, f"{base}/learn/xss-gudang/tautan-{n}")
        for n in range(0, len(sweep.chunks["quiz_title"]), 8):
            look(page, sweep, f"{base}/learn/xss-gudang/quiz/kuis-{n}")
        look(page, sweep, f"{base}/learn/attempts/{uid}/review")
        look(page, sweep, f"{base}/me/jp", expect=markers("jp_title") + markers("jp_organiser")
             + markers("jp_reject_reason"))
        look(page, sweep, f"{base}/me/competencies", expect=markers("competency_name")
             + markers("competency_description") + [marker("position_name", 0)])
        look(page, sweep, f"{base}/me/certificates")
        # A second attempt: the questions and their choices as the learner answers them.
        page.goto(f"{base}/learn/xss-gudang/quiz/kuis-1")
        page.locator("form[action$='/start'] button[type=submit]").click()
        page.wait_for_url(lambda url: "/learn/attempts/" in url)
        page.wait_for_timeout(25)
        record(page, sweep, page.url, expect=markers("question_text") + markers("choice"))
        page.locator("input[type=radio]").first.evaluate("e => e.click()")
        page.locator("textarea").first.fill(PAYLOADS[0] + " " + PAYLOADS[21])
        page.wait_for_timeout(50)
        look(page, sweep, f"{base}/profile")
        page.context.clear_cookies()

        # Each profile's owner sees it on the profile form (the units are offered there too).
        for person in profiles[:2]:
            sign_in(page, base, person.email)
            look(page, sweep, f"{base}/profile", expect=markers("unit_name"))
            look(page, sweep, f"{base}/me/certificates")
            if person is profiles[0]:  # completed, not yet answered: the evaluation forms
                for slug, chunks in eval_slugs.items():
                    look(page, sweep, f"{base}/evaluation/courses/{slug}", expect=[c.marker for c in chunks])
            page.context.clear_cookies()

        # The author: drafts in the editor, the preview (fetched and put in place by script),
        # quiz reports, the essay to grade.
        sign_in(page, base, author.email)
        look(page, sweep, f"{base}/author/")
        look(page, sweep, f"{base}{editor}/", expect=markers("editor_section_title") + markers("editor_lesson_title"))
        for slug in slugs:
            look(page, sweep, f"{base}/author/courses/{slug}/edit/")
        for n in range(len(sweep.chunks["editor_summary"])):
            look(page, sweep, f"{base}/author/courses/xss-{n}/edit/course")
        look(page, sweep, f"{base}/author/courses/xss-1/versions/2/sunting-0")
        look(page, sweep, f"{base}/author/courses/xss-gudang/questions")
        look(page, sweep, f"{base}/author/courses/xss-gudang/quizzes/kuis-0")
        for slot in slots:
            look(page, sweep, f"{base}/author/attempts/{uid}/questions/{slot}/grade")
        look(page, sweep, f"{base}/author/courses/xss-gudang/")
        for slug, chunks in eval_slugs.items():  # the evaluation's set-up and results (no names)
            look(page, sweep, f"{base}/author/courses/{slug}/evaluation", expect=[c.marker for c in chunks])
            look(page, sweep, f"{base}/author/courses/{slug}/evaluation/results",
                 expect=[c.marker for c in chunks] + (markers("eval_answer") if slug == "xss-1" else []))
        look(page, sweep, f"{base}{editor}/lessons/sunting-0", expect=markers("editor_lesson_body"))
        page.fill("textarea[name=body]", "\n\n".join(c.value for c in sweep.chunks["editor_preview"]))
        # Pressed from script: the page is far wider than the phone here (the competency
        # checklist lists the payload-named catalogue entries), and a pointer aimed at the
        # button lands on other elements.
        page.locator("input[name=preview]").evaluate("e => e.click()")
        page.wait_for_function("document.querySelector('#lesson-preview-body') && "
                               "document.querySelector('#lesson-preview-body').textContent.includes('xmeditorpreviewn0q')")
        page.wait_for_timeout(100)
        record(page, sweep, f"{editor}/lessons/sunting-0 (preview)")
        page.context.clear_cookies()

        # The admin: people, units, imports, reports, certificates, training to approve.
        sign_in(page, base, admin.email)
        for n in range(1, (len(profiles) + len(imported)) // 50 + 3):
            look(page, sweep, f"{base}/admin/users?page={n}")
        look(page, sweep, f"{base}/admin/units", expect=markers("unit_name"))
        for person in profiles[:3] + [imported[0]]:
            look(page, sweep, f"{base}/admin/users/{person.id}")
        look(page, sweep, f"{base}/admin/users/{imported[-1].id}")
        look(page, sweep, f"{base}/admin/certificates")
        look(page, sweep, f"{base}/admin/jp", expect=markers("jp_reference"))
        look(page, sweep, f"{base}/admin/courses/xss-gudang/enrolments")
        look(page, sweep, f"{base}/admin/reports/courses")
        look(page, sweep, f"{base}/admin/reports/jp")
        look(page, sweep, f"{base}/admin/audit")
        look(page, sweep, f"{base}/admin/reports/evaluations")
        for slug, chunks in eval_slugs.items():  # with the names of who answered
            look(page, sweep, f"{base}/admin/reports/evaluations/{slug}",
                 expect=[c.marker for c in chunks] + (markers("eval_answer") if slug == "xss-1" else []))
        look(page, sweep, f"{base}/admin/competencies", expect=markers("competency_name")
             + markers("competency_description") + markers("position_name"))
        for n in range(max(1, len(sweep.chunks["position_description"]))):
            look(page, sweep, f"{base}/admin/positions/{positions[n]}/edit", expect=markers("competency_name"))
        look(page, sweep, f"{base}/admin/competency-gap", expect=markers("competency_name")
             + [marker("position_name", 0), marker("profile_name", 0)])
        # The CSV import's check page shows the rows: uploaded from the browser this time.
        page.goto(f"{base}/admin/users/import")
        page.set_input_files("input[type=file]", files=[{"name": "pegawai.csv", "mimeType": "text/csv",
                                                         "buffer": data.replace(b"impor", b"lagi")
                                                         .replace(b"198502022010", b"198703032011")}])
        page.locator("button[name=check], input[name=check]").click()
        page.wait_for_load_state("load")
        page.wait_for_timeout(25)
        record(page, sweep, f"{base}/admin/users/import (check)")
        page.wait_for_timeout(200)  # the last handlers' chance to fire
    finally:
        context.close()

    # ---- what happened
    fields = sorted(sweep.chunks)
    print(f"\nXSS sweep: {len(PAYLOADS)} payloads × {len(fields)} fields, {sweep.views} pages viewed, "
          f"{sweep.renderings} payload renderings checked (payload × field × page), "
          f"trap hits {len(sweep.hits)}, dialogs {len(sweep.dialogs)}, CSP reports {len(sweep.csp)}, "
          f"suspicious DOM {len(sweep.dom)}; set up {prepared - started:.1f} s, browser {time.monotonic() - prepared:.1f} s")
    missing = {kind: sorted(set(range(len(chunks))) - sweep.seen.get(kind, set()))
               for kind, chunks in sweep.chunks.items()}
    missing = {kind: gaps for kind, gaps in missing.items() if gaps and kind not in SAMPLED}
    assert not missing, f"values never seen on a page (field: value indexes): {missing}"
    assert sweep.hits == [] and sweep.dialogs == [] and sweep.popups == [], (sweep.hits, sweep.dialogs, sweep.popups)
    assert sweep.dom == [], sweep.dom[:20]
    assert sweep.csp == []
    assert len(PAYLOADS) >= 200 and len(set(PAYLOADS)) == len(PAYLOADS)


def evaluation_answers(page_html: str, chunks: list[Chunk]) -> dict:
    """An evaluation form's answers: 4 on every Likert scale, the chunks in the free-text
    questions in turn (then a plain answer); field names read from the page."""
    scales = dict.fromkeys(re.findall(r'type="radio" name="(q-[\w-]+)"', page_html))
    texts = re.findall(r'<textarea name="(q-[\w-]+)"', page_html)
    assert scales and len(texts) >= len(chunks), page_html[:3000]
    answers = {name: "4" for name in scales}
    answers.update({name: chunks[n].value if n < len(chunks) else "Bermanfaat." for n, name in enumerate(texts)})
    return answers


def jp_form(page_html: str, title: str, organiser: str, reference: str) -> dict:
    """The external-training form's fields, filled in (its field names read from the page)."""
    names = set(re.findall(r'name="([a-z_]+)"', page_html))
    today = dt.date.today()
    data = {"title": title, "organiser": organiser, "reference_number": reference,
            "start_on": (today - dt.timedelta(days=3)).isoformat(),
            "end_on": (today - dt.timedelta(days=2)).isoformat(), "jp": "4", "measure": "4",
            "competency": "teknis", "evidence": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "bukti.pdf")}
    return {k: v for k, v in data.items() if k in names}
