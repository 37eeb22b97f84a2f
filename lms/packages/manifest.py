"""Parse and check a course.yaml manifest into a CourseSpec, collecting every problem."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from lms.packages.evaluation_spec import parse_evaluation

FORMAT = "lms-course/1"
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,118}[a-z0-9])?$")
LESSON_ID = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,78}[a-z0-9])?$")
COMPETENCIES = ("teknis", "manajerial", "sosial-kultural")
#: Codes of the competency catalogue (checked against the database at import).
COMPETENCY_CODE = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,38}[a-z0-9])?$")
SPBE_DOMAINS = ("kebijakan-internal", "tata-kelola", "manajemen", "layanan")
MAX_TAGS = 30
LANGUAGES = ("id", "en")
MAX_JP = 200


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a package: where (file and field or line) and what."""

    file: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.message}" if self.where else f"{self.file}: {self.message}"


@dataclass
class LessonSpec:
    id: str
    title: str
    type: str
    file: str | None
    required: bool
    entry: dict  # the whole manifest entry, for the lesson type's own fields
    competencies: list[str] = field(default_factory=list)
    spbe_domain: str | None = None


GRADING_METHODS = ("highest", "last", "average")
REVIEW_OPTIONS = ("score", "feedback", "answers")


@dataclass
class QuizSpec:
    """A section's quiz: its question file and settings (see docs/package-format.md)."""

    id: str
    title: str
    file: str | None
    pass_mark: float = 70.0
    time_limit: int | None = None
    max_attempts: int | None = None
    delay: int = 0
    grading: str = "highest"
    shuffle_questions: bool = False
    shuffle_options: bool = True
    draw: int | None = None
    category: str = ""
    review: list[str] = field(default_factory=lambda: list(REVIEW_OPTIONS))
    required: bool = True


@dataclass
class SectionSpec:
    title: str
    lessons: list[LessonSpec] = field(default_factory=list)
    quizzes: list[QuizSpec] = field(default_factory=list)


@dataclass
class CourseSpec:
    slug: str
    title: str
    language: str
    jp: int
    competency: str
    summary: str
    category: str | None
    cover: str | None
    sections: list[SectionSpec]
    #: Certificate design key (a registered template); None keeps the course's current one.
    certificate_template: str | None = None
    #: ``certificate: {valid_for_months: N}``: certificates expire N months after issue.
    certificate_validity_months: int | None = None
    #: Codes of the competency catalogue the course trains (docs/competencies.md).
    competencies: list[str] = field(default_factory=list)
    spbe_domain: str | None = None
    #: ``evaluation:``: the course's feedback form (lms.packages.evaluation_spec); None: unchanged.
    evaluation: dict | None = None

    def lessons(self) -> list[LessonSpec]:
        return [lesson for section in self.sections for lesson in section.lessons]

    def quizzes(self) -> list[QuizSpec]:
        return [quiz for section in self.sections for quiz in section.quizzes]


class _Checker:
    """Collects problems while reading fields, so one pass reports all of them."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, where, message))

    def text(self, data: dict, key: str, where: str, *, required=True, max_len=200) -> str:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(where + key, "required")
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.add(where + key, "must be text")
            return ""
        value = str(value).strip()
        if len(value) > max_len:
            self.add(where + key, f"longer than {max_len} characters")
        return value


def parse_manifest(data, file: str = "course.yaml") -> tuple[CourseSpec | None, list[Problem]]:
    """Return the spec and every problem found; the spec is None when problems exist."""
    check = _Checker(file)
    if not isinstance(data, dict):
        check.add("", "must be a mapping of fields (format, slug, title, ...)")
        return None, check.problems
    if data.get("format") != FORMAT:
        check.add("format", f"must be {FORMAT!r}")
    slug = check.text(data, "slug", "", max_len=120)
    if slug and not SLUG.match(slug):
        check.add("slug", "use lowercase letters, digits and hyphens")
    spec = CourseSpec(
        slug=slug,
        **_catalog_fields(check, data),
        cover=check.text(data, "cover", "", required=False, max_len=300) or None,
        sections=_sections(check, data.get("sections")),
        certificate_template=check.text(data, "certificate_template", "", required=False, max_len=40) or None,
        evaluation=parse_evaluation(check, data.get("evaluation")),
    )
    return (None if check.problems else spec), check.problems


def _catalog_fields(check: _Checker, data: dict) -> dict:
    """The fields the catalog shows; the browser editor checks them alone (catalog_fields)."""
    return {"title": check.text(data, "title", ""),
            "language": _choice(check, data, "language", LANGUAGES, default="id"),
            "jp": _jp(check, data),
            "competency": _choice(check, data, "competency", COMPETENCIES),
            "summary": check.text(data, "summary", "", required=False, max_len=2000),
            "category": check.text(data, "category", "", required=False, max_len=80) or None,
            "competencies": _codes(check, data, ""),
            "spbe_domain": _spbe_domain(check, data, ""),
            "certificate_validity_months": _validity(check, data)}


MAX_VALIDITY_MONTHS = 240


def _validity(check: _Checker, data: dict) -> int | None:
    """``certificate: {valid_for_months: N}`` (1..240); absent or empty: never expires."""
    section = data.get("certificate")
    if section in (None, ""):
        return None
    if not isinstance(section, dict):
        check.add("certificate", "must be a mapping such as {valid_for_months: 24}")
        return None
    unknown = sorted(set(section) - {"valid_for_months"})
    if unknown:
        check.add("certificate", f"unknown field(s): {', '.join(map(str, unknown))}")
    value = section.get("valid_for_months")
    if value in (None, "", 0):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_VALIDITY_MONTHS:
        check.add("certificate.valid_for_months",
                  f"must be a whole number of months from 1 to {MAX_VALIDITY_MONTHS}")
        return None
    return value


def _codes(check: _Checker, data: dict, where: str) -> list[str]:
    """A list of competency codes: well-formed and unique (their existence is checked at import)."""
    value = data.get("competencies")
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_TAGS:
        check.add(where + "competencies", f"must be a list of at most {MAX_TAGS} competency codes")
        return []
    codes: list[str] = []
    for i, code in enumerate(value):
        if not isinstance(code, str) or not COMPETENCY_CODE.match(code):
            check.add(f"{where}competencies[{i}]", "use lowercase letters, digits, '.', '-' and '_'")
        elif code not in codes:
            codes.append(code)
    return codes


def _spbe_domain(check: _Checker, data: dict, where: str) -> str | None:
    value = data.get("spbe_domain")
    if value in (None, ""):
        return None
    if value not in SPBE_DOMAINS:
        check.add(where + "spbe_domain", f"must be one of {', '.join(SPBE_DOMAINS)}")
        return None
    return value


def _choice(check: _Checker, data: dict, key: str, allowed, default=None) -> str:
    value = data.get(key, default)
    if value not in allowed:
        check.add(key, f"must be one of {', '.join(allowed)}")
    return value if value in allowed else ""


def _jp(check: _Checker, data: dict) -> int:
    value = data.get("jp")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_JP:
        check.add("jp", f"must be a whole number of lesson hours from 0 to {MAX_JP}")
        return 0
    return value


def _sections(check: _Checker, sections) -> list[SectionSpec]:
    if not isinstance(sections, list) or not sections:
        check.add("sections", "needs at least one section")
        return []
    seen: dict[str, str] = {}
    result = []
    for i, raw in enumerate(sections):
        where = f"sections[{i}]."
        if not isinstance(raw, dict):
            check.add(where.rstrip("."), "must be a mapping with title and lessons")
            continue
        section = SectionSpec(title=check.text(raw, "title", where))
        lessons = raw.get("lessons")
        if not isinstance(lessons, list) or not lessons:
            check.add(where + "lessons", "needs at least one lesson")
            lessons = []
        for j, entry in enumerate(lessons):
            lesson = _lesson(check, entry, f"{where}lessons[{j}].", seen)
            if lesson:
                section.lessons.append(lesson)
        quizzes = raw.get("quizzes", [raw["quiz"]] if "quiz" in raw else [])
        if not isinstance(quizzes, list):
            check.add(where + "quizzes", "must be a list of quizzes")
            quizzes = []
        for j, entry in enumerate(quizzes):
            key = f"{where}quiz." if "quiz" in raw else f"{where}quizzes[{j}]."
            quiz = _quiz(check, entry, key, seen)
            if quiz:
                section.quizzes.append(quiz)
        result.append(section)
    return result


def _stable_id(check: _Checker, entry: dict, where: str, seen: dict[str, str]) -> str:
    """Read a lesson or quiz id: well-formed and unique in the course (both become URLs)."""
    item_id = check.text(entry, "id", where, max_len=80)
    if item_id and not LESSON_ID.match(item_id):
        check.add(where + "id", "use lowercase letters, digits, '-' and '_'")
    elif item_id in seen:
        check.add(where + "id", f"{item_id!r} is already used at {seen[item_id]}")
    elif item_id:
        seen[item_id] = where.rstrip(".")
    return item_id


def _quiz(check: _Checker, entry, where: str, seen: dict[str, str], needs_file: bool = True) -> QuizSpec | None:
    """Read one quiz's settings; ids share the namespace of lesson ids (both are URLs)."""
    if not isinstance(entry, dict):
        check.add(where.rstrip("."), "must be a mapping with id and file")
        return None
    quiz_id = _stable_id(check, entry, where, seen)
    file = check.text(entry, "file", where, max_len=300, required=needs_file)
    if file and not file.lower().endswith((".gift", ".txt", ".yaml", ".yml")):
        check.add(where + "file", "must be a .gift or .yaml file")
    grading = entry.get("grading", "highest")
    if grading not in GRADING_METHODS:
        check.add(where + "grading", f"must be one of {', '.join(GRADING_METHODS)}")
    review = entry.get("review", list(REVIEW_OPTIONS))
    if not isinstance(review, list) or any(r not in REVIEW_OPTIONS for r in review):
        check.add(where + "review", f"must be a list of {', '.join(REVIEW_OPTIONS)}")
        review = list(REVIEW_OPTIONS)
    return QuizSpec(
        id=quiz_id, title=check.text(entry, "title", where, required=False) or quiz_id, file=file or None,
        pass_mark=_number(check, entry, "pass", where, 70, 0, 100),
        time_limit=_number(check, entry, "time_limit", where, None, 1, 600, whole=True),
        max_attempts=_number(check, entry, "attempts", where, None, 1, 100, whole=True),
        delay=_number(check, entry, "delay", where, 0, 0, 60 * 24 * 30, whole=True),
        grading=grading if grading in GRADING_METHODS else "highest",
        shuffle_questions=_flag(check, entry, "shuffle", where, False),
        shuffle_options=_flag(check, entry, "shuffle_options", where, True),
        draw=_number(check, entry, "draw", where, None, 1, 1000, whole=True),
        category=check.text(entry, "category", where, required=False),
        review=review, required=_flag(check, entry, "required", where, True))


def _number(check: _Checker, entry: dict, key: str, where: str, default, low, high, whole=False):
    value = entry.get(key, default)
    if value is None or value == default:
        return value
    kinds = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
        check.add(where + key, f"must be a {'whole ' if whole else ''}number from {low} to {high}")
        return default
    return value


def _flag(check: _Checker, entry: dict, key: str, where: str, default: bool) -> bool:
    value = entry.get(key, default)
    if not isinstance(value, bool):
        check.add(where + key, "must be true or false")
        return default
    return value


def _lesson(check: _Checker, entry, where: str, seen: dict[str, str]) -> LessonSpec | None:
    if not isinstance(entry, dict):
        check.add(where.rstrip("."), "must be a mapping with id and title")
        return None
    lesson_id = _stable_id(check, entry, where, seen)
    kind = entry.get("type", "markdown")
    if not isinstance(kind, str) or not kind:
        check.add(where + "type", "must be a lesson type name")
        kind = ""
    file = check.text(entry, "file", where, required=False, max_len=300) or None
    required = entry.get("required", True)
    if not isinstance(required, bool):
        check.add(where + "required", "must be true or false")
    return LessonSpec(lesson_id, check.text(entry, "title", where), kind, file, required is not False, entry,
                      competencies=_codes(check, entry, where), spbe_domain=_spbe_domain(check, entry, where))


# --------------------------------------------------------------------- single parts
# The browser editor changes one part of a version at a time; these check that part with
# the very rules parse_manifest applies to a whole manifest. `taken` maps the ids already
# used in the version to where they are used (shown in the "already used" message).


def catalog_fields(data: dict, file: str = "course.yaml") -> tuple[dict, list[Problem]]:
    """The catalog fields (title, summary, language, jp, competency, category), cleaned, and
    their problems."""
    check = _Checker(file)
    fields = _catalog_fields(check, data)
    return fields, check.problems


def section_problems(entry: dict, file: str = "course.yaml") -> list[Problem]:
    """Problems with a section's own fields (its title); its lessons are checked one by one."""
    check = _Checker(file)
    check.text(entry, "title", "")
    return check.problems


def lesson_entry(entry: dict, taken: dict[str, str] | None = None,
                 file: str = "course.yaml") -> tuple[LessonSpec | None, list[Problem]]:
    """One lesson entry read as in a manifest; the spec is None when there are problems."""
    check = _Checker(file)
    lesson = _lesson(check, entry, "", dict(taken or {}))
    return (None if check.problems else lesson), check.problems


def quiz_entry(entry: dict, taken: dict[str, str] | None = None, *, needs_file: bool = True,
               file: str = "course.yaml") -> tuple[QuizSpec | None, list[Problem]]:
    """One quiz entry read as in a manifest; `needs_file=False` for quizzes whose questions
    are chosen from the bank rather than read from a file."""
    check = _Checker(file)
    quiz = _quiz(check, entry, "", dict(taken or {}), needs_file=needs_file)
    return (None if check.problems else quiz), check.problems
