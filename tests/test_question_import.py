"""Bulk question import: Aiken and spreadsheets (CSV, XLSX), the dry run, then all or nothing."""
from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from lms.builtin.question_types import register_question_types
from lms.database import db
from lms.hookspecs import hookimpl
from lms.models import Course, CourseVersion, Question, Quiz, User, VersionStatus
from lms.questions import Grade, QuestionType
from lms.reports.xlsx import Sheet, workbook
from lms.services import authoring, question_bank, question_import
from lms.services.question_import import samples
from lms.services.question_import.aiken import looks_like_aiken, parse_aiken
from lms.services.question_import.spreadsheet import MAX_ROWS, parse_table, read_csv, read_xlsx

REGISTRY = {t.key: t for t in register_question_types()}
QUESTIONS = [{"id": "agenda", "type": "truefalse", "text": "Surat masuk diagendakan.", "answer": True}]
BANK = "/author/courses/bank/questions"

AIKEN = """Apa kepanjangan SPBE?
A. Sistem Pemerintahan Berbasis Elektronik
B. Sistem Pelayanan Birokrasi Efektif
ANSWER: A

Aplikasi umum kearsipan
dinamis adalah ...
A) SRIKANDI
B) SIMPEG
C) SAKTI
JAWABAN: a

Pilih dua naskah dinas
A. Nota dinas
B. Surat edaran
C. Pesan pribadi
ANSWER: A, B
"""

CSV_ID = """\ufeffkode;jenis;pertanyaan;pilihan_a;pilihan_b;pilihan_c;jawaban;toleransi;poin;pembahasan;kuis
ibu-kota;pg;Ibu kota Indonesia?;Jakarta;Bandung;Surabaya;A;;1;Jakarta.;kuis
;pgk;Mana naskah dinas?;Nota dinas;Surat edaran;Pesan pribadi;A, B;;2,5;;
;benar_salah;TTE sah secara hukum.;;;;benar;;;;
;isian;Aplikasi kearsipan dinamis?;;;;SRIKANDI | srikandi app;;;;
;angka;Target JP per tahun?;;;;20;0,5;;;
;esai;Ceritakan perbaikan layanan.;;;;;;;;
"""


# ------------------------------------------------------------------------------ Aiken


def test_aiken_reads_single_multiple_and_multiline_questions():
    entries, problems = parse_aiken(AIKEN, "soal.txt")
    assert problems == []
    assert [e.line for e in entries] == [1, 6, 13]
    first, second, third = (e.definition for e in entries)
    assert first == {"id": "apa-kepanjangan-spbe", "type": "single", "text": "Apa kepanjangan SPBE?",
                     "options": [{"id": "a", "text": "Sistem Pemerintahan Berbasis Elektronik", "fraction": 1},
                                 {"id": "b", "text": "Sistem Pelayanan Birokrasi Efektif", "fraction": 0}]}
    assert second["text"] == "Aplikasi umum kearsipan\ndinamis adalah ..." and second["type"] == "single"
    assert [o["fraction"] for o in second["options"]] == [1, 0, 0]
    assert third["type"] == "multiple" and [o["fraction"] for o in third["options"]] == [0.5, 0.5, -1.0]
    for definition in (first, second, third):
        assert REGISTRY[definition["type"]].validate(definition) == []


def test_aiken_ids_are_unique_and_stable():
    text = "Sama?\nA. x\nB. y\nANSWER: A\n\nSama?\nA. x\nB. y\nANSWER: B\n"
    ids = [e.definition["id"] for e in parse_aiken(text)[0]]
    assert ids == ["sama", "sama-2"] and ids == [e.definition["id"] for e in parse_aiken(text)[0]]


@pytest.mark.parametrize("text, line, fragment", [
    ("Soal?\nA. x\nB. y\n", 3, "no \"ANSWER:\" line"),
    ("Soal?\nA. x\nB. y\nANSWER: C\n", 4, "only A, B"),
    ("Soal?\nA. x\nB. y\nANSWER: Jakarta\n", 4, "letter of the right choice"),
    ("Soal?\nA. x\nANSWER: A\n", 2, "at least two choices"),
    ("Soal?\nA. x\nA. y\nANSWER: A\n", 3, "appears twice"),
    ("Soal?\nA.\nB. y\nANSWER: B\n", 2, "has no text"),
    ("A. x\nB. y\nANSWER: A\n", 1, "before any question text"),
    ("Soal?\nANSWER: A\n", 2, "before any choice"),
    ("Soal satu?\nA. x\nB. y\nSoal dua?\nA. x\nB. y\nANSWER: A\n", 4, "line 1"),
    ("Hanya teks tanpa pilihan\n", 1, "no choices"),
    ("\n\n  \n", None, "no question"),
])
def test_aiken_errors_name_the_line(text, line, fragment):
    entries, problems = parse_aiken(text, "soal.txt")
    assert problems, text
    assert problems[0].line == line
    assert fragment in str(problems[0]) and str(problems[0]).startswith("soal.txt: ")
    if line:
        assert f"soal.txt: line {line}: " in str(problems[0])


def test_aiken_is_told_apart_from_gift_in_txt_files():
    assert looks_like_aiken(AIKEN)
    assert not looks_like_aiken("::Q:: Ibu kota? {=Jakarta ~Bandung}\n")
    assert question_import.detect_format("soal.txt", AIKEN.encode()) == "aiken"
    assert question_import.detect_format("soal.txt", b"Q? {T}") == "gift"
    assert question_import.detect_format("soal.txt", AIKEN.encode(), "gift") == "gift"
    assert question_import.detect_format("soal.pdf", b"") is None


# ------------------------------------------------------------------------------ spreadsheets


def parse_csv(text: str, registry=None):
    table, problems = read_csv(text.encode("utf-8"), "soal.csv")
    assert problems == []
    return parse_table(table, "soal.csv", registry or REGISTRY)


def test_csv_with_indonesian_headers_semicolons_and_bom():
    entries, problems, ignored = parse_csv(CSV_ID)
    assert problems == [] and ignored == []
    by_type = {e.definition["type"]: e for e in entries}
    assert list(by_type) == ["single", "multiple", "truefalse", "short", "numerical", "essay"]
    assert [e.row for e in entries] == [2, 3, 4, 5, 6, 7]
    single = by_type["single"].definition
    assert single["id"] == "ibu-kota" and single["feedback"] == "Jakarta." and by_type["single"].quiz == "kuis"
    assert [o["fraction"] for o in single["options"]] == [1, 0, 0]
    assert by_type["multiple"].definition["points"] == 2.5
    assert [o["fraction"] for o in by_type["multiple"].definition["options"]] == [0.5, 0.5, -1.0]
    assert by_type["truefalse"].definition["answer"] is True
    assert [a["text"] for a in by_type["short"].definition["answers"]] == ["SRIKANDI", "srikandi app"]
    assert by_type["numerical"].definition["answers"] == [{"value": 20, "fraction": 1, "tolerance": 0.5}]
    assert by_type["essay"].definition == {"id": "ceritakan-perbaikan-layanan", "text": "Ceritakan perbaikan layanan.",
                                           "type": "essay"}
    for entry in entries:
        assert REGISTRY[entry.definition["type"]].validate(entry.definition) == []


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_csv_separator_is_detected_from_the_header(separator):
    text = separator.join(["type", "text", "answer"]) + "\n" + separator.join(["truefalse", "Benar?", "true"]) + "\n"
    table, problems = read_csv(text.encode(), "soal.csv")
    assert problems == [] and table.delimiter == separator
    entries, problems, _ = parse_table(table, "soal.csv", REGISTRY)
    assert problems == [] and entries[0].definition["answer"] is True


def test_english_headers_and_a_blank_type_are_understood():
    text = ("Question,Choice A,Choice B,Answer,Points,Category,Unknown\n"
            "Pilih satu,x,y,B,3,e-office/naskah,abaikan\n"
            "Tulis esai,,,,,,\n")
    entries, problems, ignored = parse_csv(text)
    assert problems == [] and ignored == ["Unknown"]
    assert entries[0].definition["type"] == "single" and entries[0].definition["category"] == "e-office/naskah"
    assert entries[0].definition["points"] == 3 and entries[1].definition["type"] == "essay"


HEADER = "id;type;text;choice_a;choice_b;choice_c;answer;tolerance;points;rubric;quiz"


@pytest.mark.parametrize("row, column, fragment", [
    (";single;Soal;x;y;;C;;;;", "answer", "choice C, but that choice is empty"),
    (";single;Soal;x;y;;Jakarta;;;;", "answer", "letter of the right choice"),
    (";single;Soal;x;y;;;;;;", "answer", "answer is required"),
    (";single;Soal;x;y;;A,B;;;;", "answer", "set the type to multiple"),
    (";single;Soal;x;;;A;;;;", "choice_b", "at least two choices"),
    (";single;Soal;;;;A;;;;", "choice_a", "at least two choices"),
    (";single;;x;y;;A;;;;", "text", "text is required"),
    (";pilihan;Soal;x;y;;A;;;;", "type", "Unknown type pilihan"),
    (";matching;Soal;;;;;;;;", "type", "cannot be imported from a spreadsheet"),
    (";;Soal;;;;42;;;;", "type", "type is required"),
    ("Bad Id;single;Soal;x;y;;A;;;;", "id", "lowercase letters"),
    (";single;Soal;x;y;;A;;0;;", "points", "above 0"),
    (";single;Soal;x;y;;A;;banyak;;", "points", "above 0"),
    (";truefalse;Soal;;;;mungkin;;;;", "answer", "true or false"),
    (";truefalse;Soal;x;;;benar;;;;", "choice_a", "only by single and multiple"),
    (";short;Soal;;;; | ;;;;", "answer", "accepted answer"),
    (";numerical;Soal;;;;tiga;;;;", "answer", "right number"),
    (";numerical;Soal;;;;3±x;;;;", "answer", "tolerance must be a number"),
    (";numerical;Soal;;;;3;-1;;;", "tolerance", "at least 0"),
    (";numerical;Soal;;;;3±1;1;;;", "tolerance", "given twice"),
    (";short;Soal;;;;x;1;;;", "tolerance", "only by numerical"),
    (";short;Soal;;;;x;;;rubrik;", "rubric", "only by essay"),
    (";essay;Soal;;;;jawaban;;;;", "answer", "no answer"),
    (";single;Soal;x;y;;A;;;;;ekstra", "", "unquoted separator"),
])
def test_every_row_problem_names_its_row_and_column(row, column, fragment):
    entries, problems, _ = parse_csv(f"{HEADER}\n;truefalse;Baik;;;;benar;;;;\n{row}\n")
    assert problems, row
    problem = problems[0]
    assert problem.row == 3 and problem.column == column, problems
    assert fragment in problem.english_message(), problem
    assert str(problem).startswith(f"soal.csv: row 3, column {column}: " if column else "soal.csv: row 3: ")
    assert [e.row for e in entries] == [2]  # the good row is read; the bad one is never half-kept


def test_a_row_reports_all_its_problems_in_column_order():
    _, problems, _ = parse_csv(f"{HEADER}\nBad Id;single;;x;;;Z;;0;;\n")
    assert [(p.row, p.column) for p in problems] == [(2, "id"), (2, "text"), (2, "choice_b"), (2, "points")]


def test_duplicate_ids_and_header_problems():
    _, problems, _ = parse_csv(f"{HEADER}\nx;truefalse;A;;;;benar;;;;\nx;truefalse;B;;;;salah;;;;\n")
    assert [(p.row, p.column, p.english_message()) for p in problems] == [(3, "id", "Same id as row 2.")]
    table, _ = read_csv(b"soal;pertanyaan;jawaban\nx;y;z\n", "soal.csv")
    _, problems, _ = parse_table(table, "soal.csv", REGISTRY)
    assert (problems[0].row, problems[0].column) == (1, "pertanyaan") and "appears twice" in str(problems[0])
    table, _ = read_csv(b"jenis;jawaban\nessay;\n", "soal.csv")
    _, problems, _ = parse_table(table, "soal.csv", REGISTRY)
    assert str(problems[0]).startswith("soal.csv: row 1, column text: Missing column text")
    table, _ = read_csv(b"text;answer\n\n;\n", "soal.csv")
    assert "no question rows" in str(parse_table(table, "soal.csv", REGISTRY)[1][0])


@pytest.mark.parametrize("data, fragment", [
    (b"text\n\xff\xfe", "not UTF-8"),
    (b"text\nx\x00y\n", "NUL"),
    (b"  \n\n", "empty"),
    (b'text\n"unterminated\n' + b"x" * 200_000, None),
])
def test_unreadable_csv_is_one_clear_problem(data, fragment):
    table, problems = read_csv(data, "soal.csv")
    if fragment is None:  # csv may read it as one long cell: then it is a too-long cell
        problems = problems or parse_table(table, "soal.csv", REGISTRY)[1]
        assert problems
    else:
        assert len(problems) == 1 and fragment in str(problems[0])


def test_too_many_csv_rows_are_refused():
    data = ("text;type;answer\n" + "Soal;truefalse;benar\n" * (MAX_ROWS + 2)).encode()
    _, problems = read_csv(data, "soal.csv")
    assert len(problems) == 1 and "More than 5000 rows" in str(problems[0])


class Hotspot(QuestionType):
    """A plugin type that reads its own spreadsheet columns (x, y)."""

    key = "hotspot"
    label = "Hotspot"

    def validate(self, definition):
        return [] if isinstance(definition.get("x"), int) else ["x: must be a whole number"]

    def render(self, definition, name, response, rng):
        return ""

    def parse_response(self, definition, form, name):
        return None

    def grade(self, definition, response):
        return Grade(0.0)

    def correct_response(self, definition):
        return None

    def from_row(self, cells):
        if not cells.get("x", "").isdigit():
            return {}, [("x", "x must be a whole number")]
        return {"x": int(cells["x"]), "id": "not-overridden"}, []


def test_a_plugin_type_reads_its_own_columns():
    registry = {**REGISTRY, "hotspot": Hotspot()}
    entries, problems, ignored = parse_csv("type;text;x\nhotspot;Klik peta;12\nhotspot;Lagi;dua\n", registry)
    assert entries[0].definition == {"x": 12, "id": "klik-peta", "text": "Klik peta", "type": "hotspot"}
    assert [(p.row, p.column, p.english_message()) for p in problems] == [(3, "x", "x must be a whole number")]
    assert ignored == ["x"]  # not a standard column, but handed to the type
    _, problems, _ = parse_csv("type;text\npilihan;Soal\n", registry)
    assert "hotspot" in problems[0].english_message() and "matching" not in problems[0].english_message()


# ------------------------------------------------------------------------------ XLSX


def xlsx_of(rows) -> bytes:
    return workbook([Sheet("Soal", rows)])


def test_xlsx_reads_numbers_and_booleans_as_an_author_typed_them():
    data = xlsx_of([["type", "text", "answer", "tolerance", "points"],
                    ["numerical", "Pi?", 3.14, 0.01, 2],
                    ["truefalse", "Benar?", True, None, 1.5],
                    [None, None, None, None, None],
                    ["single", "Pilih", "A", None, None]])
    table, problems = read_xlsx(data, "soal.xlsx")
    assert problems == [] and [r for r, _ in table.rows] == [2, 3, 5]
    entries, problems, _ = parse_table(table, "soal.xlsx", REGISTRY)
    assert entries[0].definition["answers"] == [{"value": 3.14, "fraction": 1, "tolerance": 0.01}]
    assert entries[0].definition["points"] == 2 and entries[1].definition["answer"] is True
    assert [(p.row, p.column) for p in problems] == [(5, "choice_a")]  # named as documented: not in the file


def test_xlsx_formulas_are_refused_with_row_and_column():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["type", "text", "answer"])
    sheet.append(["truefalse", "Benar?", "benar"])
    sheet.append(["numerical", "Dua?", "=1+1"])
    out = io.BytesIO()
    book.save(out)
    _, problems = read_xlsx(out.getvalue(), "soal.xlsx")
    assert [str(p) for p in problems] == [
        "soal.xlsx: row 3, column answer: The cell holds a formula: copy the column and paste it as values."]


def test_xlsx_with_too_many_rows_is_refused_quickly():
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["type", "text", "answer"])
    for n in range(MAX_ROWS + 5):
        sheet.append(["truefalse", f"Soal {n}", "benar"])
    out = io.BytesIO()
    book.save(out)
    _, problems = read_xlsx(out.getvalue(), "soal.xlsx")
    assert len(problems) == 1 and "More than 5000 rows" in str(problems[0])


def test_xlsx_bombs_and_garbage_are_refused():
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (60 * 1024 * 1024))
    _, problems = read_xlsx(bomb.getvalue(), "soal.xlsx")
    assert len(problems) == 1 and "unpacks to more than 50 MB" in str(problems[0])
    for junk in (b"", b"PK\x03\x04 broken", b"not a zip", zipfile_with("hello.txt", b"hi")):
        _, problems = read_xlsx(junk, "soal.xlsx")
        assert len(problems) == 1 and "not a readable XLSX" in str(problems[0])


def zipfile_with(name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, data)
    return out.getvalue()


# ------------------------------------------------------------------------------ the service


@pytest.fixture
def bank_course(lms_app, lms_course):
    made = lms_course("bank", lessons=1, questions=QUESTIONS)
    with lms_app.app_context():
        yield db.session.get(Course, made.id)


def version_numbers() -> dict[int, VersionStatus]:
    return dict(db.session.execute(select(CourseVersion.number, CourseVersion.status)).all())


def test_every_template_checks_clean_and_imports(lms_app, bank_course):
    for name, data in (("contoh.csv", samples.csv_template()), ("contoh.txt", samples.aiken_template())):
        plan = question_import.check(bank_course, name, data)
        assert plan.problems == [] and plan.ok, plan.problems
    with lms_app.test_request_context():
        data = samples.xlsx_template()
    plan = question_import.check(bank_course, "contoh.xlsx", data)
    assert plan.problems == [] and plan.added == 6
    assert openpyxl.load_workbook(io.BytesIO(data), read_only=True).sheetnames[0] == "Soal"
    version, plan = question_import.run(bank_course, "contoh.xlsx", data)
    assert version.number == 2 and plan.added == 6
    assert question_bank.export(version, "gift")  # every imported type exports


def test_check_counts_updates_and_refuses_unknown_quizzes(lms_app, bank_course):
    data = (HEADER + "\nagenda;truefalse;Diganti;;;;salah;;;;\nbaru;truefalse;Baru;;;;benar;;;;kuis\n").encode()
    plan = question_import.check(bank_course, "soal.csv", data, quiz_key="kuis")
    assert plan.ok and (plan.added, plan.updated) == (1, 1)
    plan = question_import.check(bank_course, "soal.csv", data.replace(b";kuis\n", b";tidak-ada\n"))
    assert [str(p) for p in plan.problems] == [
        "soal.csv: row 3, column quiz: There is no quiz tidak-ada in this course (quizzes: kuis)."]
    plan = question_import.check(bank_course, "soal.csv", data, quiz_key="tidak-ada")
    assert "no quiz tidak-ada" in str(plan.problems[0])
    assert version_numbers() == {1: VersionStatus.PUBLISHED}


def test_yaml_with_a_repeated_id_is_refused(lms_app, bank_course):
    data = b"- {id: x, type: truefalse, text: A, answer: true}\n- {id: x, type: truefalse, text: B, answer: true}\n"
    plan = question_import.check(bank_course, "soal.yaml", data)
    assert [str(p) for p in plan.problems] == ["soal.yaml: questions[1].id: 'x' is already used at questions[0]"]


def test_run_is_all_or_nothing_even_when_storing_fails(lms_app, bank_course, monkeypatch):
    data = (HEADER + "\n;truefalse;Satu;;;;benar;;;;kuis\n;truefalse;Dua;;;;benar;;;;kuis\n").encode()
    stored = []
    real = question_bank._store

    def failing_store(version, question, definition):
        stored.append(definition["id"])
        if len(stored) == 2:
            raise RuntimeError("disk full")
        return real(version, question, definition)

    monkeypatch.setattr(question_bank, "_store", failing_store)
    with pytest.raises(RuntimeError):
        question_import.run(bank_course, "soal.csv", data)
    assert version_numbers() == {1: VersionStatus.PUBLISHED}
    assert db.session.scalar(select(func.count()).select_from(Question)) == 1
    monkeypatch.setattr(question_bank, "_store", real)
    version, plan = question_import.run(bank_course, "soal.csv", data)
    quiz = db.session.scalar(select(Quiz).where(Quiz.version_id == version.id))
    assert quiz.question_keys == ["agenda", "satu", "dua"]


def test_refused_file_raises_with_every_problem(lms_app, bank_course):
    with pytest.raises(question_import.ImportRefused) as caught:
        question_import.run(bank_course, "soal.txt", b"Soal?\nA. x\nB. y\nANSWER: Z\n")
    assert [str(p) for p in caught.value.problems] == ["soal.txt: line 4: ANSWER names choice Z, but the "
                                                       "question has only A, B."]
    assert version_numbers() == {1: VersionStatus.PUBLISHED}


class HotspotPlugin:
    lms_api = "1.0"

    @hookimpl
    def register_question_types(self):
        return [Hotspot()]


@pytest.mark.lms_config(PLUGIN_OBJECTS={"hotspot": HotspotPlugin()})
def test_a_plugin_type_imports_from_a_spreadsheet(lms_app, bank_course):
    plan = question_import.check(bank_course, "soal.csv", b"type,text,x\nhotspot,Klik peta,12\n")
    assert plan.ok and plan.entries[0].definition["x"] == 12


# ------------------------------------------------------------------------------ the pages


@pytest.fixture
def author_course(lms_app, lms_course, lms_user, lms_auth):
    """A published course with a one-question quiz, and its author logged in."""
    course = lms_course("bank", lessons=1, questions=QUESTIONS)
    author = lms_user("author")
    with lms_app.app_context():
        authoring.add_author(db.session.get(Course, course.id), db.session.get(User, author.id))
    lms_auth.login(author)
    return course


def upload(client, data: bytes, name: str, *, check: bool = True, fmt: str = "", quiz: str = ""):
    fields = {"csrf_token": client.csrf_token(BANK), "quiz": quiz, "format": fmt,
              "file": (io.BytesIO(data), name)}
    if check:
        fields["check"] = "1"
    return client.post(BANK + "/import", content_type="multipart/form-data", data=fields)


def confirm_fields(page: str) -> dict:
    import re

    return dict(re.findall(r'name="(digest|filename|format|quiz|csrf_token)"[^>]*value="([^"]*)"', page))


def counts(app) -> tuple[dict, int]:
    with app.app_context():
        return version_numbers(), db.session.scalar(select(func.count()).select_from(Question))


def test_dry_run_then_confirm(lms_app, lms_client, author_course):
    page = lms_client.get(BANK).get_data(as_text=True)
    assert 'name="format"' in page and "/author/questions/template.xlsx" in page
    before = counts(lms_app)
    response = upload(lms_client, CSV_ID.encode(), "soal.csv")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Ibu kota Indonesia?" in page and "SRIKANDI" in page
    assert counts(lms_app) == before  # the dry run wrote nothing
    fields = confirm_fields(page)
    assert fields["format"] == "csv" and len(fields["digest"]) == 64
    done = lms_client.post(BANK + "/import/confirm", data=fields)
    assert done.status_code == 302
    versions, questions = counts(lms_app)
    assert versions == {1: VersionStatus.PUBLISHED, 2: VersionStatus.DRAFT} and questions == 1 + 1 + 6
    with lms_app.app_context():
        quiz = db.session.scalar(select(Quiz).join(CourseVersion).where(CourseVersion.number == 2))
        assert quiz.question_keys == ["agenda", "ibu-kota"]
    again = lms_client.post(BANK + "/import/confirm", data=fields)  # the stash is gone after use
    assert again.status_code == 302 and counts(lms_app)[1] == 8


def test_dry_run_lists_every_problem_and_offers_no_import(lms_app, lms_client, author_course):
    before = counts(lms_app)
    bad = CSV_ID.replace("Bandung;Surabaya;A", "Bandung;Surabaya;Z").replace("benar;;;;", "mungkin;;;;")
    response = upload(lms_client, bad.encode(), "soal.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "/import/confirm" not in page
    assert "soal.csv: baris 2, kolom jawaban</strong>: Jawaban menyebut pilihan Z, padahal pilihan itu kosong." in page
    assert "soal.csv: baris 4, kolom jawaban</strong>: Tulis benar atau salah" in page
    assert "2 masalah" in page and counts(lms_app) == before


def test_aiken_upload_and_bad_aiken_line(lms_app, lms_client, author_course):
    page = upload(lms_client, AIKEN.encode(), "soal.txt").get_data(as_text=True)
    assert "apa-kepanjangan-spbe" in page and confirm_fields(page)["format"] == "aiken"
    response = upload(lms_client, b"Soal?\nA. x\nB. y\nANSWER: Q\n", "soal.txt", check=False)
    assert response.status_code == 400 and "soal.txt: " in response.get_data(as_text=True)
    assert counts(lms_app)[0] == {1: VersionStatus.PUBLISHED}
    direct = upload(lms_client, AIKEN.encode(), "soal.aiken", check=False)
    assert direct.status_code == 302 and counts(lms_app)[1] == 1 + 1 + 3  # v1, its draft copy, 3 new


def test_confirm_refuses_another_file_than_the_one_checked(lms_app, lms_client, author_course):
    page = upload(lms_client, CSV_ID.encode(), "soal.csv").get_data(as_text=True)
    fields = confirm_fields(page)
    fields["digest"] = "0" * 64
    response = lms_client.post(BANK + "/import/confirm", data=fields, follow_redirects=True)
    assert response.status_code == 200 and counts(lms_app)[0] == {1: VersionStatus.PUBLISHED}
    assert lms_client.post(BANK + "/import/confirm", data={"digest": "x"}).status_code == 400  # no CSRF


def test_xlsx_upload_with_a_formula_is_reported(lms_app, lms_client, author_course):
    book = openpyxl.Workbook()
    book.active.append(["type", "text", "answer"])
    book.active.append(["numerical", "Dua?", "=1+1"])
    out = io.BytesIO()
    book.save(out)
    page = upload(lms_client, out.getvalue(), "soal.xlsx").get_data(as_text=True)
    assert "/import/confirm" not in page and "soal.xlsx: " in page and "answer" in page


@pytest.mark.parametrize("role, status", [("learner", 403), ("author", 404), ("admin", 200)])
def test_import_pages_belong_to_the_course_authors(lms_app, lms_client, lms_auth, lms_user, lms_course, role, status):
    lms_course("bank", lessons=1, questions=QUESTIONS)
    lms_auth.login(lms_user(role))
    token = lms_client.csrf_token("/")
    response = lms_client.post(BANK + "/import", content_type="multipart/form-data", data={
        "csrf_token": token, "check": "1", "file": (io.BytesIO(CSV_ID.encode()), "soal.csv")})
    assert response.status_code == status
    confirm = lms_client.post(BANK + "/import/confirm", data={"csrf_token": token, "digest": "0" * 64})
    assert confirm.status_code == (302 if status == 200 else status)
    assert counts(lms_app)[0] == {1: VersionStatus.PUBLISHED}


def test_anonymous_is_sent_to_sign_in(lms_client, lms_course):
    lms_course("bank", lessons=1, questions=QUESTIONS)
    assert lms_client.post(BANK + "/import/confirm").status_code in (302, 400)
    response = lms_client.get("/author/questions/template.csv")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role, status", [("learner", 403), ("author", 200), ("admin", 200)])
def test_templates_download(lms_client, lms_auth, lms_user, role, status):
    lms_auth.login(lms_user(role))
    for fmt in ("csv", "xlsx", "txt"):
        response = lms_client.get(f"/author/questions/template.{fmt}")
        assert response.status_code == status
        if status == 200:
            assert "attachment" in response.headers["Content-Disposition"]
    if status == 200:
        assert lms_client.get("/author/questions/template.csv").data.startswith("\ufeffid;type".encode())
        book = openpyxl.load_workbook(io.BytesIO(lms_client.get("/author/questions/template.xlsx").data))
        assert [c.value for c in book["Soal"][1]][:4] == ["id", "type", "category", "text"]
    assert lms_client.get("/author/questions/template.exe").status_code == 404


# ------------------------------------------------------------------------------ the command line


def test_import_questions_command(lms_app, lms_runner, lms_course, tmp_path):
    lms_course("bank", lessons=1, questions=QUESTIONS)
    good = tmp_path / "soal.csv"
    good.write_bytes(CSV_ID.encode())
    result = lms_runner.invoke(args=["lms", "import-questions", "bank", str(good), "--dry-run"])
    assert result.exit_code == 0 and "6 question(s) to add" in result.output and "dry run" in result.output
    with lms_app.app_context():
        assert version_numbers() == {1: VersionStatus.PUBLISHED}
    bad = tmp_path / "soal.txt"
    bad.write_bytes(b"Soal?\nA. x\nB. y\nANSWER: Q\nSoal 2?\nA. x\nANSWER: A\n")
    result = lms_runner.invoke(args=["lms", "import-questions", "bank", str(bad)])
    assert result.exit_code == 1 and "soal.txt: line 4:" in result.output and "soal.txt: line 6:" in result.output
    result = lms_runner.invoke(args=["lms", "import-questions", "bank", str(good), "--quiz", "kuis"])
    assert result.exit_code == 0 and "6 question(s) added, 0 updated in draft version 2" in result.output
    assert lms_runner.invoke(args=["lms", "import-questions", "nope", str(good)]).exit_code == 1
