"""The ``evaluation:`` section of course.yaml (docs/evaluation.md): the course's feedback form.

```yaml
evaluation:
  anonymous: true          # default false
  followup_weeks: 12       # 0: no follow-up; absent: the site default
  questions:               # absent: the default questions
    - {default: relevance}                 # a built-in question, shown in each reader's language
    - {id: narasumber, type: likert, text: "Narasumber menguasai materi.", required: true}
    - {id: saran, type: text, text: "Saran Anda?"}
```
Checked like the rest of the manifest: every problem is named with its field.
"""
from __future__ import annotations

import re

FIELDS = {"enabled", "anonymous", "followup_weeks", "questions"}
QUESTION_FIELDS = {"id", "type", "text", "required", "default"}
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
TYPES = ("likert", "text")
MAX_QUESTIONS, MAX_TEXT, MAX_WEEKS = 30, 500, 104


def parse_evaluation(check, value) -> dict | None:
    """The section as the stored settings ({enabled, anonymous, followup_weeks, questions});
    None when absent. `check` is the manifest's problem collector."""
    if value is None:
        return None
    if not isinstance(value, dict):
        check.add("evaluation", "must be a mapping such as {anonymous: true, followup_weeks: 8}")
        return None
    unknown = sorted(map(str, set(value) - FIELDS))
    if unknown:
        check.add("evaluation", f"unknown field(s): {', '.join(unknown)}")
    result = {"enabled": _flag(check, value, "enabled", True), "anonymous": _flag(check, value, "anonymous", False),
              "followup_weeks": None, "questions": None}
    weeks = value.get("followup_weeks")
    if weeks is not None:
        if isinstance(weeks, bool) or not isinstance(weeks, int) or not 0 <= weeks <= MAX_WEEKS:
            check.add("evaluation.followup_weeks", f"must be a whole number of weeks from 0 to {MAX_WEEKS}")
        else:
            result["followup_weeks"] = weeks
    if "questions" in value:
        result["questions"] = _questions(check, value["questions"])
    return result


def _flag(check, data: dict, key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        check.add(f"evaluation.{key}", "must be true or false")
        return default
    return value


def _questions(check, items) -> list[dict] | None:
    from lms.services.evaluation import BUILTIN

    if not isinstance(items, list) or not 1 <= len(items) <= MAX_QUESTIONS:
        check.add("evaluation.questions", f"must be a list of 1 to {MAX_QUESTIONS} questions")
        return None
    found, seen = [], set()
    for i, item in enumerate(items):
        where = f"evaluation.questions[{i}]"
        if not isinstance(item, dict):
            check.add(where, "must be a mapping such as {id: saran, type: text, text: ...}")
            continue
        unknown = sorted(map(str, set(item) - QUESTION_FIELDS))
        if unknown:
            check.add(where, f"unknown field(s): {', '.join(unknown)}")
        required = item.get("required")
        if required is not None and not isinstance(required, bool):
            check.add(where + ".required", "must be true or false")
            required = None
        if "default" in item:
            key = item["default"]
            if key not in BUILTIN:
                check.add(where + ".default", f"unknown default question; known: {', '.join(BUILTIN)}")
                continue
            kind, builtin_required, _text = BUILTIN[key]
            entry = {"key": key, "kind": kind, "builtin": key,
                     "required": builtin_required if required is None else required}
        else:
            key, kind, text = item.get("id"), item.get("type", "likert"), item.get("text")
            if not isinstance(key, str) or not KEY.match(key):
                check.add(where + ".id", "required: lowercase letters, digits, '-' and '_' (at most 40)")
                continue
            if kind not in TYPES:
                check.add(where + ".type", "must be likert or text")
                continue
            if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
                check.add(where + ".text", f"required, at most {MAX_TEXT} characters")
                continue
            entry = {"key": key, "kind": kind, "required": bool(required), "text": " ".join(text.split())}
        if key in seen:
            check.add(where, f"question {key!r} appears twice")
            continue
        seen.add(key)
        found.append(entry)
    return found


def export_evaluation(settings: dict) -> dict:
    """The course.yaml section for stored settings (import -> export -> import is lossless)."""
    section: dict = {"enabled": settings["enabled"], "anonymous": settings["anonymous"]}
    if settings["followup_weeks"] is not None:
        section["followup_weeks"] = settings["followup_weeks"]
    questions = []
    for item in settings["questions"]:
        if item.get("builtin"):
            questions.append({"default": item["builtin"], "required": bool(item.get("required"))})
        else:
            questions.append({"id": item["key"], "type": item["kind"], "text": item["text"],
                              "required": bool(item.get("required"))})
    section["questions"] = questions
    return section
