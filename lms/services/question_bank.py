"""A version's question bank: import and export GIFT/YAML, edit, delete (drafts only)."""
from __future__ import annotations

from sqlalchemy import select

from lms.content import render_markdown
from lms.database import db
from lms.errors import LmsError
from lms.models import Course, CourseVersion, Question, Quiz
from lms.packages.gift import dump_gift
from lms.packages.manifest import Problem
from lms.packages.question_yaml import (dump_one_question_yaml, dump_question_yaml,
                                       parse_one_question_yaml)
from lms.services.courses import PackageInvalid
from lms.services.drafts import editable_version, latest_version
from lms.services.quizzes import QUESTION_FORMATS, definition_problems, parse_question_file

#: Largest question file accepted from the browser (characters).
MAX_FILE_CHARS = 2_000_000


class BankError(LmsError):
    """A bank change that breaks a rule; the message is shown to the author."""


def questions_of(version: CourseVersion) -> list[Question]:
    return list(db.session.scalars(select(Question).where(Question.version_id == version.id)
                                   .order_by(Question.category, Question.key)))


def quizzes_of(version: CourseVersion) -> list[Quiz]:
    return list(db.session.scalars(select(Quiz).where(Quiz.version_id == version.id).order_by(Quiz.id)))


def import_file(course: Course, filename: str, text: str,
                quiz_key: str | None = None) -> tuple[CourseVersion, int, int]:
    """Add or update questions by id from a GIFT/YAML file, all or nothing, in the course's
    draft (created only once the file is known to be valid). Returns (draft, added, updated)."""
    extension = filename[filename.rfind("."):].lower() if "." in filename else ""
    if extension not in QUESTION_FORMATS:
        raise PackageInvalid([Problem(filename, "", "must be a .gift, .txt, .yaml or .yml file")])
    if len(text) > MAX_FILE_CHARS:
        raise PackageInvalid([Problem(filename, "", f"longer than {MAX_FILE_CHARS:,} characters")])
    definitions, problems = parse_question_file(filename, text)
    if problems:
        raise PackageInvalid(problems)
    return store_definitions(course, definitions, {quiz_key: [d["id"] for d in definitions]} if quiz_key else None)


def store_definitions(course: Course, definitions: list[dict],
                      quizzes: dict[str, list[str]] | None = None) -> tuple[CourseVersion, int, int]:
    """Add or update valid definitions by id in the course's draft, and append question ids
    to quizzes ({quiz key: ids}), in one transaction. Unknown quizzes are refused before the
    draft is created, so a refusal writes nothing. Returns (draft, added, updated)."""
    quizzes = quizzes or {}
    latest = latest_version(course)
    for key in quizzes:
        _quiz(latest, key)
    try:
        version = editable_version(course)
        existing = {q.key: q for q in questions_of(version)}
        for definition in definitions:
            _store(version, existing.get(definition["id"]), definition)
        for key, ids in quizzes.items():
            quiz = _quiz(version, key)
            if quiz.question_keys:  # an empty list draws from a category: nothing to append
                quiz.question_keys = quiz.question_keys + [i for i in dict.fromkeys(ids)
                                                           if i not in quiz.question_keys]
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    updated = sum(1 for d in definitions if d["id"] in existing)
    return version, len(definitions) - updated, updated


def _store(version: CourseVersion, question: Question | None, definition: dict) -> Question:
    if question is None:
        question = Question(version_id=version.id, key=definition["id"])
        db.session.add(question)
    question.definition = definition
    question.type = definition["type"]
    question.category = definition.get("category", "")
    question.points = float(definition.get("points", 1))
    question.text_html = render_markdown(str(definition.get("text", "")))
    return question


def export(version: CourseVersion, fmt: str) -> str:
    """The whole bank as GIFT or YAML; re-importing it gives the same questions."""
    definitions = [q.definition for q in questions_of(version)]
    return dump_gift(definitions) if fmt == "gift" else dump_question_yaml(definitions)


def update_question(course: Course, key: str, yaml_text: str) -> CourseVersion:
    """Replace one question's definition from YAML in the draft (its id cannot change)."""
    _question(latest_version(course), key)
    definitions, problems = parse_one_question_yaml(yaml_text, f"{key}.yaml")
    if not problems and len(definitions) != 1:
        problems = [Problem(f"{key}.yaml", "", "must hold exactly one question")]
    if not problems and definitions[0].get("id") != key:
        problems = [Problem(f"{key}.yaml", "id", f"must stay {key!r}")]
    problems = problems or definition_problems(f"{key}.yaml", definitions)
    if problems:
        raise PackageInvalid(problems)
    version = editable_version(course)
    _store(version, _question(version, key), definitions[0])
    db.session.commit()
    return version


def delete_question(course: Course, key: str) -> CourseVersion:
    """Remove a question from the draft (and from the quizzes listing it); no quiz may end
    up empty. Checked on the latest version first, so a refusal writes nothing."""
    _check_delete(latest_version(course), key)
    version = editable_version(course)
    question = _question(version, key)
    for quiz in quizzes_of(version):
        if key in quiz.question_keys:
            quiz.question_keys = [k for k in quiz.question_keys if k != key]
    db.session.delete(question)
    db.session.commit()
    return version


def _check_delete(version: CourseVersion, key: str) -> None:
    _question(version, key)
    for quiz in quizzes_of(version):
        if quiz.question_keys == [key]:
            raise BankError(f"quiz {quiz.key!r} would have no question left")


def question_yaml(question: Question) -> str:
    return dump_one_question_yaml(question.definition)


def _question(version: CourseVersion, key: str) -> Question:
    question = db.session.scalar(select(Question).where(Question.version_id == version.id, Question.key == key))
    if question is None:
        raise BankError(f"no question {key!r} in version {version.number}")
    return question


def _quiz(version: CourseVersion, key: str) -> Quiz:
    quiz = db.session.scalar(select(Quiz).where(Quiz.version_id == version.id, Quiz.key == key))
    if quiz is None:
        raise BankError(f"no quiz {key!r} in version {version.number}")
    return quiz
