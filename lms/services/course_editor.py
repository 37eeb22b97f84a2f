"""The browser course editor: small changes to a course, checked exactly like an import.

Published versions are immutable, so every change goes to the course's draft
(``drafts.editable_version``). A change is first checked against the latest version (the
draft, or the published version a new draft would copy) with the functions a package import
uses: the manifest's field rules, the lesson type's ``validate``/``prepare``, the archive's
Markdown and asset checks, the quiz draw rules. Only a valid change creates the draft and is
written; an invalid one raises ``EditInvalid`` listing every problem, and nothing is written.

Sections are addressed by their index (a draft copy gives them new row ids); lessons and
quizzes by their stable key, which never changes: learners' progress is recorded by it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.database import db
from lms.errors import LmsError
from lms.models import (Asset, Competency, Course, CourseVersion, GradingMethod, Lesson, Quiz,
                        Section, VersionStatus)
from lms.packages import manifest
from lms.packages.archive import (MAX_PROBLEMS_PER_FILE, MAX_TEXT_BYTES, asset_references, asset_url,
                                  markdown_problems)
from lms.models.courses import SpbeDomain
from lms.packages.manifest import Problem, QuizSpec
from lms.registry import lesson_types
from lms.scorm.files import in_folder
from lms.services import assets as asset_store
from lms.services import competencies, drafts
from lms.storage import storage
from lms.services import quizzes as quiz_rules
from lms.services.question_bank import questions_of

#: Lesson-type fields the editor offers besides the body (the core types' manifest fields).
TYPE_FIELDS = ("url", "filename", "description")


class EditInvalid(LmsError):
    """A change that breaks a rule; `problems` lists every reason (``where`` names the field)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{p.where}: {p.message}" if p.where else p.message for p in problems))
        self.problems = problems


class NotFound(LmsError):
    """No such course version, section, lesson or quiz (the page answers 404)."""


def _problem(where: str, message: str) -> Problem:
    return Problem("", where, message)


# ---------------------------------------------------------------------------- reading


@dataclass
class Layout:
    """A version's outline: sections in order, each with its lessons and quizzes in order."""

    version: CourseVersion
    sections: list[Section]
    lessons: list[list[Lesson]]
    quizzes: list[list[Quiz]]

    @property
    def is_draft(self) -> bool:
        return self.version.status == VersionStatus.DRAFT

    def section(self, index: int) -> Section:
        if not 0 <= index < len(self.sections):
            raise NotFound(f"section {index}")
        return self.sections[index]

    def lesson(self, key: str) -> tuple[int, Lesson]:
        """(section index, lesson) of the lesson with this key."""
        for s_index, lessons in enumerate(self.lessons):
            for lesson in lessons:
                if lesson.key == key:
                    return s_index, lesson
        raise NotFound(f"lesson {key}")

    def quiz(self, key: str) -> tuple[int, Quiz]:
        for s_index, quizzes in enumerate(self.quizzes):
            for quiz in quizzes:
                if quiz.key == key:
                    return s_index, quiz
        raise NotFound(f"quiz {key}")

    def taken(self, besides: str = "") -> dict[str, str]:
        """Lesson and quiz ids in use (one namespace, as in a manifest) -> where, for messages."""
        used = {}
        for s_index in range(len(self.sections)):
            for item in [*self.lessons[s_index], *self.quizzes[s_index]]:
                used[item.key] = f"section {s_index + 1}"
        used.pop(besides, None)
        return used

    def empty_sections(self) -> list[int]:
        """Indexes of sections without a lesson: a package needs one per section."""
        return [i for i, lessons in enumerate(self.lessons) if not lessons]


def layout(version: CourseVersion) -> Layout:
    """The version's outline in three queries, however many lessons it has."""
    sections = list(db.session.scalars(
        select(Section).where(Section.version_id == version.id).order_by(Section.position)
        .options(selectinload(Section.lessons))))
    by_section = quiz_rules.by_section(version)
    return Layout(version, sections, [sorted(s.lessons, key=lambda lesson: lesson.position) for s in sections],
                  [by_section.get(s.id, []) for s in sections])


def current(course: Course) -> Layout:
    """The latest version's outline: what the editor shows (GET pages never create a draft)."""
    version = drafts.latest_version(course)
    if version is None:
        raise NotFound(course.slug)
    return layout(version)


def _asset_paths(version: CourseVersion) -> set[str]:
    return set(db.session.scalars(select(Asset.path).where(Asset.version_id == version.id)))


# ----------------------------------------------------------------------- the change cycle


def _begin(course: Course, before: Layout, problems: list[Problem], check_only: bool) -> Layout | None:
    """Refuse with every problem, or return the draft's outline to write to (None: only check)."""
    if problems:
        raise EditInvalid(problems)
    if check_only:
        return None
    return before if before.is_draft else layout(drafts.editable_version(course))


def _finish(after: Layout) -> CourseVersion:
    """Make positions contiguous (sections, then lessons across the version) and commit."""
    position = 0
    for s_index, section in enumerate(after.sections):
        section.position = s_index
        for lesson in after.lessons[s_index]:
            lesson.section, lesson.position = section, position
            position += 1
        for quiz in after.quizzes[s_index]:
            quiz.section = section
    db.session.commit()
    return after.version


# ------------------------------------------------------------------------ course fields


def update_course(course: Course, data: dict, *, check_only: bool = False) -> CourseVersion:
    """Set the catalog fields (title, summary, language, jp, competency, category)."""
    from lms.services.courses import category_for  # the import's own lookup-or-create

    before = current(course)
    fields, problems = manifest.catalog_fields(data, file="")
    problems += competencies.unknown_codes(fields["competencies"], "tags")
    after = _begin(course, before, problems, check_only)
    if after is None:
        return before.version
    version = after.version
    version.title, version.summary, version.language = fields["title"], fields["summary"], fields["language"]
    version.jp, version.competency = fields["jp"], Competency(fields["competency"])
    version.category = category_for(fields["category"])
    version.certificate_validity_months = fields["certificate_validity_months"]
    version.spbe_domain = SpbeDomain(fields["spbe_domain"]) if fields["spbe_domain"] else None
    competencies.tag_version(version, fields["competencies"])
    return _finish(after)


# ---------------------------------------------------------------------------- sections


def add_section(course: Course, title: str, *, check_only: bool = False) -> CourseVersion:
    """Append a section; it needs a lesson before the course can be published."""
    before = current(course)
    after = _begin(course, before, manifest.section_problems({"title": title}, file=""), check_only)
    if after is None:
        return before.version
    section = Section(version=after.version, position=len(after.sections), title=title.strip())
    db.session.add(section)
    after.sections.append(section)
    after.lessons.append([])
    after.quizzes.append([])
    return _finish(after)


def rename_section(course: Course, index: int, title: str, *, check_only: bool = False) -> CourseVersion:
    before = current(course)
    before.section(index)
    after = _begin(course, before, manifest.section_problems({"title": title}, file=""), check_only)
    if after is None:
        return before.version
    after.sections[index].title = title.strip()
    return _finish(after)


def delete_section(course: Course, index: int) -> CourseVersion:
    """Delete a section with its lessons and quizzes (the page asks first); never the last one."""
    before = current(course)
    before.section(index)
    problems = [] if len(before.sections) > 1 else [_problem("", "a course needs at least one section")]
    after = _begin(course, before, problems, False)
    for item in [*after.lessons[index], *after.quizzes[index], after.sections[index]]:
        db.session.delete(item)
    for parts in (after.sections, after.lessons, after.quizzes):
        del parts[index]
    return _finish(after)


def move_section(course: Course, index: int, step: int) -> CourseVersion:
    """Move a section one place up (step -1) or down (+1)."""
    before = current(course)
    before.section(index)
    target = index + step
    problems = [] if 0 <= target < len(before.sections) and step in (-1, 1) \
        else [_problem("", "the section cannot move further")]
    after = _begin(course, before, problems, False)
    for parts in (after.sections, after.lessons, after.quizzes):
        parts[index], parts[target] = parts[target], parts[index]
    return _finish(after)


# ----------------------------------------------------------------------------- lessons


@dataclass
class LessonInput:
    """What the lesson form holds: manifest-style fields, the Markdown body, the section."""

    title: str
    type: str
    required: bool
    section: int
    body: str = ""
    fields: dict | None = None  # url, filename, description
    #: Competency codes and SPBE domain of the lesson; None leaves the stored ones.
    competencies: list[str] | None = None
    spbe_domain: str | None = None


def _lesson_entry(key: str, data: LessonInput, old: Lesson | None) -> dict:
    """The manifest entry the form stands for; a type's other stored fields are kept."""
    kept = dict(old.data) if old is not None and old.type == data.type else {}
    fields = {name: (value or "").strip() for name, value in (data.fields or {}).items()}
    entry = {**kept, **fields, "id": key, "title": data.title, "type": data.type, "required": data.required}
    if data.competencies is not None:
        entry["competencies"], entry["spbe_domain"] = list(data.competencies), data.spbe_domain or None
    return entry


def _check_lesson(before: Layout, entry: dict, data: LessonInput, besides: str = "") -> list[Problem]:
    """Problems exactly as an import finds them: manifest fields, the type's own rules, the
    Markdown of types with a body, and the package files (assets) the lesson names."""
    _spec, problems = manifest.lesson_entry(entry, before.taken(besides), file="")
    problems += competencies.unknown_codes(entry.get("competencies") or [], "tags")
    if not 0 <= data.section < len(before.sections):
        problems.append(_problem("section", "no such section"))
    registry = lesson_types()
    if entry["type"] not in registry:
        return problems + [_problem("type", f"unknown lesson type {entry['type']!r}; known: "
                                            f"{', '.join(registry.keys())}")]
    lesson_type = registry.get(entry["type"])
    invalid = [_field_problem(message) for message in lesson_type.validate(entry)]
    problems += invalid
    if lesson_type.needs_files and not invalid:
        problems += _file_problems(lesson_type, entry, StoredFiles(before.version))
    assets = _asset_paths(before.version)
    if lesson_type.needs_body:
        problems += body_problems(data.body, assets)
    target = asset_url(entry.get("url"))
    if target is not None and target not in assets:
        problems.append(_problem("url", f"names {target}, which is not in the course's files"))
    return problems


class StoredFiles(Mapping):
    """A version's stored assets as a read-only mapping (path -> bytes), read on demand:
    what a lesson type with ``needs_files`` checks in the editor (lms.lessons)."""

    def __init__(self, version: CourseVersion, extra: dict[str, bytes] | None = None,
                 without: str | None = None):
        self.shas = {path: sha for path, sha in db.session.execute(
            select(Asset.path, Asset.sha256).where(Asset.version_id == version.id))
            if without is None or not in_folder(path, [without])}
        self.extra = extra or {}

    def __getitem__(self, path: str) -> bytes:
        if path in self.extra:
            return self.extra[path]
        if path not in self.shas:
            raise KeyError(path)
        return storage().read(asset_store.blob_key(self.shas[path]))

    def __contains__(self, path) -> bool:
        return path in self.extra or path in self.shas

    def __iter__(self):
        return iter({**dict.fromkeys(self.shas), **dict.fromkeys(self.extra)})

    def __len__(self) -> int:
        return len(set(self.shas) | set(self.extra))


def _file_problems(lesson_type, entry: dict, files: Mapping[str, bytes]) -> list[Problem]:
    """``check_files`` as editor problems: a field's message on its field, a file's with its name."""
    found = []
    for item in lesson_type.check_files(entry, files):
        if isinstance(item, Problem):
            found.append(_problem("", str(item)))
        else:
            found.append(_field_problem(str(item)))
    return found


def _field_problem(message: str) -> Problem:
    """A lesson type's "field: message" as a Problem naming the field."""
    where, sep, rest = message.partition(": ")
    return _problem(where, rest) if sep and where.isidentifier() else _problem("", message)


def body_problems(body: str, assets: set[str] | None = None) -> list[Problem]:
    """The import's checks of a lesson file: size, active content, assets/ references."""
    body = body or ""
    if len(body.encode("utf-8")) > MAX_TEXT_BYTES:
        return [_problem("body", f"longer than {MAX_TEXT_BYTES:,} bytes")]
    found = markdown_problems(body)
    if assets is not None:
        found += [(line, f"refers to {path}, which is not in the course's files")
                  for line, path in asset_references(body) if path not in assets]
    problems = [_problem("body", f"line {line}: {message}") for line, message in sorted(found)]
    if len(problems) > MAX_PROBLEMS_PER_FILE:  # as an import reports a file
        extra = len(problems) - MAX_PROBLEMS_PER_FILE
        problems = [*problems[:MAX_PROBLEMS_PER_FILE], _problem("body", f"... and {extra} more problems")]
    return problems


def _store_lesson(lesson: Lesson, entry: dict, data: LessonInput) -> None:
    lesson_type = lesson_types().get(entry["type"])
    prepared = lesson_type.prepare(entry, data.body if lesson_type.needs_body else None)
    lesson.title, lesson.type, lesson.required = data.title.strip(), entry["type"], data.required
    lesson.data, lesson.source, lesson.body_html = prepared.data, prepared.source, prepared.body_html


def _tag_lesson(lesson: Lesson, data: LessonInput) -> None:
    """Store the lesson's SPBE domain and competency tags when the form sent them."""
    if data.competencies is None:
        return
    lesson.spbe_domain = SpbeDomain(data.spbe_domain) if data.spbe_domain else None
    db.session.flush()
    competencies.tag_lesson(lesson, data.competencies)


def add_lesson(course: Course, key: str, data: LessonInput, *, check_only: bool = False) -> CourseVersion:
    """Add a lesson at the end of section `data.section`; its id is fixed from now on."""
    before = current(course)
    entry = _lesson_entry(key, data, None)
    after = _begin(course, before, _check_lesson(before, entry, data), check_only)
    if after is None:
        return before.version
    lesson = Lesson(version=after.version, section=after.sections[data.section], key=key, position=0)
    _store_lesson(lesson, entry, data)
    db.session.add(lesson)
    _tag_lesson(lesson, data)
    after.lessons[data.section].append(lesson)
    return _finish(after)


def update_lesson(course: Course, key: str, data: LessonInput, *, check_only: bool = False) -> CourseVersion:
    """Change a lesson (its id stays); a new section puts it at that section's end."""
    before = current(course)
    _s, old = before.lesson(key)
    entry = _lesson_entry(key, data, old)
    after = _begin(course, before, _check_lesson(before, entry, data, besides=key), check_only)
    if after is None:
        return before.version
    s_index, lesson = after.lesson(key)
    _store_lesson(lesson, entry, data)
    _tag_lesson(lesson, data)
    if s_index != data.section:
        after.lessons[s_index].remove(lesson)
        after.lessons[data.section].append(lesson)
    return _finish(after)


def delete_lesson(course: Course, key: str) -> CourseVersion:
    before = current(course)
    before.lesson(key)
    after = _begin(course, before, [], False)
    s_index, lesson = after.lesson(key)
    after.lessons[s_index].remove(lesson)
    db.session.delete(lesson)
    return _finish(after)


def move_lesson(course: Course, key: str, step: int) -> CourseVersion:
    """One place up (-1) or down (+1); past a section's edge it joins the neighbouring section."""
    before = current(course)
    s_index, lesson = before.lesson(key)
    where = _moved(before, s_index, before.lessons[s_index].index(lesson), step)
    after = _begin(course, before, [] if where else [_problem("", "the lesson cannot move further")], False)
    s_index, lesson = after.lesson(key)
    after.lessons[s_index].remove(lesson)
    after.lessons[where[0]].insert(where[1], lesson)
    return _finish(after)


def _moved(before: Layout, s_index: int, l_index: int, step: int) -> tuple[int, int] | None:
    """(section, place) a lesson moves to, or None at the course's start or end."""
    if step not in (-1, 1):
        return None
    place = l_index + step
    if 0 <= place < len(before.lessons[s_index]):
        return s_index, place
    neighbour = s_index + step
    if not 0 <= neighbour < len(before.sections):
        return None
    return (neighbour, len(before.lessons[neighbour])) if step < 0 else (neighbour, 0)


@dataclass
class Preview:
    html: str
    problems: list[Problem]


def preview(body: str, type_key: str = "markdown") -> Preview:
    """The body as learners would see it, rendered by the lesson type's own ``prepare`` (the
    import's sanitising path), with the problems that would refuse it on save."""
    registry = lesson_types()
    kind = type_key if type_key in registry and registry.get(type_key).needs_body else "markdown"
    prepared = registry.get(kind).prepare({"id": "preview", "title": "", "type": kind}, body)
    return Preview(prepared.body_html, body_problems(body))


# ----------------------------------------------------------------------------- quizzes


@dataclass
class QuizInput:
    """What the quiz form holds: the manifest-style entry (without id), chosen questions, section."""

    entry: dict
    questions: list[str]
    section: int


def _check_quiz(before: Layout, key: str, data: QuizInput, besides: str = "") -> tuple[QuizSpec | None, list[Problem]]:
    """The manifest's quiz rules, then the import's draw rules on the chosen questions (or the
    category's): a quiz needs questions, and never draws more than its pool holds."""
    spec, problems = manifest.quiz_entry({**data.entry, "id": key}, before.taken(besides),
                                         needs_file=False, file="")
    if not 0 <= data.section < len(before.sections):
        problems.append(_problem("section", "no such section"))
    questions = {q.key: q for q in questions_of(before.version)}
    problems += [_problem("questions", f"no question {k!r} in the bank") for k in data.questions if k not in questions]
    if data.questions and data.entry.get("category"):
        problems.append(_problem("category", "choose questions or a category, not both"))
    if spec is not None and not problems:
        pool = [questions[k].definition for k in data.questions] if data.questions \
            else [q.definition for q in questions.values()]
        problems += [_problem("draw" if p.where.endswith(".draw") else "questions", p.message)
                     for p in quiz_rules.selection_problems(spec, pool)]
    return spec, problems


def _store_quiz(quiz: Quiz, spec: QuizSpec, questions: list[str]) -> None:
    """The settings as an import stores them (services.quizzes.add_quizzes)."""
    quiz.title, quiz.required, quiz.pass_mark = spec.title, spec.required, float(spec.pass_mark)
    quiz.time_limit, quiz.max_attempts, quiz.attempt_delay = spec.time_limit, spec.max_attempts, spec.delay
    quiz.grading_method = GradingMethod(spec.grading)
    quiz.shuffle_questions, quiz.shuffle_options = spec.shuffle_questions, spec.shuffle_options
    quiz.draw_count, quiz.draw_category = spec.draw, spec.category
    quiz.question_keys, quiz.review = list(questions), list(spec.review)


def add_quiz(course: Course, key: str, data: QuizInput, *, check_only: bool = False) -> CourseVersion:
    before = current(course)
    spec, problems = _check_quiz(before, key, data)
    after = _begin(course, before, problems, check_only)
    if after is None:
        return before.version
    quiz = Quiz(version=after.version, section=after.sections[data.section], key=key)
    _store_quiz(quiz, spec, data.questions)
    db.session.add(quiz)
    after.quizzes[data.section].append(quiz)
    return _finish(after)


def update_quiz(course: Course, key: str, data: QuizInput, *, check_only: bool = False) -> CourseVersion:
    before = current(course)
    before.quiz(key)
    spec, problems = _check_quiz(before, key, data, besides=key)
    after = _begin(course, before, problems, check_only)
    if after is None:
        return before.version
    s_index, quiz = after.quiz(key)
    _store_quiz(quiz, spec, data.questions)
    if s_index != data.section:
        after.quizzes[s_index].remove(quiz)
        after.quizzes[data.section].append(quiz)
    return _finish(after)


def delete_quiz(course: Course, key: str) -> CourseVersion:
    """Remove a quiz from its section; its questions stay in the bank."""
    before = current(course)
    before.quiz(key)
    after = _begin(course, before, [], False)
    s_index, quiz = after.quiz(key)
    after.quizzes[s_index].remove(quiz)
    db.session.delete(quiz)
    return _finish(after)


# ----------------------------------------------------------------------- SCORM packages


@dataclass
class ScormUpload:
    """A SCORM 1.2 zip uploaded for a lesson, with the lesson's fields."""

    title: str
    required: bool
    section: int
    archive: bytes
    filename: str = "package.zip"
    item: str = ""
    description: str = ""


def scorm_folder(key: str) -> str:
    return f"assets/scorm/{key}"


def upload_scorm(course: Course, key: str, data: ScormUpload, *, new: bool,
                 check_only: bool = False) -> CourseVersion:
    """Add a SCORM lesson from its zip (`new`), or give an existing one a new package.

    The zip is read with a package's safety limits, its files checked as SCORM content and
    its manifest as an import checks it; they are stored as the draft's assets under
    ``assets/scorm/<key>/`` (replacing what the lesson had there), all in one transaction.
    """
    before = current(course)
    old = None if new else before.lesson(key)[1]
    if old is not None and old.type != "scorm":
        raise NotFound(f"lesson {key} is not a SCORM lesson")
    folder = scorm_folder(key)
    files, problems = _scorm_files(data, folder)
    entry = {"id": key, "title": data.title, "type": "scorm", "path": folder, "required": data.required}
    entry.update({name: value for name, value in (("item", data.item.strip()),
                                                  ("description", data.description.strip())) if value})
    _spec, found = manifest.lesson_entry(entry, before.taken(key if old else ""), file="")
    problems = found + problems
    if not 0 <= data.section < len(before.sections):
        problems.append(_problem("section", "no such section"))
    lesson_type = lesson_types().get("scorm")
    invalid = [_field_problem(m) for m in lesson_type.validate(entry)]
    problems += invalid
    if files and not invalid and not problems:
        problems += _file_problems(lesson_type, entry, StoredFiles(before.version, files, without=folder))
    after = _begin(course, before, problems, check_only)
    if after is None:
        return before.version
    return _store_scorm(after, key, entry, data, files, folder)


def _scorm_files(data: ScormUpload, folder: str) -> tuple[dict[str, bytes], list[Problem]]:
    """The zip's files under the lesson's folder (a single top folder holding the manifest is
    dropped), or the problems of the archive and of each file."""
    from lms.packages.archive import read_files
    from lms.scorm.files import web_asset_problems
    from lms.scorm.manifest import MANIFEST

    found, problems = read_files(data.archive, file=data.filename or "package.zip")
    if found is None:
        return {}, [_problem("package", str(p)) for p in problems]
    prefix = ""
    if MANIFEST not in found:
        tops = {name.split("/", 1)[0] for name in found}
        if len(tops) == 1 and f"{next(iter(tops))}/{MANIFEST}" in found:
            prefix = next(iter(tops)) + "/"
        else:
            return {}, [_problem("package", f"{data.filename}: no {MANIFEST} at the root of the zip: "
                                            "not a SCORM package")]
    files = {f"{folder}/{name[len(prefix):]}": content for name, content in found.items() if name.startswith(prefix)}
    problems = [_problem("package", f"{path}: {message}") for path, content in sorted(files.items())
                for message in web_asset_problems(path, content)]
    return files, problems


def _store_scorm(after: Layout, key: str, entry: dict, data: ScormUpload, files: dict[str, bytes],
                 folder: str) -> CourseVersion:
    """Write the files and the lesson to the draft; blobs of a failed commit are removed."""
    version = after.version
    shared = {lesson.data.get("path") for lessons in after.lessons for lesson in lessons if lesson.key != key}
    old_path = next((lesson.data.get("path") for lessons in after.lessons for lesson in lessons
                     if lesson.key == key), None)
    stale = {folder} | ({old_path} if old_path and old_path not in shared else set())
    for asset in db.session.scalars(select(Asset).where(Asset.version_id == version.id)):
        if in_folder(asset.path, stale):
            db.session.delete(asset)
    db.session.flush()
    prepared = lesson_types().get("scorm").prepare(entry, None)
    with asset_store.storing(files) as stored:
        asset_store.add_rows(version, stored)
        try:
            s_index, lesson = after.lesson(key)
        except NotFound:
            s_index, lesson = None, Lesson(version=version, key=key, position=0)
            db.session.add(lesson)
        lesson.title, lesson.type, lesson.required = data.title.strip(), "scorm", data.required
        lesson.data, lesson.source, lesson.body_html = prepared.data, None, ""
        if s_index != data.section:  # new, or moved: at the end of its section
            if s_index is not None:
                after.lessons[s_index].remove(lesson)
            after.lessons[data.section].append(lesson)
        return _finish(after)
