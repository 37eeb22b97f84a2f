"""Questions from a spreadsheet, one row per question: CSV (comma, semicolon or tab) or XLSX.

The first row names the columns, in English or Indonesian (see COLUMNS and
docs/question-import.md). Every problem names its row (as the spreadsheet numbers it, the
header being row 1) and its column (as the file names it). Reading is bounded: the file's
size, an XLSX's unzipped size and member count, the number of rows and columns, and each
cell's length; XLSX formulas are refused (the value a formula shows is not in the file
unless a spreadsheet program computed it, and a question should say what it means).

Core types are read here; a plugin's question type joins in by defining
``from_row(cells) -> (fields, problems)`` (see lms.questions.QuestionType.from_row).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import zipfile
from dataclasses import dataclass, field

from lms.builtin.question_types import format_number, parse_number
from lms.i18n import N_
from lms.packages.gift import QUESTION_ID, IdMaker, slug
from lms.services.question_import.common import (LETTERS, MAX_CELL_CHARS, MAX_QUESTIONS, answer_letters,
                                                 choice_options)
from lms.services.question_import.problems import ImportProblem, message

logger = logging.getLogger(__name__)

#: Choice columns: choice_a .. choice_h.
CHOICE_LETTERS = LETTERS[:8]
#: Column -> header names accepted for it (compared lower-cased, spaces, dots and dashes as "_").
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "kode", "kode_soal", "question_id"),
    "type": ("type", "tipe", "jenis", "jenis_soal", "question_type"),
    "title": ("title", "judul", "name", "nama"),
    "text": ("text", "question", "question_text", "pertanyaan", "soal", "teks", "teks_soal"),
    **{f"choice_{c.lower()}": (f"choice_{c.lower()}", f"option_{c.lower()}", f"pilihan_{c.lower()}",
                               f"opsi_{c.lower()}", c.lower()) for c in CHOICE_LETTERS},
    "answer": ("answer", "correct_answer", "jawaban", "kunci", "kunci_jawaban", "jawaban_benar"),
    "tolerance": ("tolerance", "toleransi"),
    "points": ("points", "point", "poin", "bobot", "skor", "score"),
    "feedback": ("feedback", "general_feedback", "umpan_balik", "pembahasan"),
    "category": ("category", "kategori"),
    "quiz": ("quiz", "kuis"),
    "rubric": ("rubric", "rubrik"),
}
REQUIRED = ("text",)
_ALIASES = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}
#: Values of the type column -> core type key (the keys themselves and plugin keys work too).
TYPE_ALIASES = {
    **dict.fromkeys(("single", "pilihan_ganda", "pg", "pilgan", "multichoice", "multiple_choice", "mc"),
                    "single"),
    **dict.fromkeys(("multiple", "pilihan_ganda_kompleks", "pgk", "multi", "multiple_answer",
                     "multiple_response", "checkbox"), "multiple"),
    **dict.fromkeys(("truefalse", "true_false", "tf", "benar_salah", "bs"), "truefalse"),
    **dict.fromkeys(("short", "shortanswer", "short_answer", "isian", "isian_singkat", "jawaban_singkat"),
                    "short"),
    **dict.fromkeys(("numerical", "numeric", "number", "numerik", "angka"), "numerical"),
    **dict.fromkeys(("essay", "esai", "esei", "uraian"), "essay"),
}
CORE_TYPES = ("single", "multiple", "truefalse", "short", "numerical", "essay")
TRUE_WORDS = frozenset(("true", "t", "benar", "b", "betul", "ya", "y", "yes", "1"))
FALSE_WORDS = frozenset(("false", "f", "salah", "s", "tidak", "no", "n", "0"))
#: Between accepted short answers.
SHORT_SEPARATOR = "|"
#: Between a numerical answer and its tolerance: "3.14±0.01", "3,14 +- 0,01", "3.14:0.01".
_TOLERANCE = re.compile(r"\s*(?:±|\+/?-|:)\s*")

#: Largest upload (bytes); XLSX zips are bounded again unzipped.
MAX_BYTES = 5 * 1024 * 1024
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_MEMBERS = 500
#: Rows of questions (after the header) and columns read.
MAX_ROWS = MAX_QUESTIONS
MAX_COLUMNS = 60


@dataclass
class Table:
    """Cells as text: the header row's number and cells, then (row number, cells) per row."""

    header: list[str] = field(default_factory=list)
    header_row: int = 1
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    delimiter: str = ""


@dataclass
class RowEntry:
    """One question read from a row: its definition, its row, the quiz it names (if any)."""

    definition: dict
    row: int
    quiz: str = ""
    #: Column -> header as the file spells it, to place problems found later.
    headers: dict[str, str] = field(default_factory=dict)

    def column_of(self, path: str) -> str:
        """The file's header for a definition field such as "options[1].fraction"."""
        return self.headers.get(field_column(self.definition, path), field_column(self.definition, path))


def normalise_header(raw: str) -> str:
    return re.sub(r"[\s.\-]+", "_", raw.strip().lstrip("\ufeff").strip().lower()).strip("_*")


# ------------------------------------------------------------------------------ reading


def read_csv(data: bytes, file: str) -> tuple[Table, list[ImportProblem]]:
    """UTF-8 (with or without BOM) text; the separator is what the header uses most."""
    table = Table()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return table, [ImportProblem(file, N_("The file is not UTF-8 text: in the spreadsheet, save it as "
                                              "\"CSV UTF-8\"."))]
    if "\x00" in text:
        return table, [ImportProblem(file, N_("The file contains a NUL character: is it a spreadsheet "
                                              "saved as CSV text?"))]
    if not text.strip():
        return table, [ImportProblem(file, N_("The file is empty."))]
    first = text.lstrip("\r\n").split("\n", 1)[0]
    table.delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=table.delimiter)
    records: list[list[str]] = []
    try:
        for record in reader:
            if len(records) > MAX_ROWS + 1 and any(c.strip() for c in record):
                return table, [ImportProblem(file, message(N_("More than %(max)d rows of questions."),
                                                           max=MAX_ROWS))]
            records.append(record[:MAX_COLUMNS + 1])
    except csv.Error as exc:
        return table, [ImportProblem(file, message(N_("The file is not valid CSV: %(error)s"),
                                                   error=str(exc)), row=len(records) + 1)]
    return _table(records, table, file)


def _table(records: list[list[str]], table: Table, file: str,
           numbers: list[int] | None = None) -> tuple[Table, list[ImportProblem]]:
    """Header = the first row with a value; rows after it that hold anything."""
    numbers = numbers or list(range(1, len(records) + 1))
    start = next((i for i, r in enumerate(records) if any(c.strip() for c in r)), None)
    if start is None:
        return table, [ImportProblem(file, N_("The file is empty."))]
    table.header, table.header_row = [c.strip() for c in records[start]], numbers[start]
    if len(table.header) > MAX_COLUMNS:
        return table, [ImportProblem(file, message(N_("More than %(max)d columns."), max=MAX_COLUMNS),
                                     row=table.header_row)]
    table.rows = [(numbers[i], records[i]) for i in range(start + 1, len(records))
                  if any(c.strip() for c in records[i])]
    return table, []


def read_xlsx(data: bytes, file: str) -> tuple[Table, list[ImportProblem]]:
    """The first sheet of a workbook, read streaming (openpyxl read-only) within the bounds."""
    table = Table()
    refusal = _zip_refusal(data, file)
    if refusal:
        return table, [refusal]
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception:  # noqa: BLE001 - any broken workbook is one clear refusal, never a crash
        return table, [ImportProblem(file, N_("The file is not a readable XLSX workbook: save it again "
                                              "from the spreadsheet program as .xlsx."))]
    try:
        return _read_sheet(book.worksheets[0] if book.worksheets else None, table, file)
    except Exception:  # noqa: BLE001 - a damaged sheet part, found while streaming
        return table, [ImportProblem(file, N_("The file is not a readable XLSX workbook: save it again "
                                              "from the spreadsheet program as .xlsx."))]
    finally:
        book.close()


def _zip_refusal(data: bytes, file: str) -> ImportProblem | None:
    """Refuse what is not a zip, or would unzip to too much (a zip bomb), before parsing."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return ImportProblem(file, N_("The file is not a readable XLSX workbook: save it again from the "
                                      "spreadsheet program as .xlsx."))
    if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
        return ImportProblem(file, message(N_("The workbook unpacks to more than %(max)d MB: keep only the "
                                              "question sheet."), max=MAX_UNZIPPED_BYTES // (1024 * 1024)))
    return None


def _read_sheet(sheet, table: Table, file: str) -> tuple[Table, list[ImportProblem]]:
    if sheet is None:
        return table, [ImportProblem(file, N_("The file is empty."))]
    records: list[list[str]] = []
    numbers: list[int] = []
    formulas: list[tuple[int, int]] = []
    for cells in sheet.iter_rows(max_col=MAX_COLUMNS + 1, max_row=MAX_ROWS + 100_000):
        values = []
        for cell in cells:
            if getattr(cell, "data_type", None) == "f" or type(cell.value).__name__ in (
                    "ArrayFormula", "DataTableFormula"):
                formulas.append((cell.row, len(values)))
                values.append("")
            else:
                values.append(_text(cell.value))
        while values and not values[-1].strip():
            values.pop()  # read-only sheets pad every row to max_col
        if not values:
            continue
        row = next((c.row for c in cells if getattr(c, "row", None)), len(records) + 1)
        if len(records) > MAX_ROWS:
            return table, [ImportProblem(file, message(N_("More than %(max)d rows of questions."),
                                                       max=MAX_ROWS), row=row)]
        records.append(values)
        numbers.append(row)
    table, problems = _table(records, table, file, numbers)
    for row, index in formulas:
        header = table.header[index] if row != table.header_row and index < len(table.header) else ""
        problems.append(ImportProblem(file, N_("The cell holds a formula: copy the column and paste it "
                                               "as values."), row=row, column=header or _letter(index)))
    return table, problems


def _text(value) -> str:
    """A cell as the author sees it: numbers without a needless ".0", TRUE/FALSE, dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return format_number(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return str(value)


def _letter(index: int) -> str:
    from lms.reports.xlsx import column_name

    return column_name(index)


# ------------------------------------------------------------------------------ rows


def parse_table(table: Table, file: str, registry) -> tuple[list[RowEntry], list[ImportProblem], list[str]]:
    """Questions from the table's rows: (entries, problems, ignored column headers).

    `registry` maps type keys to question types (lms.registry.question_types()).
    """
    reader = _RowReader(file, registry)
    reader.read(table)
    return reader.entries, reader.problems, reader.ignored


class _RowReader:
    def __init__(self, file: str, registry):
        self.file, self.registry = file, registry
        self.entries: list[RowEntry] = []
        self.problems: list[ImportProblem] = []
        self.ignored: list[str] = []
        self.columns: dict[str, int] = {}
        self.headers: dict[str, str] = {}
        self.extra: dict[str, int] = {}
        self.row = 0

    def add(self, where: str, msgid: str, **params) -> None:
        """A problem in column `where` (a standard column name, or a header) of the current row."""
        self.problems.append(ImportProblem(self.file, message(msgid, **params), row=self.row,
                                           column=self.headers.get(where, where)))

    def read(self, table: Table) -> None:
        self.row = table.header_row
        self._header(table.header)
        if self.problems:
            return
        if not table.rows:
            self.problems.append(ImportProblem(self.file, N_("The file has a header but no question rows.")))
            return
        explicit = self._explicit_ids(table)
        ids = IdMaker(explicit)
        seen: dict[str, int] = {}
        for number, record in table.rows:
            self.row = number
            if len(record) > len(table.header) and any(c.strip() for c in record[len(table.header):]):
                self.add("", N_("This row has %(cells)d cells but the header has %(columns)d: is there an "
                                "unquoted separator inside a value?"), cells=len(record), columns=len(table.header))
                continue
            cells = {name: record[i].strip() if i < len(record) else "" for name, i in self.columns.items()}
            extra = {name: record[i].strip() if i < len(record) else "" for name, i in self.extra.items()}
            entry = self._row(cells, extra, ids, seen)
            if entry is not None:
                self.entries.append(entry)
        order = {header: i for i, header in enumerate(table.header)}
        self.problems.sort(key=lambda p: (p.row or 0, order.get(p.column, len(order))))

    def _header(self, header: list[str]) -> None:
        for index, raw in enumerate(header):
            key = normalise_header(raw)
            column = _ALIASES.get(key)
            if column is None:
                if raw.strip():
                    self.ignored.append(raw.strip())
                    self.extra.setdefault(key, index)
            elif column in self.columns:
                self.add(raw.strip(), N_("The column %(column)s appears twice."), column=raw.strip())
            else:
                self.columns[column] = index
                self.headers[column] = raw.strip()
        for column in REQUIRED:
            if column not in self.columns:
                self.add(column, N_("Missing column %(column)s (accepted names: %(names)s)."),
                         column=column, names=", ".join(COLUMNS[column]))

    def _explicit_ids(self, table: Table) -> set[str]:
        index = self.columns.get("id")
        if index is None:
            return set()
        return {record[index].strip() for _n, record in table.rows if index < len(record) and record[index].strip()}

    def _row(self, cells: dict[str, str], extra: dict[str, str], ids: IdMaker,
             seen: dict[str, int]) -> RowEntry | None:
        before = len(self.problems)
        for column, value in cells.items():
            if len(value) > MAX_CELL_CHARS:
                self.add(column, N_("Longer than %(max)d characters."), max=MAX_CELL_CHARS)
                cells[column] = ""
        if len(self.problems) > before:
            return None
        text = cells.get("text", "")
        if not text:
            self.add("text", N_("The question text is required."))
        common = self._common(cells, ids, seen, text)
        kind = self._kind(cells)
        fields = self._type_fields(kind, cells, extra) if kind is not None else None
        if common is None or fields is None or len(self.problems) > before:
            return None
        definition = {**fields, **common, "type": kind}  # a type never overrides id or text
        return RowEntry(definition, self.row, cells.get("quiz", ""), dict(self.headers))

    def _kind(self, cells: dict[str, str]) -> str | None:
        """The row's type; blank means single/multiple when it has choices, essay when it has
        no answer either; anything else must say its type."""
        raw = cells.get("type", "")
        if not raw:
            if any(cells.get(f"choice_{c.lower()}") for c in CHOICE_LETTERS):
                letters = answer_letters(cells.get("answer", "")) or []
                return "multiple" if len(letters) > 1 else "single"
            if not cells.get("answer"):
                return "essay"
            self.add("type", N_("The type is required when a row has no choices (one of %(types)s)."),
                     types=", ".join(CORE_TYPES))
            return None
        kind = TYPE_ALIASES.get(normalise_header(raw))
        if kind is None and raw.strip() in self.registry:
            kind = raw.strip()
        if kind is None or kind not in self.registry:
            self.add("type", N_("Unknown type %(value)s: use one of %(types)s."), value=raw,
                     types=", ".join(CORE_TYPES + tuple(k for k in self.registry.keys()
                                                        if k not in CORE_TYPES and _reads_rows(self.registry.get(k)))))
            return None
        return kind

    def _common(self, cells: dict[str, str], ids: IdMaker, seen: dict[str, int], text: str) -> dict | None:
        """id, text, title, points, feedback and category: what every type has."""
        ok = bool(text)
        key = cells.get("id", "")
        if key:
            if not QUESTION_ID.match(key):
                self.add("id", N_("Use lowercase letters, digits, \"-\" and \"_\" (at most 120), starting and "
                                  "ending with a letter or digit."))
                ok = False
            elif key in seen:
                self.add("id", N_("Same id as row %(row)d."), row=seen[key])
                ok = False
            else:
                seen[key] = self.row
        definition = {"id": key or ids.make(slug(cells.get("title") or text)), "text": text}
        if cells.get("title"):
            definition["title"] = cells["title"]
        if points := cells.get("points"):
            value = parse_number(points)
            if value is None or not 0 < value <= 1000:
                self.add("points", N_("Points must be a number above 0 (at most 1000)."))
                ok = False
            else:
                definition["points"] = int(value) if value.is_integer() else value
        if cells.get("feedback"):
            definition["feedback"] = cells["feedback"]
        if category := cells.get("category", "").strip("/ "):
            if len(category) > 200:
                self.add("category", N_("Longer than %(max)d characters."), max=200)
                ok = False
            definition["category"] = category
        return definition if ok else None

    def _unused(self, cells: dict[str, str], kind: str | None) -> None:
        """Columns a type does not read must stay empty: a filled one is a mistake somewhere."""
        if kind not in CORE_TYPES:
            return
        if kind not in ("single", "multiple"):
            for letter in CHOICE_LETTERS:
                if cells.get(f"choice_{letter.lower()}"):
                    self.add(f"choice_{letter.lower()}", N_("Choices are used only by single and multiple "
                                                            "questions, not by %(type)s."), type=kind)
                    break
        if cells.get("tolerance") and kind != "numerical":
            self.add("tolerance", N_("A tolerance is used only by numerical questions."))
        if cells.get("rubric") and kind != "essay":
            self.add("rubric", N_("A rubric is used only by essay questions."))

    def _type_fields(self, kind: str, cells: dict[str, str], extra: dict[str, str]) -> dict | None:
        self._unused(cells, kind)
        reader = _CORE_READERS.get(kind) if kind in CORE_TYPES else None
        if reader is not None:
            return reader(self, cells)
        from_row = getattr(self.registry.get(kind), "from_row", None)
        try:
            result = from_row({**extra, **cells}) if callable(from_row) else None
        except Exception:  # noqa: BLE001 - a plugin's bug refuses its row, never the whole page
            logger.exception("question type %r failed to read a spreadsheet row", kind)
            self.add("type", N_("The %(type)s question type could not read this row."), type=kind)
            return None
        if result is None:
            self.add("type", N_("Questions of type %(type)s cannot be imported from a spreadsheet: use a "
                                "YAML file."), type=kind)
            return None
        fields, problems = result
        for column, msg in problems or []:
            self.add(str(column), str(msg))
        return None if problems or not isinstance(fields, dict) else fields

    # --------------------------------------------------------------- the core types

    def _choices(self, cells: dict[str, str], multiple: bool) -> dict | None:
        choices = [(c, cells[f"choice_{c.lower()}"]) for c in CHOICE_LETTERS if cells.get(f"choice_{c.lower()}")]
        if len(choices) < 2:
            self.add("choice_b" if choices else "choice_a",
                     N_("A choice question needs at least two choices (choice_a, choice_b, ...)."))
            return None
        answer = cells.get("answer", "")
        right = answer_letters(answer) if answer else None
        letters = ", ".join(c for c, _text in choices)
        if not answer:
            self.add("answer", N_("The answer is required: the letter of the right choice (%(letters)s)."),
                     letters=letters)
        elif right is None:
            self.add("answer", N_("Write the letter of the right choice (one of %(letters)s), not its text; "
                                  "separate several letters with commas."), letters=letters)
        elif unknown := [r for r in right if r not in dict(choices)]:
            self.add("answer", N_("The answer names choice %(letter)s, but that choice is empty."),
                     letter=unknown[0])
        elif len(right) > 1 and not multiple:
            self.add("answer", N_("A single question has one right letter: for several, set the type to "
                                  "multiple."))
        else:
            return {"options": choice_options(choices, right, multiple)}
        return None

    def _single(self, cells):
        return self._choices(cells, multiple=False)

    def _multiple(self, cells):
        return self._choices(cells, multiple=True)

    def _truefalse(self, cells):
        answer = cells.get("answer", "").strip().lower()
        if answer in TRUE_WORDS or answer in FALSE_WORDS:
            return {"answer": answer in TRUE_WORDS}
        self.add("answer", N_("Write true or false (benar or salah)."))
        return None

    def _short(self, cells):
        answers = [a.strip() for a in cells.get("answer", "").split(SHORT_SEPARATOR) if a.strip()]
        if not answers:
            self.add("answer", N_("Write the accepted answer; separate several with \"|\"."))
            return None
        return {"answers": [{"text": a, "fraction": 1} for a in dict.fromkeys(answers)]}

    def _numerical(self, cells):
        raw = cells.get("answer", "")
        parts = _TOLERANCE.split(raw.strip(), maxsplit=1)
        value = parse_number(parts[0]) if raw.strip() else None
        if value is None:
            self.add("answer", N_("Write the right number, such as 3.14 or 3,14 (optionally with a tolerance: "
                                  "3.14±0.01)."))
            return None
        tolerance_text = parts[1] if len(parts) > 1 else ""
        column = "answer"
        if cells.get("tolerance"):
            if tolerance_text:
                self.add("tolerance", N_("The tolerance is given twice: in this column and in the answer."))
                return None
            tolerance_text, column = cells["tolerance"], "tolerance"
        tolerance = parse_number(tolerance_text) if tolerance_text else 0.0
        if tolerance is None or tolerance < 0:
            self.add(column, N_("The tolerance must be a number of at least 0."))
            return None
        answer = {"value": int(value) if value.is_integer() and abs(value) < 1e15 else value, "fraction": 1}
        if tolerance:
            answer["tolerance"] = int(tolerance) if tolerance.is_integer() else tolerance
        return {"answers": [answer]}

    def _essay(self, cells):
        if cells.get("answer"):
            self.add("answer", N_("An essay question has no answer: put guidance for graders in the rubric "
                                  "column."))
            return None
        return {"rubric": cells["rubric"]} if cells.get("rubric") else {}


_CORE_READERS = {"single": _RowReader._single, "multiple": _RowReader._multiple,
                 "truefalse": _RowReader._truefalse, "short": _RowReader._short,
                 "numerical": _RowReader._numerical, "essay": _RowReader._essay}


def _reads_rows(question_type) -> bool:
    """Whether a (plugin) question type overrides QuestionType.from_row."""
    from lms.questions import QuestionType

    method = getattr(type(question_type), "from_row", None)
    return callable(method) and method is not QuestionType.from_row


def field_column(definition: dict, path: str) -> str:
    """The column a definition field comes from: options[1].x -> that option's choice column."""
    root = re.split(r"[\[.]", path, maxsplit=1)[0]
    if root == "options":
        match = re.match(r"options\[(\d+)\]", path)
        options = definition.get("options") or []
        if match and int(match.group(1)) < len(options) and isinstance(options[int(match.group(1))], dict):
            return f"choice_{options[int(match.group(1))].get('id', 'a')}"
        return "choice_a"
    if root in ("answers", "answer", "case_sensitive", "feedback_true", "feedback_false"):
        return "answer"
    if root == "min_words":
        return "rubric"
    return root if root in COLUMNS else "type"
