"""Example files authors download from the import page: CSV, XLSX and Aiken.

Each holds one question of every core type the format can carry, so an author can copy a
row and change it. The files import cleanly as they are (tests/test_question_import.py).
"""
from __future__ import annotations

import csv
import io

from flask_babel import gettext as _

from lms.reports.xlsx import Sheet, workbook

HEADER = ["id", "type", "category", "text", "choice_a", "choice_b", "choice_c", "choice_d", "answer",
          "tolerance", "points", "feedback", "rubric", "quiz"]
ROWS = [
    ["spbe-kepanjangan", "single", "spbe", "Apa kepanjangan SPBE?",
     "Sistem Pemerintahan Berbasis Elektronik", "Sistem Pelayanan Birokrasi Efektif",
     "Satuan Pengawas Birokrasi Elektronik", "", "A", "", "1",
     "SPBE diatur dalam Perpres 95/2018.", "", ""],
    ["naskah-dinas-elektronik", "multiple", "e-office", "Mana saja yang termasuk naskah dinas?",
     "Nota dinas", "Surat edaran", "Pesan pribadi", "Status media sosial", "A, B", "", "2", "", "", ""],
    ["tte-sah", "truefalse", "e-office", "Tanda tangan elektronik tersertifikasi sah secara hukum.",
     "", "", "", "", "benar", "", "1", "", "", ""],
    ["aplikasi-naskah", "short", "e-office", "Apa nama aplikasi umum bidang kearsipan dinamis?",
     "", "", "", "", "SRIKANDI | Sistem Informasi Kearsipan Dinamis Terintegrasi", "", "1", "", "", ""],
    ["target-jp", "numerical", "pengembangan-kompetensi",
     "Berapa JP pengembangan kompetensi minimal per ASN per tahun?",
     "", "", "", "", "20", "0", "1", "", "", ""],
    ["refleksi-layanan", "essay", "pelayanan-publik",
     "Ceritakan satu perbaikan layanan publik di unit kerja Anda.",
     "", "", "", "", "", "", "5", "", "Menyebut masalah, langkah perbaikan dan hasilnya.", ""],
]
AIKEN = """Apa kepanjangan SPBE?
A. Sistem Pemerintahan Berbasis Elektronik
B. Sistem Pelayanan Birokrasi Efektif
C. Satuan Pengawas Birokrasi Elektronik
ANSWER: A

Aplikasi umum bidang kearsipan dinamis adalah ...
A) SRIKANDI
B) SIMPEG
C) SAKTI
D) SIPD
ANSWER: A

Mana saja yang termasuk naskah dinas? (pilih dua)
A. Nota dinas
B. Surat edaran
C. Pesan pribadi
ANSWER: A, B
"""


def csv_template() -> bytes:
    """UTF-8 with a byte-order mark and ";" (what Excel uses in Indonesia), CRLF lines."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerows([HEADER, *ROWS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_template() -> bytes:
    """The same rows as the CSV on the first sheet, and what each column means on a second."""
    help_rows = [[_("Column"), _("Meaning")]] + [[column, text] for column, text in column_help()]
    return workbook([Sheet("Soal", [HEADER, *[[_cell(v) for v in row] for row in ROWS]]),
                     Sheet(_("Guide"), help_rows)])


def _cell(value: str):
    """Points and numbers as numbers, the way a spreadsheet user would type them."""
    return int(value) if value.isdigit() else value


def aiken_template() -> bytes:
    return AIKEN.encode("utf-8")


def column_help() -> list[tuple[str, str]]:
    """(column, meaning) in the visitor's language, for the import page and the XLSX guide."""
    return [
        ("id", _("Optional stable id (lowercase letters, digits, - and _); an existing id updates that "
                 "question. Empty: made from the text.")),
        ("type", _("single, multiple, truefalse, short, numerical or essay (Indonesian: pg, pgk, "
                   "benar_salah, isian, angka, esai). Empty: single or multiple when there are choices, "
                   "essay when there is no answer.")),
        ("category", _("Optional bank category, such as e-office/naskah.")),
        ("text", _("The question (required; Markdown).")),
        ("choice_a … choice_h", _("The choices of single and multiple questions.")),
        ("answer", _("single: the right letter; multiple: letters separated by commas; truefalse: true "
                     "or false (benar/salah); short: accepted answers separated by |; numerical: the "
                     "number (3.14 or 3,14); essay: empty.")),
        ("tolerance", _("numerical: how far an answer may be from the number.")),
        ("points", _("Weight of the question; default 1.")),
        ("feedback", _("General feedback shown after grading.")),
        ("rubric", _("essay: guidance for graders, never shown to learners.")),
        ("quiz", _("Optional: the id of a quiz of this course to add the question to.")),
    ]
