"""Bulk question import into a course's question bank: GIFT, YAML, Aiken, CSV and XLSX.

``check`` is the dry run: it reads the file, validates every question with its type and
checks the quizzes it names, and reports every problem with its row and column (or line),
plus how many questions would be added or updated, writing nothing. ``run`` checks again
and stores all the questions in the course's draft in one transaction, or none. Between
the two the checked file waits in storage (``stash``), not in memory or the session, so
any worker can finish the import; the digest the author saw pins the exact file.
See docs/question-import.md.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from lms.errors import LmsError
from lms.i18n import N_
from lms.models import Course, CourseVersion, User
from lms.registry import question_types
from lms.services import drafts, question_bank
from lms.services.question_import import aiken, spreadsheet
from lms.services.question_import.problems import ImportProblem, message
from lms.services.quizzes import parse_question_file, shared_problems
from lms.storage import storage

#: Formats by file extension; ".txt" is GIFT or Aiken, told apart by its content.
EXTENSIONS = {".gift": "gift", ".txt": "text", ".yaml": "yaml", ".yml": "yaml", ".aiken": "aiken",
              ".csv": "csv", ".xlsx": "xlsx"}
FORMATS = ("gift", "yaml", "aiken", "csv", "xlsx")
#: Largest upload (bytes), whatever the format.
MAX_BYTES = spreadsheet.MAX_BYTES
#: Questions listed in the dry run's preview.
PREVIEW = 20


class ImportRefused(LmsError):
    """The file has problems; nothing was written."""

    def __init__(self, problems: list[ImportProblem]):
        super().__init__(f"{len(problems)} problem(s): {problems[0]}" if problems else "no question")
        self.problems = problems


@dataclass
class Entry:
    """A valid question of the file, where it came from, and the quiz its row names."""

    definition: dict
    row: int | None = None   # spreadsheets
    line: int | None = None  # Aiken (GIFT and YAML problems name their own lines)
    quiz: str = ""
    quiz_column: str = "quiz"
    updates: bool = False


@dataclass
class Plan:
    """The dry run's outcome."""

    file: str
    format: str = ""
    entries: list[Entry] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.entries)

    @property
    def added(self) -> int:
        return sum(1 for e in self.entries if not e.updates)

    @property
    def updated(self) -> int:
        return sum(1 for e in self.entries if e.updates)


def detect_format(filename: str, data: bytes, chosen: str | None = None) -> str | None:
    """The format the author chose, else the extension's (".txt": Aiken if it looks like it)."""
    if chosen in FORMATS:
        return chosen
    extension = filename[filename.rfind("."):].lower() if "." in filename else ""
    fmt = EXTENSIONS.get(extension)
    if fmt == "text":
        return "aiken" if aiken.looks_like_aiken(data[:200_000].decode("utf-8", "replace")) else "gift"
    return fmt


def check(course: Course, filename: str, data: bytes, fmt: str | None = None,
          quiz_key: str | None = None) -> Plan:
    """Every problem of the file against the course's latest version, writing nothing."""
    filename = (filename or "questions").replace("\\", "/").rsplit("/", 1)[-1][:200] or "questions"
    plan = Plan(filename)
    plan.format = detect_format(filename, data, fmt) or ""
    if not plan.format:
        plan.problems.append(ImportProblem(filename, N_(
            "Unknown file type: use .gift, .yaml, .txt (GIFT or Aiken), .csv or .xlsx.")))
        return plan
    if len(data) > MAX_BYTES:
        plan.problems.append(ImportProblem(filename, message(N_("The file is larger than %(size)d MB."),
                                                             size=MAX_BYTES // (1024 * 1024))))
        return plan
    readers = {"gift": _read_text, "yaml": _read_text, "aiken": _read_aiken,
               "csv": _read_spreadsheet, "xlsx": _read_spreadsheet}
    readers[plan.format](plan, data)
    if not plan.problems and not plan.entries:
        plan.problems.append(ImportProblem(filename, N_("The file holds no question.")))
    version = drafts.latest_version(course)
    if version is not None:
        _check_bank(plan, version, quiz_key)
    return plan


def _decode(plan: Plan, data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        plan.problems.append(ImportProblem(plan.file, N_("The file is not UTF-8 text: save it as UTF-8.")))
        return None


def _read_text(plan: Plan, data: bytes) -> None:
    """GIFT and YAML through the course-package readers (their problems name line/question)."""
    text = _decode(plan, data)
    if text is None:
        return
    name = plan.file if plan.file.lower().endswith((".gift", ".yaml", ".yml")) else \
        f"{plan.file}.{'gift' if plan.format == 'gift' else 'yaml'}"
    definitions, problems = parse_question_file(name, text)
    plan.problems += [ImportProblem(plan.file, p.message, where=p.where) for p in problems]
    if not problems:
        plan.entries = [Entry(d) for d in definitions]


def _read_aiken(plan: Plan, data: bytes) -> None:
    text = _decode(plan, data)
    if text is None:
        return
    entries, problems = aiken.parse_aiken(text, plan.file)
    plan.problems += problems
    for entry in entries:
        found = _type_problems(entry.definition)
        plan.problems += [ImportProblem(plan.file, msg, line=entry.line) for _path, msg in found]
        plan.entries.append(Entry(entry.definition, line=entry.line))


def _read_spreadsheet(plan: Plan, data: bytes) -> None:
    read = spreadsheet.read_xlsx if plan.format == "xlsx" else spreadsheet.read_csv
    table, problems = read(data, plan.file)
    plan.problems += problems
    if problems:
        return
    entries, problems, plan.ignored_columns = spreadsheet.parse_table(table, plan.file, question_types())
    plan.problems += problems
    for entry in entries:
        for path, msg in _type_problems(entry.definition):
            plan.problems.append(ImportProblem(plan.file, msg, row=entry.row, column=entry.column_of(path)))
        plan.entries.append(Entry(entry.definition, row=entry.row, quiz=entry.quiz,
                                  quiz_column=entry.headers.get("quiz", "quiz")))
    plan.problems.sort(key=lambda p: p.row or 0)


def _type_problems(definition: dict) -> list[tuple[str, str]]:
    """(field path, message) from the shared rules and the question type's own validation."""
    registry = question_types()
    found = list(shared_problems(definition))
    if definition.get("type") in registry:
        found += registry.get(definition["type"]).validate(definition)
    return [(msg.split(":", 1)[0], msg) for msg in found]


def _check_bank(plan: Plan, version: CourseVersion, quiz_key: str | None) -> None:
    """Quizzes named must exist in the latest version; ids already in the bank are updates."""
    quizzes = {q.key for q in question_bank.quizzes_of(version)}
    if quiz_key and quiz_key not in quizzes:
        plan.problems.append(ImportProblem(plan.file, message(N_("There is no quiz %(quiz)s in this course."),
                                                              quiz=quiz_key)))
    if plan.format in ("csv", "xlsx"):
        for entry in plan.entries:
            if entry.quiz and entry.quiz not in quizzes:
                plan.problems.append(ImportProblem(plan.file, message(
                    N_("There is no quiz %(quiz)s in this course (quizzes: %(known)s)."), quiz=entry.quiz,
                    known=", ".join(sorted(quizzes)) or "—"), row=entry.row, column=entry.quiz_column))
        plan.problems.sort(key=lambda p: p.row or 0)
    seen: set[str] = set()
    for entry in plan.entries:  # YAML may repeat an id; the other readers never do
        key = entry.definition.get("id")
        if key in seen:
            plan.problems.append(ImportProblem(plan.file, message(N_("The id %(id)s is used twice."), id=key),
                                               row=entry.row, column=entry.row and "id" or "",
                                               line=entry.line, where="" if entry.row or entry.line else
                                               f"question {key}"))
        seen.add(key)
    existing = {q.key for q in question_bank.questions_of(version)}
    for entry in plan.entries:
        entry.updates = entry.definition.get("id") in existing


def run(course: Course, filename: str, data: bytes, fmt: str | None = None,
        quiz_key: str | None = None) -> tuple[CourseVersion, Plan]:
    """Check the file again, then store every question in the draft, or none (ImportRefused)."""
    plan = check(course, filename, data, fmt, quiz_key)
    if not plan.ok:
        raise ImportRefused(plan.problems or [ImportProblem(plan.file, N_("The file holds no question."))])
    quizzes: dict[str, list[str]] = {}
    for entry in plan.entries:
        for key in filter(None, {quiz_key, entry.quiz}):
            quizzes.setdefault(key, []).append(entry.definition["id"])
    try:
        version, _added, _updated = question_bank.store_definitions(
            course, [e.definition for e in plan.entries], quizzes)
    except question_bank.BankError as exc:  # a quiz removed between the check and now
        raise ImportRefused([ImportProblem(plan.file, str(exc))]) from exc
    return version, plan


def describe(entry: Entry) -> str:
    """The right answer in words for the preview ("" when the type cannot say)."""
    registry = question_types()
    kind = entry.definition.get("type")
    try:
        return registry.get(kind).describe_answer(entry.definition) if kind in registry else ""
    except Exception:  # noqa: BLE001 - a plugin's describe_answer must not break the preview
        return ""


# ------------------------------------------------------------------- the checked file


def _stash_name(user: User, course: Course) -> str:
    return f"question-imports/{user.id}-{course.id}.bin"


def stash(user: User, course: Course, data: bytes) -> str:
    """Keep the file an author just checked (one per author and course); returns its digest."""
    storage().write(_stash_name(user, course), data)
    return hashlib.sha256(data).hexdigest()


def unstash(user: User, course: Course, digest: str) -> bytes | None:
    """The checked file if it is still the one with `digest`, else None."""
    name = _stash_name(user, course)
    if not digest or not storage().exists(name):
        return None
    data = storage().read(name)
    return data if hmac.compare_digest(hashlib.sha256(data).hexdigest(), digest) else None


def drop_stash(user: User, course: Course) -> None:
    storage().delete(_stash_name(user, course))
