"""Quizzes in course versions: reading quiz files at import, and which quizzes a learner passed."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import or_, select

from lms.content import render_markdown
from lms.database import db
from lms.models import (Attempt, AttemptState, CourseVersion, Enrollment, GradingMethod, Question,
                        Quiz, Section)
from lms.packages.gift import QUESTION_ID
from lms.packages.manifest import Problem, QuizSpec
from lms.registry import question_types

#: Question-file readers by extension; each returns (definitions, problems).
QUESTION_FORMATS = {".gift": "gift", ".txt": "gift", ".yaml": "yaml", ".yml": "yaml"}


def parse_question_file(file: str, text: str) -> tuple[list[dict], list[Problem]]:
    """Read a GIFT or YAML question file and validate every definition with its type."""
    from lms.packages.gift import parse_gift
    from lms.packages.question_yaml import parse_question_yaml

    fmt = QUESTION_FORMATS.get(file[file.rfind("."):].lower())
    parse = parse_gift if fmt == "gift" else parse_question_yaml
    definitions, problems = parse(text, file)
    return definitions, problems + definition_problems(file, definitions)


def definition_problems(file: str, definitions: list[dict]) -> list[Problem]:
    """Type-specific problems of parsed definitions, each naming the question."""
    registry = question_types()
    problems = []
    for index, definition in enumerate(definitions):
        where = f"question {definition.get('id') or index + 1}"
        problems += [Problem(file, where, message) for message in shared_problems(definition)]
        kind = definition.get("type")
        if kind not in registry:
            problems.append(Problem(file, where, f"unknown question type {kind!r}; known: "
                                                 f"{', '.join(registry.keys())}"))
            continue
        problems += [Problem(file, where, message) for message in registry.get(kind).validate(definition)]
    return problems


def shared_problems(definition: dict) -> list[str]:
    """Rules for the keys every question has, whatever its type."""
    problems = []
    if not isinstance(definition.get("id"), str) or not QUESTION_ID.match(definition["id"]):
        problems.append("id: use lowercase letters, digits, '-' and '_' (at most 120)")
    if not isinstance(definition.get("text"), str) or not definition["text"].strip():
        problems.append("text: required")
    points = definition.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 < points <= 1000:
        problems.append("points: must be a number above 0 (at most 1000)")
    return problems


def quiz_problems(spec_quizzes: list[QuizSpec], bodies: dict[str, str]) -> tuple[dict, list[Problem]]:
    """Parse every quiz's file once: ({file: definitions}, problems), keys unique per version."""
    parsed: dict[str, list[dict]] = {}
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    for quiz in spec_quizzes:
        if not quiz.file or quiz.file not in bodies:
            problems.append(Problem("course.yaml", f"quiz {quiz.id}", "a question file is required"))
            continue
        if quiz.file not in parsed:
            parsed[quiz.file], found = parse_question_file(quiz.file, bodies[quiz.file])
            problems += found
            for definition in parsed[quiz.file]:
                key = definition.get("id", "")
                if key in owner and owner[key] != quiz.file:
                    problems.append(Problem(quiz.file, f"question {key}", f"id already used in {owner[key]}"))
                owner[key] = quiz.file
        problems += selection_problems(quiz, parsed[quiz.file])
    return parsed, problems


def selection_problems(quiz: QuizSpec, definitions: list[dict]) -> list[Problem]:
    pool = [d for d in definitions if not quiz.category or d.get("category", "").startswith(quiz.category)]
    if not pool:
        return [Problem(quiz.file or "course.yaml", "", f"quiz {quiz.id!r} has no questions")]
    if quiz.draw and quiz.draw > len(pool):
        return [Problem("course.yaml", f"quiz {quiz.id}.draw",
                        f"draws {quiz.draw} questions but only {len(pool)} match")]
    return []


def add_quizzes(version: CourseVersion, section: Section, quizzes: list[QuizSpec],
                parsed: dict[str, list[dict]], stored: set[str]) -> None:
    """Create the section's quizzes and their questions (each question once per version)."""
    for spec in quizzes:
        definitions = parsed[spec.file]
        for definition in definitions:
            if definition["id"] not in stored:
                stored.add(definition["id"])
                db.session.add(Question(version=version, key=definition["id"],
                                        category=definition.get("category", ""),
                                        type=definition["type"],
                                        points=float(definition.get("points", 1)), definition=definition,
                                        text_html=render_markdown(str(definition.get("text", "")))))
        keys = [] if spec.category else [d["id"] for d in definitions]
        db.session.add(Quiz(
            version=version, section=section, key=spec.id, title=spec.title, required=spec.required,
            pass_mark=spec.pass_mark, time_limit=spec.time_limit, max_attempts=spec.max_attempts,
            attempt_delay=spec.delay, grading_method=GradingMethod(spec.grading),
            shuffle_questions=spec.shuffle_questions, shuffle_options=spec.shuffle_options,
            draw_count=spec.draw, question_keys=keys, draw_category=spec.category, review=spec.review))


# ------------------------------------------------------------------------ reading


def quizzes_of(version: CourseVersion) -> list[Quiz]:
    """The version's quizzes in section order (one query)."""
    return list(db.session.scalars(
        select(Quiz).join(Section, Section.id == Quiz.section_id)
        .where(Quiz.version_id == version.id).order_by(Section.position, Quiz.id)))


def by_version(version_ids: list[int]) -> dict[int, list[Quiz]]:
    """{version id: its quizzes} for many versions at once (one query)."""
    grouped: dict[int, list[Quiz]] = defaultdict(list)
    if version_ids:
        for quiz in db.session.scalars(select(Quiz).join(Section, Section.id == Quiz.section_id)
                                       .where(Quiz.version_id.in_(version_ids))
                                       .order_by(Section.position, Quiz.id)):
            grouped[quiz.version_id].append(quiz)
    return grouped


def by_section(version: CourseVersion) -> dict[int, list[Quiz]]:
    """{section id: its quizzes}, for outlines (one query)."""
    grouped: dict[int, list[Quiz]] = defaultdict(list)
    for quiz in quizzes_of(version):
        grouped[quiz.section_id].append(quiz)
    return grouped


def required_quiz_keys(version: CourseVersion) -> frozenset[str]:
    return frozenset(db.session.scalars(
        select(Quiz.key).where(Quiz.version_id == version.id, Quiz.required.is_(True))))


def in_current_cycle(user_id: int, course_id: int):
    """SQL condition on Attempt: not left from before a recertification restarted the
    enrolment (``Enrollment.cycle_started_at``); an open attempt always counts."""
    cycle = (select(Enrollment.cycle_started_at)
             .where(Enrollment.user_id == user_id, Enrollment.course_id == course_id)
             .scalar_subquery())
    return or_(cycle.is_(None), Attempt.started_at >= cycle, Attempt.state == AttemptState.OPEN)


def best_scores(user_id: int, course_id: int, quizzes: list[Quiz]) -> dict[str, float]:
    """{quiz key: the score that counts} by each quiz's grading method, in one query."""
    scores: dict[str, list[float]] = defaultdict(list)
    rows = db.session.execute(
        select(Attempt.quiz_key, Attempt.score).where(
            Attempt.user_id == user_id, Attempt.course_id == course_id,
            Attempt.state == AttemptState.GRADED, in_current_cycle(user_id, course_id))
        .order_by(Attempt.number))
    for key, score in rows:
        scores[key].append(score)
    counted = {}
    for quiz in quizzes:
        if scores.get(quiz.key):
            counted[quiz.key] = _by_method(quiz.grading_method, scores[quiz.key])
    return counted


def _by_method(method: GradingMethod, scores: list[float]) -> float:
    if method == GradingMethod.LAST:
        return scores[-1]
    if method == GradingMethod.AVERAGE:
        return sum(scores) / len(scores)
    return max(scores)


def passed_quiz_keys(user_id: int, course_id: int, version: CourseVersion) -> frozenset[str]:
    """Keys of the version's quizzes the learner passed (by grading method and pass mark)."""
    quizzes = quizzes_of(version)
    counted = best_scores(user_id, course_id, quizzes)
    return frozenset(q.key for q in quizzes if q.key in counted and counted[q.key] >= q.pass_mark)
