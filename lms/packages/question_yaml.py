"""Read and write question banks as YAML: a list of definitions (docs/questions.md).

Only the bank's shape is checked here (a list of mappings with type, text and a unique
id); each question type validates its own fields. Pure Python: no Flask imports here.
"""
from __future__ import annotations

import yaml

from lms.packages.gift import MAX_CHARS, MAX_QUESTIONS, QUESTION_ID, IdMaker, slug
from lms.packages.manifest import Problem

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    """Never writes anchors/aliases (shared objects are repeated), since the reader refuses them.

    The libyaml emitter when present: exports of large banks spend most of their time here."""

    def ignore_aliases(self, data) -> bool:
        return True


def parse_question_yaml(text: str, file: str = "questions.yaml") -> tuple[list[dict], list[Problem]]:
    """Return the questions and every problem; callers reject a file with problems."""
    if len(text) > MAX_CHARS:
        return [], [Problem(file, "", f"longer than {MAX_CHARS:,} characters")]
    try:
        # Anchors and aliases let a few lines expand into gigabytes ("billion laughs").
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return [], [Problem(file, f"line {event.start_mark.line + 1}",
                                    "YAML anchors and aliases (&name, *name) are not allowed")]
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        message = getattr(error, "problem", None) or str(error)
        return [], [Problem(file, f"line {mark.line + 1}" if mark else "", f"invalid YAML: {message}")]
    if isinstance(data, dict) and "questions" in data:
        data = data["questions"]
    if data is None:
        return [], []
    if not isinstance(data, list):
        return [], [Problem(file, "", "expected a list of questions (or a mapping with questions:)")]
    if len(data) > MAX_QUESTIONS:
        return [], [Problem(file, "", f"more than {MAX_QUESTIONS:,} questions")]
    return _check(data, file)


def _check(data: list, file: str) -> tuple[list[dict], list[Problem]]:
    problems, questions, seen = [], [], {}
    for i, question in enumerate(data):
        where = f"questions[{i}]"
        if not isinstance(question, dict):
            problems.append(Problem(file, where, "must be a mapping with type and text"))
            continue
        for key in ("type", "text"):
            if not isinstance(question.get(key), str) or not question[key].strip():
                problems.append(Problem(file, f"{where}.{key}", "required text"))
        qid = question.get("id")
        if qid is None:
            pass
        elif not isinstance(qid, str) or not QUESTION_ID.fullmatch(qid):
            problems.append(Problem(file, f"{where}.id", "use lowercase letters, digits, '-' and '_' (at most 120)"))
        elif qid in seen:
            problems.append(Problem(file, f"{where}.id", f"{qid!r} is already used at {seen[qid]}"))
        else:
            seen[qid] = where
        questions.append(question)
    ids = IdMaker(seen)
    for question in questions:
        if question.get("id") is None:
            title = question.get("title")
            source = title if isinstance(title, str) and title else question.get("text")
            question["id"] = ids.make(slug(source if isinstance(source, str) else ""))
    return questions, problems


def dump_question_yaml(questions: list[dict]) -> str:
    """Write definitions as YAML that parse_question_yaml reads back unchanged."""
    return yaml.dump(questions, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


def dump_one_question_yaml(question: dict) -> str:
    """One definition as a YAML mapping, for editing a single question."""
    return yaml.dump(question, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


def parse_one_question_yaml(text: str, file: str = "question.yaml") -> tuple[list[dict], list[Problem]]:
    """Read one question written as a mapping (or as a one-item list)."""
    stripped = text.lstrip()
    if stripped and not stripped.startswith(("-", "[", "questions:")):
        text = "questions:\n" + "".join(("  - " if i == 0 else "    ") + line
                                        for i, line in enumerate(text.splitlines(keepends=True)))
    return parse_question_yaml(text, file)
