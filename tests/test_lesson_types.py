"""Lesson types: sanitised Markdown, video/link/file lessons, import checks, the registry."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from lms import create_app
from lms.content import render_markdown
from lms.database import db
from lms.errors import StartupError
from lms.models import Course, CourseVersion, Lesson
from lms.packages.manifest import parse_manifest
from lms.plugin import LessonType, hookimpl
from lms.registry import lesson_types
from lms.services import courses
from lms.services.courses import PackageInvalid
from lms.testing import course_manifest

# ------------------------------------------------------------------ helpers


class Tags(HTMLParser):
    """Every start tag of a fragment with its attributes (values entity-decoded)."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    handle_startendtag = handle_starttag


#: Tags that must never reach a learner's browser, whatever the author writes.
FORBIDDEN_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "style",
                  "link", "form", "input", "button", "textarea", "select", "base", "meta", "svg",
                  "math", "video", "audio", "source", "details", "noscript", "template"}
#: Attributes that carry script, styles or a second document.
FORBIDDEN_ATTRIBUTES = {"style", "srcdoc", "formaction", "action", "background", "srcset",
                        "xlink:href", "id", "name"}
_CONTROL = re.compile(r"[\x00-\x20]+")


def assert_inert(output: str) -> None:
    """The sanitiser's output cannot run script, load a frame or restyle the page."""
    assert "<script" not in output.lower()
    decoded = _CONTROL.sub("", html.unescape(output)).lower()  # browsers drop tabs/newlines in URLs
    assert "javascript:" not in decoded and "vbscript:" not in decoded
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", output, re.IGNORECASE), output
    for tag, attrs in Tags(output).tags:
        assert tag not in FORBIDDEN_TAGS, output
        for name, value in attrs.items():
            assert not name.startswith("on"), output
            assert name not in FORBIDDEN_ATTRIBUTES, output
            if name in ("href", "src"):
                scheme = re.match(r"^([a-z][a-z0-9+.-]*):", _CONTROL.sub("", value).lower())
                assert scheme is None or scheme.group(1) in ("http", "https", "mailto"), output


def import_course(manifest: dict, bodies: dict[str, str], *, publish: bool = True):
    """Parse and import a manifest (inside an app context); return the version."""
    spec, problems = parse_manifest(manifest)
    assert not problems, problems
    version = courses.import_version(spec, bodies)
    if publish:
        courses.publish(version)
    return version


def import_problems(lms_app, manifest: dict, bodies: dict[str, str]) -> list:
    """The problems import_version reports for a manifest it must refuse."""
    with lms_app.app_context():
        with pytest.raises(PackageInvalid) as caught:
            import_course(manifest, bodies)
        return caught.value.problems


def assert_nothing_written(lms_app) -> None:
    with lms_app.app_context():
        for model in (Course, CourseVersion, Lesson):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0, model


def enrol(client, slug: str) -> None:
    response = client.submit(f"/courses/{slug}/enrol", form_page=f"/courses/{slug}")
    assert response.status_code == 302 and response.location.startswith(f"/learn/{slug}")


# ------------------------------------------------------------------ Markdown sanitising

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    "<script",  # unclosed
    "<img src=x onerror=alert(1)",  # unclosed
    "<img src=x onerror=alert(1)>",
    '<img src="https://example.go.id/a.png" title="t" onload="alert(1)">',
    "[klik](javascript:alert(1))",
    "[klik](JaVaScRiPt:alert(1))",
    "[klik](javascript&#58;alert(1))",
    "[klik][ref]\n\n[ref]: javascript:alert(1)",
    "![gambar](javascript:alert(1))",
    '<a href="javascript:alert(1)">klik</a>',
    '<a href="  javascript:alert(1)">klik</a>',
    '<a href="javascript&#58;alert(1)">klik</a>',
    '<a href="&#106;avascript&colon;alert(1)">klik</a>',
    '<a href="java&#x09;script:alert(1)">klik</a>',
    '<a href="jav&#x0A;ascript:alert(1)">klik</a>',
    '<a href="vbscript:msgbox(1)">klik</a>',
    '<a href="https://example.go.id" onmouseover="alert(1)">klik</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">klik</a>',
    "[klik](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<img srcset="javascript:alert(1) 1x">',
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<style>body { display: none }</style>",
    '<p style="background:url(javascript:alert(1))">teks</p>',
    '<div onclick="alert(1)">teks</div>',
    '<code class="x" onclick="alert(1)">kode</code>',
    '<form action="https://evil.example"><input name="nip"></form>',
    '<button formaction="javascript:alert(1)">kirim</button>',
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="https://evil.example/x.swf">',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<video src=x onerror=alert(1)>",
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<div markdown="1">[klik](javascript:alert(1))</div>',
    '[klik](https://example.go.id){: onclick="alert(1)" style="color:red" }',
    "## Judul {: onmouseover=alert(1) }",
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_render_markdown_drops_script(payload):
    output = render_markdown(f"Pengantar **materi**.\n\n{payload}\n\nPenutup materi.")
    assert_inert(output)
    assert "<strong>materi</strong>" in output and "Penutup materi." in output  # the rest survives


def test_assert_inert_catches_what_it_should():  # the check itself must not be a no-op
    for unsafe in ['<a href="java&#x09;script:x">a</a>', '<p onclick="x">a</p>', "<iframe></iframe>",
                   '<img src="data:image/png;base64,AA">', '<p style="x">a</p>', "<SCRIPT>"]:
        with pytest.raises(AssertionError):
            assert_inert(unsafe)


def test_code_shows_markup_as_text():
    output = render_markdown("`<script>alert(1)</script>`\n\n```html\n<img src=x onerror=alert(1)>\n```")
    assert "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>" in output
    assert '<code class="language-html">&lt;img src=x onerror=alert(1)&gt;' in output
    assert_inert(output)


def test_normal_markdown_survives():
    output = render_markdown(
        "## Judul\n\n### Sub judul\n\n- satu\n- dua\n\n1. pertama\n2. kedua\n\n"
        "| Kolom A | Kolom B |\n|:--------|--------:|\n| 1 | 2 |\n\n"
        '**tebal**, *miring* dan [situs BKN](https://www.bkn.go.id "BKN")\n\n'
        "![logo](https://example.go.id/logo.png)\n\n> kutipan\n\nASN\n:   Aparatur Sipil Negara")
    for piece in ["<h2>Judul</h2>", "<h3>Sub judul</h3>", "<ul>\n<li>satu</li>\n<li>dua</li>\n</ul>",
                  "<ol>\n<li>pertama</li>", "<strong>tebal</strong>", "<em>miring</em>",
                  "<blockquote>", "<dt>ASN</dt>", "<dd>Aparatur Sipil Negara</dd>",
                  '<img alt="logo" src="https://example.go.id/logo.png">']:
        assert piece in output
    tags = Tags(output).tags
    assert [t for t, _ in tags if t in ("table", "thead", "tbody", "tr", "th", "td")] == [
        "table", "thead", "tr", "th", "th", "tbody", "tr", "td", "td"]
    # column alignment from the tables extension survives as the allowed `align` attribute
    assert [a.get("align") for t, a in tags if t in ("th", "td")] == ["left", "right"] * 2
    links = [a for t, a in tags if t == "a"]
    assert links == [{"href": "https://www.bkn.go.id", "title": "BKN", "rel": "noopener noreferrer"}]


def test_raw_safe_html_is_kept_and_links_get_rel():
    output = render_markdown('<a href="mailto:diklat@bkpsdm.go.id">Email</a> <abbr title="Jam Pelajaran">JP</abbr>')
    assert '<a href="mailto:diklat@bkpsdm.go.id" rel="noopener noreferrer">Email</a>' in output
    assert '<abbr title="Jam Pelajaran">JP</abbr>' in output


def test_empty_source_renders_empty():
    assert render_markdown("") == "" and render_markdown(None) == ""


# ------------------------------------------------------------------ through a real course

PAGE_PAYLOAD = ('Bacalah dengan teliti.\n\n<script>alert("xss")</script>\n\n'
                '<img src=x onerror="alert(2)">\n\n[tautan](javascript:alert(3))\n\n'
                '<iframe src="https://evil.example"></iframe>\n\n'
                '<a href="https://www.bkn.go.id" onclick="alert(4)">BKN</a>')


def lesson_body(page: str) -> str:
    """The lesson body as served: what lesson.html puts inside div.lesson-body."""
    match = re.search(r'<div class="lesson-body">(.*?)</div>\s*</article>', page, re.S)
    assert match, page
    return match.group(1)


def test_lesson_page_serves_sanitised_markdown(lms_app, lms_client, lms_auth, lms_user):
    manifest, bodies = course_manifest("aman", lessons=1, extra_lessons=[
        {"id": "xss", "title": "Materi berbahaya", "file": "lessons/xss.md"}])
    bodies["lessons/xss.md"] = PAGE_PAYLOAD
    with lms_app.app_context():
        import_course(manifest, bodies)
        stored = db.session.scalar(select(Lesson).where(Lesson.key == "xss"))
        assert stored.source == PAGE_PAYLOAD  # the author's text is kept as written
        assert_inert(stored.body_html)  # sanitised once, at import
    lms_auth.login(lms_user())
    enrol(lms_client, "aman")
    response = lms_client.get("/learn/aman/xss")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    body = lesson_body(page)
    assert_inert(body)
    assert "<p>Bacalah dengan teliti.</p>" in body
    assert '<a href="https://www.bkn.go.id" rel="noopener noreferrer">BKN</a>' in body
    for marker in ('alert("xss")', "alert(2)", "alert(3)", "alert(4)", "evil.example"):
        assert marker not in page
    # nor anywhere else on the page: the only scripts are the site's own, from /static/
    assert re.findall(r"<script[^>]*>", page, re.I) == ['<script src="/static/js/lms.js" defer>']


# ------------------------------------------------------------------ video, link and file

MEDIA_LESSONS = [
    {"id": "yt-watch", "title": "Video YouTube", "type": "video",
     "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10s", "description": "Tonton sampai habis."},
    {"id": "yt-short", "title": "Video pendek", "type": "video", "url": "https://youtu.be/aBcDeF12345"},
    {"id": "mp4", "title": "Rekaman", "type": "video", "url": " https://cdn.example.go.id/rekaman.mp4 "},
    {"id": "tautan", "title": "Situs BKN", "type": "link", "url": "https://www.bkn.go.id/peraturan",
     "description": "Baca peraturan terbaru."},
    {"id": "berkas", "title": "Modul", "type": "file", "url": "https://cdn.example.go.id/docs/modul-1.pdf"},
    {"id": "berkas-nama", "title": "Modul 2", "type": "file",
     "url": "https://cdn.example.go.id/unduh?id=7", "filename": "Modul Latsar.pdf"},
]


@pytest.fixture
def media_course(lms_app, lms_client, lms_auth, lms_user):
    """A course with every media lesson, and a learner enrolled in it (logged in)."""
    manifest, bodies = course_manifest("media", lessons=1, extra_lessons=MEDIA_LESSONS)
    with lms_app.app_context():
        import_course(manifest, bodies)
    lms_auth.login(lms_user())
    enrol(lms_client, "media")

    def body(key: str) -> str:
        response = lms_client.get(f"/learn/media/{key}")
        assert response.status_code == 200
        return lesson_body(response.get_data(as_text=True))

    return body


def test_youtube_watch_url_renders_privacy_enhanced_embed(media_course):
    body = media_course("yt-watch")
    (iframe,) = [a for t, a in Tags(body).tags if t == "iframe"]
    assert iframe["src"] == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    assert iframe["title"] == "Video YouTube"
    assert "youtube.com/watch" not in body  # the tracking domain is not embedded
    assert "<p>Tonton sampai habis.</p>" in body


def test_youtu_be_url_renders_embed(media_course):
    body = media_course("yt-short")
    assert 'src="https://www.youtube-nocookie.com/embed/aBcDeF12345"' in body
    assert "<video" not in body and "<p>" not in body  # no description, no empty paragraph


def test_video_file_renders_html5_player(media_course):
    body = media_course("mp4")
    (video,) = [a for t, a in Tags(body).tags if t == "video"]
    assert video["src"] == "https://cdn.example.go.id/rekaman.mp4"  # stripped at import
    assert "controls" in video and "<iframe" not in body


def test_link_lesson_opens_in_a_new_tab(media_course):
    body = media_course("tautan")
    (link,) = [a for t, a in Tags(body).tags if t == "a"]
    assert link["href"] == "https://www.bkn.go.id/peraturan"
    assert link["target"] == "_blank" and "noopener" in link["rel"].split()
    assert "<p>Baca peraturan terbaru.</p>" in body


@pytest.mark.parametrize("key, url, filename", [
    ("berkas", "https://cdn.example.go.id/docs/modul-1.pdf", "modul-1.pdf"),
    ("berkas-nama", "https://cdn.example.go.id/unduh?id=7", "Modul Latsar.pdf"),
])
def test_file_lesson_has_download_link_and_filename(media_course, key, url, filename):
    body = media_course(key)
    (link,) = [a for t, a in Tags(body).tags if t == "a"]
    assert link["href"] == url and "download" in link
    assert f"⬇ {filename}</a>" in body


def test_lesson_fields_are_escaped(lms_app, lms_client, lms_auth, lms_user):
    manifest, bodies = course_manifest("escape", lessons=1, extra_lessons=[
        {"id": "v", "title": '"><script>alert(1)</script>', "type": "video",
         "url": "https://youtu.be/aBcDeF12345", "description": "<img src=x onerror=alert(1)>"},
        {"id": "l", "title": "Tautan", "type": "link",
         "url": 'https://example.go.id/"onmouseover="alert(1)'},
        {"id": "f", "title": "Berkas", "type": "file", "url": "https://example.go.id/a.pdf",
         "filename": "<b>modul</b>.pdf"}])
    with lms_app.app_context():
        import_course(manifest, bodies)
    lms_auth.login(lms_user())
    enrol(lms_client, "escape")
    for key in ("v", "l", "f"):
        page = lms_client.get(f"/learn/escape/{key}").get_data(as_text=True)
        tags = Tags(lesson_body(page)).tags
        assert not [name for _, attrs in tags for name in attrs if name.startswith("on")]
        assert not {tag for tag, _ in tags} & {"script", "img", "b"}
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>modul" not in page


def test_missing_description_is_not_shown_as_none(lms_app, lms_client, lms_auth, lms_user):
    manifest, bodies = course_manifest("kosong", lessons=1, extra_lessons=[
        {"id": "t", "title": "Tautan", "type": "link", "url": "https://www.bkn.go.id",
         "description": None}])  # `description:` left empty in course.yaml
    with lms_app.app_context():
        import_course(manifest, bodies)
    lms_auth.login(lms_user())
    enrol(lms_client, "kosong")
    body = lesson_body(lms_client.get("/learn/kosong/t").get_data(as_text=True))
    assert "None" not in body and "<p></p>" not in body


@pytest.mark.parametrize("entry, message", [
    ({"type": "video", "url": "https://www.bkn.go.id/berita"}, "url: must be a YouTube link or a video file"),
    ({"type": "video", "url": "https://www.youtube.com/"}, "url: must be a YouTube link or a video file"),
    ({"type": "video", "url": "javascript:alert(1)//x.mp4"}, "url: must be an absolute https or http URL"),
    ({"type": "video", "url": "JAVASCRIPT://youtu.be/%0Aalert(1)"}, "url: must be an absolute https or http URL"),
    ({"type": "video", "url": "data:video/mp4;base64,AAAA"}, "url: must be an absolute https or http URL"),
    ({"type": "video", "url": "/local/video.mp4"}, "url: must be an absolute https or http URL"),
    ({"type": "video"}, "url: required"),
    ({"type": "video", "url": "   "}, "url: required"),
    ({"type": "video", "url": 42}, "url: required"),
    ({"type": "link", "url": "javascript:alert(1)"}, "url: must be an absolute https or http URL"),
    ({"type": "link", "url": "www.bkn.go.id"}, "url: must be an absolute https or http URL"),
    ({"type": "link", "url": "ftp://files.example.go.id/a"}, "url: must be an absolute https or http URL"),
    ({"type": "link"}, "url: required"),
    ({"type": "file", "url": "javascript:alert(1)"}, "url: must be an absolute https or http URL"),
    ({"type": "file", "url": "file:///etc/passwd"}, "url: must be an absolute https or http URL"),
    ({"type": "file", "url": ""}, "url: required"),
])
def test_invalid_media_lesson_is_refused_by_import(lms_app, entry, message):
    manifest, bodies = course_manifest("tolak", lessons=2, extra_lessons=[
        {"id": "media", "title": "Media", **entry}])
    problems = import_problems(lms_app, manifest, bodies)
    assert [(p.file, p.where) for p in problems] == [("course.yaml", "sections[0].lessons[2]")]
    assert problems[0].message.startswith(message), problems[0].message
    assert "sections[0].lessons[2]: url: " in str(problems[0])
    assert_nothing_written(lms_app)


def test_every_bad_lesson_is_reported_at_once(lms_app):
    manifest, bodies = course_manifest("banyak", lessons=1, extra_lessons=[
        {"id": "a", "title": "A", "type": "video", "url": "javascript:alert(1)"},
        {"id": "b", "title": "B", "type": "link"},
        {"id": "c", "title": "C", "file": "lessons/tidak-ada.md"}])
    problems = import_problems(lms_app, manifest, bodies)
    assert [p.where for p in problems] == ["sections[0].lessons[1]", "sections[0].lessons[2]",
                                           "sections[0].lessons[3].file"]
    assert_nothing_written(lms_app)


def test_unknown_lesson_type_is_refused_and_nothing_is_written(lms_app):
    manifest, bodies = course_manifest("kuis", lessons=2, extra_lessons=[
        {"id": "kuis-1", "title": "Kuis", "type": "kuis"}])
    problems = import_problems(lms_app, manifest, bodies)
    assert len(problems) == 1
    assert problems[0].where == "sections[0].lessons[2].type"
    with lms_app.app_context():
        known = lesson_types().keys()
    assert {"file", "link", "markdown", "video"} <= set(known)
    assert problems[0].message == f"unknown lesson type 'kuis'; known: {', '.join(known)}"
    assert_nothing_written(lms_app)


def test_a_refused_import_leaves_the_published_version_alone(lms_app, lms_course):
    lms_course("tetap", lessons=2)
    manifest, bodies = course_manifest("tetap", lessons=1, extra_lessons=[
        {"id": "x", "title": "X", "type": "kuis"}])
    import_problems(lms_app, manifest, bodies)
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseVersion)) == 1
        assert db.session.scalar(select(func.count()).select_from(Lesson)) == 2


# ------------------------------------------------------------------ the registry


def test_core_lesson_types_are_registered_by_the_builtin_plugin(lms_app):
    with lms_app.app_context():
        registry = lesson_types()
        core = ["file", "link", "markdown", "video"]
        assert [key for key in registry.keys() if key in core] == core
        assert {registry.owner(k) for k in core} == {"lms.builtin.lesson_types"}
        assert registry.get("markdown").needs_body and not registry.get("video").needs_body


class FakeMarkdown(LessonType):
    key = "markdown"

    def prepare(self, entry, body):
        raise AssertionError("the refused plugin's lesson type must never run")


class Quiz(LessonType):
    key = "dup-quiz"


class Duplicate:
    """A plugin that claims the core "markdown" key (and a key of its own)."""

    lms_api = "1.0"

    @hookimpl
    def register_lesson_types(self):
        return [Quiz(), FakeMarkdown()]


class TwiceSameKey:
    """A plugin that returns two lesson types with the same key."""

    lms_api = "1.0"

    @hookimpl
    def register_lesson_types(self):
        return [Quiz(), Quiz()]


def make_app(tmp_path, **settings):
    return create_app("testing", {"DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite3", **settings})


def test_duplicate_lesson_type_refuses_to_start_in_strict_mode(tmp_path):
    with pytest.raises(StartupError) as caught:
        make_app(tmp_path, PLUGIN_OBJECTS={"dup": Duplicate()})
    message = str(caught.value)
    assert "plugin 'dup' refused" in message
    assert "lesson type 'markdown' is already registered by lms.builtin.lesson_types" in message


def test_lesson_type_returned_twice_by_one_plugin_is_refused(tmp_path):
    with pytest.raises(StartupError, match="plugin 'twice' refused: .*'dup-quiz'"):
        make_app(tmp_path, PLUGIN_OBJECTS={"twice": TwiceSameKey()})


@pytest.mark.lms_config(PLUGIN_OBJECTS={"dup": Duplicate()}, STRICT_PLUGINS=False)
def test_duplicate_lesson_type_plugin_is_refused_and_markdown_still_works(
        lms_app, lms_client, lms_auth, lms_user, caplog):
    host = lms_app.extensions["lms"]
    info = {i.name: i for i in host.get_plugins()}["dup"]
    assert info.status == "refused"
    assert info.reason == "lesson type 'markdown' is already registered by lms.builtin.lesson_types"
    assert host.pm.get_plugin("dup") is None
    with lms_app.app_context():
        registry = lesson_types()
        assert registry.owner("markdown") == "lms.builtin.lesson_types"
        assert "dup-quiz" not in registry  # a refused plugin contributes nothing
    manifest, bodies = course_manifest("tetap-jalan", lessons=1)
    with lms_app.app_context():
        import_course(manifest, bodies)
    lms_auth.login(lms_user())
    enrol(lms_client, "tetap-jalan")
    body = lesson_body(lms_client.get("/learn/tetap-jalan/pelajaran-1").get_data(as_text=True))
    assert "<h2>Bagian 1</h2>" in body
