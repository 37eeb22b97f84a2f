"""An independent checker of xAPI 1.0.3 statements, for the tests.

``statement.schema.json`` (beside this file) describes the structure; ``problems()`` adds
the rules JSON Schema cannot state: score ``min <= raw <= max`` and ``min < max``,
interaction component ids unique within each list, and a response that only uses ids the
interaction lists. Written from the specification, not from lms.xapi, so a bug in the
builders cannot hide behind the same mistake here.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator

SCHEMA = Path(__file__).with_name("statement.schema.json")
LISTS = ("choices", "scale", "source", "target", "steps")


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def problems(statement) -> list[str]:
    """Every problem with a statement, as "path: message"; empty when it is valid."""
    found = [f"{'/'.join(map(str, error.absolute_path)) or '(statement)'}: {error.message}"
             for error in validator().iter_errors(statement)]
    if found or not isinstance(statement, dict):
        return found
    return _score_problems(statement) + _interaction_problems(statement)


def assert_valid(statement) -> None:
    errors = problems(statement)
    assert not errors, f"invalid xAPI statement {json.dumps(statement)[:300]}: {errors}"


def _score_problems(statement: dict) -> list[str]:
    score = (statement.get("result") or {}).get("score") or {}
    low, raw, high = score.get("min"), score.get("raw"), score.get("max")
    errors = []
    if low is not None and high is not None and not low < high:
        errors.append("result/score: max must be greater than min")
    if raw is not None and low is not None and raw < low:
        errors.append("result/score: raw must be at least min")
    if raw is not None and high is not None and raw > high:
        errors.append("result/score: raw must be at most max")
    return errors


def _interaction_problems(statement: dict) -> list[str]:
    obj = statement.get("object") or {}
    definition = obj.get("definition") or {} if obj.get("objectType", "Activity") == "Activity" else {}
    errors = []
    for name in LISTS:
        ids = [c["id"] for c in definition.get(name, [])]
        if len(ids) != len(set(ids)):
            errors.append(f"object/definition/{name}: component ids must be unique")
    response = (statement.get("result") or {}).get("response")
    kind = definition.get("interactionType")
    if response is not None and kind in ("choice", "sequencing") and "choices" in definition:
        known = {c["id"] for c in definition["choices"]}
        if not set(response.split("[,]")) <= known:
            errors.append("result/response: uses ids that are not among the choices")
    if response is not None and kind == "matching":
        sources = {c["id"] for c in definition.get("source", [])}
        targets = {c["id"] for c in definition.get("target", [])}
        for pair in response.split("[,]"):
            left, _, right = pair.partition("[.]")
            if left not in sources or right not in targets:
                errors.append("result/response: a matching pair is not source[.]target")
    if response is not None and kind == "true-false" and response not in ("true", "false"):
        errors.append("result/response: true-false responses are true or false")
    if response is not None and kind == "numeric":
        try:
            float(response)
        except ValueError:
            errors.append("result/response: numeric responses are numbers")
    return errors
