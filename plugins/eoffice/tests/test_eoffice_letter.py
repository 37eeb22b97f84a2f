"""The `letter` question type, the bundled curricula, and a learner drafting a letter end to end."""
from __future__ import annotations

import ast
import random
import re
import time
import zipfile
from pathlib import Path

import lms_eoffice
import pytest
import yaml
from lms_eoffice import question_types as lt
from lms_eoffice.question_types import LetterQuestion
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from lms.plugin import Grade, QuestionType

LETTER = LetterQuestion()
PLUGIN = pytest.mark.lms_config(PLUGIN_OBJECTS={"eoffice": lms_eoffice})

DEFINITION = {
    "id": "undangan-rapat",
    "type": "letter",
    "text": "Susunlah surat undangan rapat.",
    "scenario": "Dinas Kominfo <Kota> mengundang\npara kepala OPD.\n\nRapat pada 20 Maret 2025.",
    "elements": [
        {"name": "Nomor", "pattern": r"^\s{0,4}nomor\s{0,8}:", "hint": "RAHASIA-HINT-NOMOR"},
        {"name": "Hal", "points": 2, "any": ["hal", "perihal"], "hint": "tulis hal yang spesifik"},
        {"name": "Alamat tujuan", "any": ["yth. kepala", "yth kepala"]},
        {"name": "Tanggal rapat", "all": ["20 maret 2025", "kamis"]},
        {"name": "Penutup", "any": ["demikian", "atas perhatian"], "pattern": r"terima\s{1,3}kasih"},
    ],
    "forbidden": ["gue", {"phrase": "bro", "penalty": 0.25, "hint": "bahasa obrolan"}],
    "model_answer": ("Nomor : 005/12/Diskominfo/2025\nHal : Undangan Rapat\n\nYth. Kepala Dinas Kesehatan\n"
                     "Rapat pada hari Kamis, 20 Maret 2025.\nDemikian, atas perhatian Saudara diucapkan terima kasih."),
}
MODEL = DEFINITION["model_answer"]
SECRETS = ["RAHASIA-HINT-NOMOR", "perihal", "yth kepala", "nomor\\s", "atas perhatian", "gue", "bro",
           "bahasa obrolan", "005/12"]


@pytest.fixture
def visitor(lms_app):
    """Inside a request from a visitor who chose no language: the plugin speaks Indonesian.
    (With the plugin enabled, PLUGIN, its templates can be rendered too.)"""
    with lms_app.test_request_context():
        yield


def grade(response, definition=DEFINITION) -> float:
    return LETTER.grade(definition, response).fraction


def with_(**changes) -> dict:
    return {**DEFINITION, **changes}


def element(**fields) -> dict:
    return {"name": "Unsur", "any": ["unsur"], **fields}


# ------------------------------------------------------------------ registration


def test_plugin_declares_its_api_and_registers_the_letter_type():
    assert lms_eoffice.lms_api == "1.1"
    types = lms_eoffice.register_question_types()
    assert [type(t) for t in types] == [LetterQuestion]
    assert isinstance(types[0], QuestionType)
    assert (types[0].key, types[0].manual) == ("letter", False)


def test_plugin_registers_its_blueprint_under_its_name():
    (blueprint,) = lms_eoffice.register_blueprints(app=None)
    assert blueprint.name == "eoffice" and blueprint.url_prefix == "/p/eoffice"
    package = Path(lms_eoffice.__file__).parent
    assert (package / "templates" / "eoffice" / "letter.html").is_file()
    assert (package / "static" / "eoffice.css").is_file()
    assert (package / "translations" / "id" / "LC_MESSAGES" / "lms_eoffice.po").is_file()


def test_plugin_imports_only_the_public_api():
    allowed = {"lms.plugin", "lms.hookspecs", "lms.testing"}
    for path in Path(lms_eoffice.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            for name in names:
                if name == "lms" or name.startswith("lms."):
                    assert name in allowed, f"{path.name} imports {name}"


@PLUGIN
def test_the_app_registers_the_plugin_and_its_hook(lms_app):
    host = lms_app.extensions["lms"]
    assert "eoffice" in host.plugin_names()
    assert "register_question_types" in host.hooks_of("eoffice")
    assert "register_blueprints" in host.hooks_of("eoffice")


# ------------------------------------------------------------------ validation


def test_the_example_and_its_model_answer_are_valid(visitor):
    assert LETTER.validate(DEFINITION) == []
    assert grade(LETTER.correct_response(DEFINITION)) == 1.0
    assert LETTER.describe_answer(DEFINITION) == \
        "Unsur wajib: Nomor, Hal, Alamat tujuan, Tanggal rapat, Penutup"


@pytest.mark.parametrize(("definition", "message"), [
    ("not a mapping", "definition: must be a mapping"),
    ({"model_answer": "x"}, "elements: must be a non-empty list of elements"),
    (with_(elements=[]), "elements: must be a non-empty list of elements"),
    (with_(elements="nomor"), "elements: must be a non-empty list of elements"),
    (with_(elements=[element()] * 51), "elements: at most 50"),
    (with_(elements=["nomor"]), "elements[0]: must be a mapping"),
    (with_(elements=[element(name="")]), "elements[0].name: must be non-empty text"),
    (with_(elements=[element(), element()]), "elements[1].name: duplicate 'Unsur'"),
    (with_(elements=[element(points=0)]), "elements[0].points: must be a number above 0"),
    (with_(elements=[element(points=True)]), "elements[0].points: must be a number above 0"),
    (with_(elements=[element(points=float("nan"))]), "elements[0].points: must be a number above 0"),
    (with_(elements=[element(points=101)]), "elements[0].points: must be a number above 0"),
    (with_(elements=[{"name": "Kosong"}]), "elements[0]: needs at least one check: any, all or pattern"),
    (with_(elements=[element(any=[])]), "elements[0].any: must be a non-empty list of phrases"),
    (with_(elements=[element(any="nomor")]), "elements[0].any: must be a non-empty list of phrases"),
    (with_(elements=[element(all=["ok", 3])]), "elements[0].all[1]: must be non-empty text"),
    (with_(elements=[element(any=["x" * 201])]), "elements[0].any[0]: must be non-empty text"),
    (with_(elements=[element(any=["x"] * 51)]), "elements[0].any: at most 50 phrases"),
    (with_(elements=[element(hint=3)]), "elements[0].hint: must be text"),
    (with_(elements=[element(pattern="")]), "elements[0].pattern: must be non-empty text"),
    (with_(elements=[element(pattern="a" * 201)]), "elements[0].pattern: at most 200 characters"),
    (with_(elements=[element(pattern="(")]), "elements[0].pattern: invalid regular expression"),
    (with_(elements=[element(pattern="[[a]")]), "elements[0].pattern: invalid regular expression"),
    (with_(elements=[element(pattern=r"(a+)+b")]), "elements[0].pattern: a repeated group may not contain"),
    (with_(elements=[element(pattern=r"(a|ab)*c")]), "elements[0].pattern: a repeated group may not contain"),
    (with_(elements=[element(pattern=r"(\w)\1")]), "elements[0].pattern: backreferences"),
    (with_(elements=[element(pattern=r"(?P<x>a)(?P=x)")]), "elements[0].pattern: backreferences"),
    (with_(elements=[element(pattern=r"(?x) a b")]), "elements[0].pattern: verbose mode"),
    (with_(elements=[element(pattern=r"\d+/\d+")]), "elements[0].pattern: allows too much backtracking"),
    (with_(elements=[element(name=f"u{i}", pattern=r"[a-z]{1,30}[a-z]{1,30}x") for i in range(4)]),
     "elements: the patterns together allow too much backtracking"),
    (with_(forbidden="gue"), "forbidden: must be a list"),
    (with_(forbidden=[3]), "forbidden[0]: must be a phrase or a mapping with phrase"),
    (with_(forbidden=[{"penalty": 0.1}]), "forbidden[0].phrase: must be non-empty text"),
    (with_(forbidden=[{"phrase": "gue", "penalty": 2}]), "forbidden[0].penalty: must be a number from 0 to 1"),
    (with_(forbidden=[{"phrase": "gue", "hint": []}]), "forbidden[0].hint: must be text"),
    (with_(forbidden=["x"] * 101), "forbidden: at most 100 entries"),
    (with_(default_penalty=-0.1), "default_penalty: must be a number from 0 to 1"),
    (with_(min_words=-1), "min_words: must be a whole number from 0 to 2000"),
    (with_(min_words="50"), "min_words: must be a whole number from 0 to 2000"),
    (with_(show_checklist="ya"), "show_checklist: must be true or false"),
    (with_(scenario=["a"]), "scenario: must be text"),
    (with_(model_answer=None), "model_answer: required text"),
    (with_(model_answer="   "), "model_answer: required text"),
    (with_(model_answer="x" * 8001), "model_answer: at most 8000 characters"),
    (with_(model_answer="Nomor : 1\nHal: Undangan"), "model_answer: scores 50%, not 100% (missing 'Alamat tujuan'"),
    (with_(model_answer=MODEL + "\nbro"), "model_answer: scores 75%, not 100% (contains forbidden 'bro')"),
    (with_(min_words=100), "model_answer: scores 25%, not 100% (25 words, fewer than min_words 100)"),
])
def test_validation_names_the_field(definition, message):
    problems = LETTER.validate(definition)
    assert any(p.startswith(message) for p in problems), problems


def test_validation_never_raises_on_junk():
    junk = [None, 3, [], {}, {"elements": [None, {}, {"name": None, "any": [None]}]},
            {"elements": [{"name": "x", "pattern": 5, "points": "1"}], "forbidden": [None, {}]},
            {"elements": [{"name": "x", "any": ["a"]}], "forbidden": {"a": 1}, "model_answer": 5}]
    for definition in junk:
        assert isinstance(LETTER.validate(definition), list)


@pytest.mark.parametrize("pattern", [
    r".*x", r"\d{1,5}/\d{1,6}/[\w.-]{1,20}", r"(?:hal|perihal)\s{0,8}:", r"(\d{1,3}\.)?x",
    r"(?i)yth\.?\s{1,3}kepala", r"(?<=nip)\s{0,3}\d{18}", r"[^\n]{0,40}rapat", r"a{,}",
])
def test_reasonable_patterns_are_accepted(pattern):
    assert lt.pattern_problems(pattern) == []


@pytest.mark.parametrize("pattern", [r".*x", r"[a-z]{1,30}[a-z]{1,30}x", r".*\d{1,4}x", r"\w+x",
                                     r"(?:a|aa)?.*x"])
def test_accepted_patterns_stay_fast_on_hostile_letters(pattern):
    assert lt.pattern_problems(pattern) == []
    definition = {"elements": [{"name": "u", "pattern": pattern}], "model_answer": "x"}
    hostile = ["a" * 50_000, ("a" * 150 + " ") * 60, "1" * 9000, ("a" * 199 + "\n") * 45, "\n" * 9000,
               "\ufdfa" * 8000]  # NFKC turns each of these into 18 characters
    start = time.perf_counter()
    for text in hostile:
        assert grade(text, definition) == 0.0
    assert time.perf_counter() - start < 3  # about 0.2 s on a laptop for the worst pattern


def test_windows_keep_every_short_match():
    line = "".join(random.Random(3).choice("ab ") for _ in range(1000))
    pieces = lt.windows(line + "\nkedua")
    assert all(len(p) <= lt.WINDOW for p in pieces) and pieces[-1] == "kedua"
    for start in range(len(line) - 100):
        needle = line[start:start + lt.WINDOW - lt.STEP]
        assert any(needle in p for p in pieces)


# ------------------------------------------------------------------ grading


def test_points_weight_the_elements_and_feedback_names_what_is_missing(visitor):
    letter = "Hal: Undangan\nYth. Kepala Dinas\nKamis, 20 Maret 2025"
    result = LETTER.grade(DEFINITION, letter)
    assert result.fraction == pytest.approx(4 / 6)
    assert result.feedback == ("Sudah ada: Hal, Alamat tujuan, Tanggal rapat. "
                               "Belum ada: Nomor (RAHASIA-HINT-NOMOR); Penutup.")


def test_every_check_of_an_element_must_pass():
    assert grade("Demikian disampaikan.") == 0.0  # the phrase without the pattern
    assert grade("Terima kasih.") == 0.0  # the pattern without a phrase
    assert grade("Demikian, terima   kasih.") == pytest.approx(1 / 6)
    assert grade("20 Maret 2025") == 0.0  # all: "kamis" is missing


def test_phrases_ignore_case_and_space_but_match_whole_words_only():
    assert grade("HAL :  undangan") == pytest.approx(2 / 6)
    assert grade("YTH.\n   KEPALA Dinas") == pytest.approx(1 / 6)
    assert grade("halaman 2") == 0.0  # "hal" is not in "halaman"
    assert grade("Hal: brosur dan gueststar") == pytest.approx(2 / 6)  # no penalty: not whole words
    assert grade("Ｈａｌ: x") == pytest.approx(2 / 6)  # full-width letters (NFKC)


def test_forbidden_phrases_cost_their_penalty_once_and_the_score_is_clamped(visitor):
    result = LETTER.grade(DEFINITION, MODEL + "\nGue kirim ya bro, bro, BRO")
    assert result.fraction == pytest.approx(1 - 0.1 - 0.25)
    assert 'Hindari: "gue" (−10%); "bro" (−25%, bahasa obrolan).' in result.feedback
    assert grade("gue bro") == 0.0  # nothing found, penalties cannot go below 0
    assert grade(MODEL) == 1.0


def test_short_letters_get_a_proportional_share(visitor):
    definition = with_(min_words=50)
    result = LETTER.grade(definition, MODEL)  # 25 words
    assert result.fraction == pytest.approx(0.5)
    assert "Surat terlalu pendek: 25 dari minimal 50 kata" in result.feedback


@pytest.mark.parametrize("response", [None, "", "   ", 0, 1.5, True, [], {}, ["Nomor:"], {"a": "b"}, b"Nomor:"])
def test_junk_responses_score_zero(response):
    assert LETTER.grade(DEFINITION, response) == Grade(0.0)


def test_huge_letters_are_cut_not_trusted():
    result = LETTER.grade(DEFINITION, MODEL + " x" * 100_000 + "\nbro")
    assert result.fraction == 1.0  # the penalty beyond the cap was never read
    assert 0 <= grade("\x00" * 100_000) <= 1


def test_feedback_follows_the_visitors_language(lms_app):
    with lms_app.test_request_context():  # Indonesian is the default
        assert LETTER.grade(DEFINITION, "Hal: x").feedback.startswith("Sudah ada: Hal. Belum ada: Nomor")
        assert LETTER.grade(with_(min_words=1), "gue").feedback == (
            'Belum ada: Nomor (RAHASIA-HINT-NOMOR); Hal (tulis hal yang spesifik); Alamat tujuan; '
            'Tanggal rapat; Penutup. Hindari: "gue" (−10%).')
        assert str(LETTER.label) == "Menyusun surat dinas"
    with lms_app.test_request_context():
        from flask import session

        session["lang"] = "en"
        assert LETTER.grade(DEFINITION, "Hal: x").feedback.startswith("Found: Hal. Missing: Nomor")
        assert LETTER.describe_answer(DEFINITION).startswith("Required elements:")
        assert "Letter too short: 25 of at least 50 words" in LETTER.grade(with_(min_words=50), MODEL).feedback
        assert str(LETTER.label) == "Letter drafting"
    # outside a request (scripts, the CLI) the messages stay English, as written in the code
    assert LETTER.grade(DEFINITION, "Hal: x").feedback.startswith("Found: Hal. Missing: Nomor")


# ------------------------------------------------------------------ form


def test_parse_response_cleans_and_caps_the_letter():
    parse = LETTER.parse_response
    assert parse(DEFINITION, MultiDict({"q3": "  Nomor :\r\nHal\r\x00\x1b \t"}), "q3") == "Nomor :\nHal"
    assert len(parse(DEFINITION, MultiDict({"q3": "x" * 50_000}), "q3")) == lt.MAX_RESPONSE_CHARS
    assert parse(DEFINITION, MultiDict({"q3": "  \r\n "}), "q3") is None
    assert parse(DEFINITION, MultiDict({"other": "Nomor"}), "q3") is None
    assert parse(DEFINITION, MultiDict(), "q3") is None
    assert parse(DEFINITION, None, "q3") is None
    assert parse(DEFINITION, {"q3": ["list"]}, "q3") is None


@PLUGIN
def test_render_escapes_and_reveals_nothing(visitor):
    html = LETTER.render(DEFINITION, "q3", "</textarea><script>alert(1)</script>", random.Random(1))
    assert isinstance(html, Markup)
    assert "<script>" not in html and "&lt;/textarea&gt;&lt;script&gt;" in html
    assert "Dinas Kominfo &lt;Kota&gt; mengundang<br>para kepala OPD.</p><p>Rapat" in html
    assert re.search(r'<textarea name="q3" rows="20" maxlength="8000"', html)
    for secret in SECRETS + ["Alamat tujuan"]:  # no phrases, hints, model answer, nor checklist
        assert secret not in html
    assert "Surat Anda" in html and "maksimal 8000 karakter" in html
    assert '<link rel="stylesheet" href="/p/eoffice/static/eoffice.css">' in html
    assert "style=" not in html  # the looks live in static/eoffice.css


@PLUGIN
def test_render_comes_from_the_plugins_template(visitor, monkeypatch):
    drawn = []
    monkeypatch.setattr(lt, "render_template", lambda template, /, **context: drawn.append((template, context)) or "")
    LETTER.render(with_(show_checklist=True), "q3", "Nomor : 1", None)
    ((template, context),) = drawn
    assert template == "eoffice/letter.html"
    # the template gets what the learner may see, nothing more
    assert set(context) == {"name", "scenario", "checklist", "text", "max_chars", "eoffice_"}
    assert context["checklist"] == ["Nomor", "Hal", "Alamat tujuan", "Tanggal rapat", "Penutup"]
    assert context["scenario"] == [["Dinas Kominfo <Kota> mengundang", "para kepala OPD."],
                                   ["Rapat pada 20 Maret 2025."]]


@PLUGIN
def test_render_shows_the_checklist_only_when_asked(visitor):
    html = LETTER.render(with_(show_checklist=True), "q3", None, None)
    assert "<li>Alamat tujuan</li>" in html and "Unsur yang dinilai" in html
    for secret in SECRETS:
        assert secret not in html


@PLUGIN
def test_a_saved_letter_survives_render_and_submit(visitor):
    letter = 'Nomor : 1\nHal: "Undangan" & <rapat>\n\nYth. Kepala'
    html = LETTER.render(DEFINITION, "q3", letter, None)
    sent = re.search(r"<textarea[^>]*>(.*)</textarea>", html, re.DOTALL).group(1)
    from html import unescape

    assert LETTER.parse_response(DEFINITION, MultiDict({"q3": unescape(sent)}), "q3") == letter


# ------------------------------------------------------------------ curricula

CURRICULA = {p.name: p for p in lms_eoffice.curricula()}


def _manifest(root: Path) -> dict:
    return yaml.safe_load((root / "course.yaml").read_text(encoding="utf-8"))


def _exported(lms_runner, slug: str, target: Path, *options: str) -> tuple[dict, dict[str, list[dict]]]:
    """Export a course through the CLI: (manifest, {quiz file: question definitions})."""
    result = lms_runner.invoke(args=["lms", "export-course", slug, str(target), *options])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as archive:
        manifest = yaml.safe_load(archive.read("course.yaml"))
        quizzes = {name: yaml.safe_load(archive.read(name)) for name in archive.namelist()
                   if name.startswith("quizzes/")}
    return manifest, quizzes


def _source_letters() -> list[dict]:
    root = CURRICULA["eoffice-naskah-dinas"]
    questions = yaml.safe_load((root / "quizzes" / "kuis-akhir.yaml").read_text(encoding="utf-8"))["questions"]
    return [q for q in questions if q["type"] == "letter"]


def test_three_curricula_are_bundled():
    assert sorted(CURRICULA) == ["eoffice-disposisi-dan-arsip", "eoffice-naskah-dinas",
                                 "eoffice-tanda-tangan-elektronik"]


@pytest.mark.parametrize("slug", sorted(CURRICULA))
def test_curriculum_manifest_follows_the_house_rules(slug):
    root = CURRICULA[slug]
    manifest = _manifest(root)
    assert manifest["format"] == "lms-course/1" and manifest["slug"] == slug and slug.startswith("eoffice-")
    assert (manifest["language"], manifest["competency"], manifest["category"]) == ("id", "teknis", "e-office")
    assert 2 <= manifest["jp"] <= 6 and len(manifest["summary"]) > 100
    assert 2 <= len(manifest["sections"]) <= 4
    lessons = [lesson for section in manifest["sections"] for lesson in section["lessons"]]
    assert 5 <= len(lessons) <= 8
    for lesson in lessons:
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", lesson["id"])
        assert lesson["file"] == f"lessons/{lesson['id']}.md"
        words = len((root / lesson["file"]).read_text(encoding="utf-8").split())
        assert 400 <= words <= 650, f"{lesson['file']}: {words} words"
    assert all(section.get("quiz") for section in manifest["sections"][-1:])


@PLUGIN
@pytest.mark.parametrize("slug", sorted(CURRICULA))
def test_curriculum_imports_exports_and_reimports(lms_runner, slug, tmp_path):
    result = lms_runner.invoke(args=["lms", "import-course", str(CURRICULA[slug]), "--publish"])
    assert result.exit_code == 0 and f"{slug} version 1 imported, published" in result.output
    manifest, quizzes = _exported(lms_runner, slug, tmp_path / "v1.zip")
    assert manifest["slug"] == slug
    (definitions,) = quizzes.values()
    assert 10 <= len(definitions) <= 15
    kinds = {d["type"] for d in definitions}
    assert {"single", "multiple", "truefalse", "short", "matching", "ordering"} <= kinds
    for d in definitions:  # every question teaches something after grading
        answers = d.get("options") or d.get("answers") or []
        assert d.get("feedback") or d.get("feedback_true") or all(a.get("feedback") for a in answers) \
            and answers, d["id"]
    again = lms_runner.invoke(args=["lms", "import-course", str(tmp_path / "v1.zip")])
    assert again.exit_code == 0 and "version 2 imported" in again.output
    _, quizzes_again = _exported(lms_runner, slug, tmp_path / "v2.zip", "--version", "2")
    assert quizzes_again == quizzes


@PLUGIN
def test_letter_definitions_round_trip_through_export(lms_runner, tmp_path):
    assert lms_runner.invoke(args=["lms", "import-course", str(CURRICULA["eoffice-naskah-dinas"])]).exit_code == 0
    _, quizzes = _exported(lms_runner, "eoffice-naskah-dinas", tmp_path / "x.zip")
    exported = [d for d in quizzes["quizzes/kuis-akhir.yaml"] if d["type"] == "letter"]
    assert exported == _source_letters()


def test_letter_questions_in_the_curricula_are_graded_as_intended():
    definitions = _source_letters()
    assert len(definitions) == 2
    invitation = next(d for d in definitions if d["id"] == "surat-undangan-rakor-e-office")
    for definition in definitions:
        assert LETTER.validate(definition) == []
        assert grade(definition["model_answer"], definition) == 1.0
        assert grade("bro, rapat kamis ya, gue tunggu", definition) == 0.0
    # a sloppy but honest draft earns partial credit and learns what is missing
    draft = ("PEMERINTAH KOTA SIBOLGA\nDINAS KOMUNIKASI DAN INFORMATIKA\n\nHal: Rapat koordinasi e-office\n"
             "Kepada Kepala OPD se-Kota Sibolga\n\nDengan ini kami beritahukan bahwa akan diadakan rapat koordinasi "
             "tentang penerapan aplikasi e-office di lingkungan Pemerintah Kota Sibolga. Mohon hadir rapat pada hari "
             "Kamis, 20 Maret 2025 jam 9 pagi di ruang rapat walikota bersama operator dari kantor masing-masing. "
             "Kehadiran Bapak dan Ibu sangat kami harapkan karena rapat ini membahas jadwal penerapan, pembagian "
             "akun, dan pelatihan operator. Makasih.\n\nKepala Dinas Komunikasi dan Informatika\nAhmad Rifai")
    result = LETTER.grade(invitation, draft)
    assert 0.1 < result.fraction < 0.5
    assert "Pukul (tulis waktu sebagai pukul 09.00 WIB, dengan titik)" in result.feedback
    assert '"makasih"' in result.feedback


def test_the_naskah_dinas_course_needs_the_plugin(lms_runner):
    result = lms_runner.invoke(args=["lms", "import-course", str(CURRICULA["eoffice-naskah-dinas"])])
    assert result.exit_code == 1
    assert "unknown question type 'letter'" in result.output


# ------------------------------------------------------------------ end to end

QUIZ = [DEFINITION, {"id": "ttd", "type": "truefalse", "text": "TTE sah secara hukum.", "answer": True}]


def _start(client, slug: str) -> str:
    client.submit(f"/courses/{slug}/enrol", form_page=f"/courses/{slug}")
    response = client.submit(f"/learn/{slug}/quiz/kuis/start", form_page=f"/learn/{slug}/quiz/kuis")
    assert response.status_code == 302, response.status_code
    return response.location


def _review(client, path: str) -> str:
    return client.get(path + "/review").get_data(as_text=True)


@PLUGIN
def test_a_learner_drafts_a_letter_and_is_graded(lms_client, lms_auth, lms_user, lms_course):
    lms_course("surat-dinas", lessons=1, questions=QUIZ, quiz={"pass": 80})
    lms_auth.login(lms_user())
    path = _start(lms_client, "surat-dinas")
    page = lms_client.get(path).get_data(as_text=True)
    assert '<textarea name="q0"' in page and "Dinas Kominfo &lt;Kota&gt; mengundang" in page
    for secret in SECRETS:
        assert secret not in page
    letter = "Hal: Undangan\nYth. Kepala Dinas\nKamis, 20 Maret 2025\nbro"
    review = lms_client.submit(path + "/submit", {"q0": letter, "q1": "true"}, form_page=path)
    assert review.location == path + "/review"
    shown = _review(lms_client, path)
    assert "70.8%" in shown and "Belum lulus" in shown  # (0.42 + 1) / 2, below the pass mark 80
    assert "0.42 / 1.0" in shown
    assert "Belum ada: Nomor (RAHASIA-HINT-NOMOR); Penutup." in shown
    assert "Unsur wajib: Nomor, Hal, Alamat tujuan, Tanggal rapat, Penutup" in shown


@PLUGIN
def test_the_model_letter_passes_the_quiz(lms_client, lms_auth, lms_user, lms_course):
    lms_course("surat-dinas", lessons=1, questions=QUIZ)
    lms_auth.login(lms_user())
    path = _start(lms_client, "surat-dinas")
    lms_client.submit(path + "/submit", {"q0": MODEL.replace("\n", "\r\n"), "q1": "true"}, form_page=path)
    shown = _review(lms_client, path)
    assert "100%" in shown
    assert "Sudah ada: Nomor, Hal, Alamat tujuan, Tanggal rapat, Penutup." in shown


@PLUGIN
def test_a_hostile_submission_is_graded_without_harm(lms_client, lms_auth, lms_user, lms_course):
    lms_course("surat-dinas", lessons=1, questions=QUIZ)
    lms_auth.login(lms_user())
    path = _start(lms_client, "surat-dinas")
    flood = "<script>alert(1)</script>" + "a" * 30_000
    # a NUL character is refused by the core before any field is read: the attempt stays open
    refused = lms_client.submit(path + "/submit", {"q0": flood + "\x00", "q1": "false"}, form_page=path)
    assert refused.status_code == 400 and lms_client.get(path).status_code == 200
    response = lms_client.submit(path + "/submit", {"q0": flood, "q1": "false"}, form_page=path)
    assert response.status_code == 302
    shown = _review(lms_client, path)
    assert "<script>alert(1)" not in shown and "0%" in shown


@PLUGIN
def test_the_attempt_page_draws_the_plugins_template_and_stylesheet(lms_client, lms_auth, lms_user, lms_course):
    lms_course("surat-dinas", lessons=1, questions=QUIZ)
    lms_auth.login(lms_user())
    page = lms_client.get(_start(lms_client, "surat-dinas")).get_data(as_text=True)
    link = re.search(r'<link rel="stylesheet" href="([^"]+)">\s*<fieldset class="question-inputs question-letter">',
                     page)
    assert link and link.group(1) == "/p/eoffice/static/eoffice.css"
    assert "Surat Anda <small>(maksimal 8000 karakter)</small>" in page
    with lms_client.get(link.group(1)) as css:  # a file response: close it
        assert css.status_code == 200 and css.mimetype == "text/css"
        assert "font-family: ui-monospace" in css.get_data(as_text=True)


@PLUGIN
def test_a_learner_who_chose_english_drafts_in_english(lms_client, lms_auth, lms_user, lms_course):
    lms_course("surat-dinas", lessons=1, questions=QUIZ)
    lms_auth.login(lms_user())
    path = _start(lms_client, "surat-dinas")
    lms_client.submit("/language", {"lang": "en", "next": path}, form_page=path)
    page = lms_client.get(path).get_data(as_text=True)
    assert "Your letter <small>(at most 8000 characters)</small>" in page and "Surat Anda" not in page
    lms_client.submit(path + "/submit", {"q0": "Hal: Undangan\nYth. Kepala Dinas", "q1": "true"}, form_page=path)
    shown = _review(lms_client, path)
    assert "Found: Hal, Alamat tujuan. Missing: Nomor (RAHASIA-HINT-NOMOR); Tanggal rapat; Penutup." in shown
    assert "Required elements: Nomor, Hal, Alamat tujuan, Tanggal rapat, Penutup" in shown
    lms_client.submit("/language", {"lang": "id", "next": path + "/review"}, form_page=path + "/review")
    assert "Unsur wajib: Nomor, Hal" in _review(lms_client, path)  # the answer's description, per visit
