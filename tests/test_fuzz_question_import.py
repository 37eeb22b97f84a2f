"""Fuzzing the bulk question importers (Aiken, CSV/XLSX rows) with hypothesis.

Same rules as tests/test_fuzz_importers.py: whatever the input, a reader returns questions
and problems and never raises; every problem says where (an Aiken line within the file, a
spreadsheet row and, for a row's cell, its column); a file without problems holds only
definitions their question type accepts; and an import either stores every question or
raises ImportRefused having written nothing. Runs are derandomized so CI sees the same cases.
"""
from __future__ import annotations

import csv
import io
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.builtin.question_types import register_question_types
from lms.services.question_import.aiken import parse_aiken
from lms.services.question_import.problems import ImportProblem
from lms.services.question_import.spreadsheet import COLUMNS, parse_table, read_csv, read_xlsx
from lms.services.quizzes import shared_problems
from test_fuzz_importers import FUZZ, assert_nothing_written, report, snapshot

EXAMPLES = {"aiken_parse": 500, "csv_rows": 400, "xlsx_bytes": 80, "bank_import": 100}
REGISTRY = {t.key: t for t in register_question_types()}


def assert_valid(definitions: list[dict]) -> None:
    """What a reader accepted, the question types accept too."""
    for definition in definitions:
        assert shared_problems(definition) == [], definition
        assert REGISTRY[definition["type"]].validate(definition) == [], definition


# ------------------------------------------------------------------------------ Aiken

AIKEN_LINES = ["Apa kepanjangan SPBE?", "A. Sistem Pemerintahan", "B) Sistem lain", "C. Ketiga", "D.",
               "ANSWER: A", "ANSWER: B, C", "ANSWER: Z", "ANSWER:", "JAWABAN: b", "answer: a", "", "  ",
               "A.x", "a. kecil", "Z. terakhir", "ANSWER: A B", "\ufeffSoal", "{=GIFT ~x}", "x" * 25_000,
               "🙂 soal", "A. 🙂", "\x00", "ANSWER: \u0410"]


@st.composite
def aiken_block(draw) -> list[str]:
    """One well-formed question: text, 2-5 choices, ANSWER with one or more of their letters."""
    count = draw(st.integers(2, 5))
    letters = "ABCDE"[:count]
    lines = [draw(st.sampled_from(["Apa kepanjangan SPBE?", "Soal 🙂", "Pilih dua"])) + draw(st.text(max_size=8))]
    lines += [f"{letter}{draw(st.sampled_from(['.', ')']))} {draw(st.sampled_from(['x', 'Jakarta', 'ya 🙂']))}"
              for letter in letters]
    right = draw(st.lists(st.sampled_from(letters), min_size=1, max_size=count, unique=True))
    lines.append(f"{draw(st.sampled_from(['ANSWER', 'JAWABAN', 'answer']))}: {', '.join(right)}")
    return lines


@st.composite
def aiken_texts(draw) -> str:
    """Well-formed blocks, sometimes with random lines slipped in or lines dropped."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        lines += draw(aiken_block()) + [""]
    for _ in range(draw(st.sampled_from([0, 0, 1, 3]))):
        at = draw(st.integers(0, len(lines)))
        if draw(st.booleans()) and at < len(lines):
            del lines[at]
        else:
            lines.insert(at, draw(st.sampled_from(AIKEN_LINES) | st.text(max_size=30)))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return newline.join(lines)


def test_fuzz_aiken_parser():
    outcomes: Counter = Counter()

    @settings(max_examples=EXAMPLES["aiken_parse"], **FUZZ)
    @given(aiken_texts() | st.text(max_size=300))
    def run(text):
        entries, problems = parse_aiken(text, "fuzz.txt")
        lines = text.count("\n") + text.count("\r") + 1
        for problem in problems:
            assert isinstance(problem, ImportProblem) and problem.file == "fuzz.txt" and str(problem)
            assert problem.line is None or 1 <= problem.line <= lines, problem
        for entry in entries:
            assert 1 <= entry.line <= lines
        if not problems:
            assert entries
            assert_valid([e.definition for e in entries])
            outcomes["clean"] += 1
        else:
            outcomes["refused"] += 1

    run()
    report("Aiken parser", outcomes)
    assert outcomes["clean"] > 0 and outcomes["refused"] > 0


# ------------------------------------------------------------------------------ CSV rows

HEADERS = [aliases[0] for aliases in COLUMNS.values()] + ["jawaban", "pertanyaan", "Pilihan A", "TIPE", "x", "",
                                                          "text", "=cmd|' /C calc'!A0"]
CELLS = ["", "A", "B", "A, B", "a;c", "Z", "benar", "salah", "true", "3,14", "3.14±0.01", "-1", "0", "1e999",
         "nan", "single", "multiple", "truefalse", "short", "numerical", "essay", "matching", "pg", "isian",
         "Bad Id", "kuis", "x" * 21_000, "SRIKANDI | srikandi", "=1+1", "\x00", "🙂", "a\nb", ";", ","]


@st.composite
def good_row(draw) -> list[str]:
    """A valid row for the standard header below (type, text, choices, answer, tolerance, points)."""
    kind = draw(st.sampled_from(["single", "multiple", "truefalse", "short", "numerical", "essay", ""]))
    text = draw(st.sampled_from(["Soal?", "Apa itu SPBE?", "🙂 soal"]))
    points = draw(st.sampled_from(["", "1", "2,5", "0.5"]))
    if kind in ("single", "multiple", ""):
        choices = ["x", "y", draw(st.sampled_from(["", "z"]))]
        answer = "A" if kind != "multiple" else draw(st.sampled_from(["A", "A, B", "a;b"]))
        return [kind, text, *choices, answer, "", points]
    answer = {"truefalse": draw(st.sampled_from(["benar", "salah", "TRUE", "f"])), "short": "SRIKANDI | x",
              "numerical": draw(st.sampled_from(["3,14", "3.14±0.01", "-2"])), "essay": ""}[kind]
    tolerance = draw(st.sampled_from(["", "0,5"])) if kind == "numerical" and "±" not in answer else ""
    return [kind, text, "", "", "", answer, tolerance, points]


@st.composite
def csv_files(draw) -> bytes:
    separator = draw(st.sampled_from([",", ";", "\t"]))
    if draw(st.integers(0, 3)):
        header = ["type", "text", "choice_a", "choice_b", "choice_c", "answer", "tolerance", "points"]
    else:
        header = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=10))
    rows = [draw(good_row()) if draw(st.integers(0, 2)) else
            draw(st.lists(st.sampled_from(CELLS) | st.text(max_size=12), max_size=len(header) + 1))
            for _ in range(draw(st.integers(0, 6)))]
    out = io.StringIO()
    csv.writer(out, delimiter=separator).writerows([header, *rows])
    data = out.getvalue().encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 6)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\x00", b"\xef\xbb\xbf", b'"'])) + data[at:]
    return data


def test_fuzz_csv_row_parser():
    outcomes: Counter = Counter()

    @settings(max_examples=EXAMPLES["csv_rows"], **FUZZ)
    @given(csv_files() | st.binary(max_size=400))
    def run(data):
        table, problems = read_csv(data, "fuzz.csv")
        entries, ignored = [], []
        if not problems:
            entries, problems, ignored = parse_table(table, "fuzz.csv", REGISTRY)
        rows = {n for n, _cells in table.rows}
        for problem in problems:
            assert problem.file == "fuzz.csv" and str(problem)
            assert problem.row is None or problem.row >= 1
            if problem.row in rows:  # a question row: the cell's column is named
                assert problem.column or "unquoted separator" in problem.english_message(), problem
        assert all(e.row in rows for e in entries)
        if not problems:
            assert_valid([e.definition for e in entries])
            outcomes["clean"] += 1
        else:
            outcomes["refused"] += 1

    run()
    report("CSV question rows", outcomes)
    assert outcomes["clean"] > 0 and outcomes["refused"] > 0


def test_fuzz_xlsx_bytes_never_crash():
    @settings(max_examples=EXAMPLES["xlsx_bytes"], **FUZZ)
    @given(st.binary(max_size=600) | st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b))
    def run(data):
        _table, problems = read_xlsx(data, "fuzz.xlsx")
        assert all(str(p) for p in problems)

    run()


# ------------------------------------------------------------------------------ through the bank


def test_fuzz_import_is_all_or_nothing(lms_app, lms_course):
    """check() never writes; run() stores everything or raises ImportRefused writing nothing."""
    from lms.database import db
    from lms.models import Course
    from lms.services import question_import

    made = lms_course("bank-fuzz-bulk", questions=[{"id": "q", "type": "truefalse", "text": "T?",
                                                    "answer": True}])
    outcomes: Counter = Counter()

    @settings(max_examples=EXAMPLES["bank_import"], **FUZZ)
    @given(csv_files() | aiken_texts().map(lambda t: t.encode("utf-8", "surrogatepass")),
           st.sampled_from(["q.csv", "q.txt", "q.aiken", "q.xlsx", "q.gift", "q"]))
    def run(data, filename):
        course = db.session.get(Course, made.id)
        before = snapshot(lms_app)
        try:
            question_import.check(course, filename, data)
            assert_nothing_written(lms_app, before)
            question_import.run(course, filename, data)
        except question_import.ImportRefused as exc:
            assert exc.problems and str(exc)
            assert_nothing_written(lms_app, before)
            outcomes["refused"] += 1
        else:
            outcomes["imported"] += 1
        finally:
            db.session.remove()

    with lms_app.app_context():
        run()
    report("bulk question import", outcomes)
    assert outcomes["refused"] > 0 and outcomes["imported"] > 0


@pytest.mark.parametrize("text", ["Soal?\nA. x\nB. y\nANSWER: A, B\n", "Soal?\nA. x\nB. y\nC. z\nANSWER: A,B,C\n"])
def test_every_multiple_answer_weighting_is_valid(text):
    entries, problems = parse_aiken(text)
    assert problems == []
    assert_valid([e.definition for e in entries])
