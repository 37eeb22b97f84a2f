"""The ``schedule`` question type: build a project schedule, graded by the critical path.

The learner sees a table of tasks (id, name, duration, predecessors) and fills in, per
task, its earliest start and whether it is critical, plus the project's duration; the
answer is computed with the critical path method (``critical_path.py``), so an author
only writes the tasks. Definition (YAML)::

    type: schedule
    id: jadwal-aplikasi-antrean
    text: Hitung jadwal proyek aplikasi antrean puskesmas berikut.
    unit: hari                         # optional, shown in the headings
    tasks:
      - {id: A, name: Analisis kebutuhan, duration: 3}
      - {id: B, name: Desain tampilan, duration: 2, after: [A]}
      - {id: C, name: Pemrograman, duration: 5, after: [A]}
      - {id: D, name: Uji coba, duration: 2, after: [B, C]}
    ask: [earliest_start, duration, critical]   # optional; also: slack
    weights: {earliest_start: 2}                # optional; each asked part weighs 1 otherwise

The response is ``{"duration": 10, "earliest_start": {"A": 0, ...}, "slack": {...},
"critical": ["A", "C", "D"]}`` (only the asked parts). Grading: each asked part scores
0..1 (duration: right or wrong; earliest start and slack: the share of tasks right;
critical: |chosen ∩ critical| / |chosen ∪ critical|, so ticking every task does not pay),
weighted; the feedback names the tasks to check without giving their values away.

Pages never carry the answer: the table shows only what the author's definition states
(tasks, durations, predecessors), in the author's order.
"""
from __future__ import annotations

import math
import re

from flask import render_template
from markupsafe import Markup

from lms.plugin import Grade, QuestionType, clamp

from .critical_path import MAX_PATHS, MAX_TASKS, Schedule, ScheduleError, analyse, parse_tasks, task_problems
from .i18n import _, _l, _n

#: The parts a definition may ask for, in the order they are graded and described.
PARTS = ("duration", "earliest_start", "slack", "critical")
#: Asked when a definition has no ``ask``.
DEFAULT_ASK = ("earliest_start", "duration", "critical")
MAX_UNIT = 20
MAX_WEIGHT = 100
#: A number as learners type it: whole or with a decimal comma/point, never negative.
_NUMBER = re.compile(r"[0-9]{1,7}(?:[.,][0-9]{1,4})?")
#: Slack for comparing typed numbers to whole-number answers.
_EPSILON = 1e-9


# ----------------------------------------------------------------------------- helpers


def amount(value) -> int | float | None:
    """A non-negative number from a form string or a stored response; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 16 or not _NUMBER.fullmatch(text):
            return None
        value = float(text.replace(",", "."))
    if isinstance(value, int):
        return value if 0 <= value <= 10**9 else None
    if isinstance(value, float) and math.isfinite(value) and 0 <= value <= 1e9:
        return int(value) if value.is_integer() else value
    return None


def _same(value, expected: int) -> bool:
    number = amount(value)
    return number is not None and abs(number - expected) <= _EPSILON


def _shown(value) -> str:
    number = amount(value)
    return "" if number is None else str(number)


def asked(definition: dict) -> tuple[str, ...]:
    """The asked parts of a definition, in PARTS order (the default when `ask` is unusable)."""
    ask = definition.get("ask")
    wanted = {part for part in ask if isinstance(part, str)} & set(PARTS) if isinstance(ask, list) else set()
    return tuple(part for part in PARTS if part in (wanted or DEFAULT_ASK))


def weights(definition: dict) -> dict[str, float]:
    """Each asked part's weight: the definition's, or 1 when missing or unusable."""
    given = definition.get("weights") if isinstance(definition.get("weights"), dict) else {}

    def weight(value) -> float:
        ok = (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
              and 0 < value <= MAX_WEIGHT)
        return float(value) if ok else 1.0

    return {part: weight(given.get(part, 1)) for part in asked(definition)}


def plan_of(definition) -> Schedule | None:
    """The CPM analysis of a definition's tasks; None when they cannot be scheduled."""
    if not isinstance(definition, dict):
        return None
    try:
        return analyse(parse_tasks(definition.get("tasks"), minimum=2))
    except ScheduleError:
        return None


def _with_unit(value, unit: str) -> str:
    return f"{value} {unit}" if unit else str(value)


def _ids(ids) -> str:
    return ", ".join(ids)


def _chosen(response: dict, plan: Schedule) -> list[str]:
    """The known task ids in a response's critical list, in the author's order."""
    sent = response.get("critical")
    picked = {item for item in sent if isinstance(item, str)} if isinstance(sent, (list, tuple)) else set()
    return [t.id for t in plan.tasks if t.id in picked]


# --------------------------------------------------------------------------- the type


class ScheduleQuestion(QuestionType):
    """Earliest starts, slack, critical tasks and project duration of a task network."""

    key = "schedule"
    label = _l("Schedule (critical path)")
    manual = False

    # ---------------------------------------------------------------- validate

    def validate(self, definition) -> list[str]:
        if not isinstance(definition, dict):
            return ["definition: must be a mapping"]
        problems = task_problems(definition.get("tasks"), "tasks", minimum=2)
        ask = definition.get("ask")
        parts = set(DEFAULT_ASK)
        if ask is not None:
            if not isinstance(ask, list) or not ask:
                problems.append(f"ask: must be a list of one or more of {', '.join(PARTS)}")
                ask = []
            seen: set = set()
            for i, part in enumerate(ask):
                if part not in PARTS:
                    problems.append(f"ask[{i}]: unknown part {part!r}; known: {', '.join(PARTS)}")
                elif part in seen:
                    problems.append(f"ask[{i}]: {part!r} is asked twice")
                seen.add(part if isinstance(part, str) else repr(part))
            parts = {p for p in ask if p in PARTS} or parts
        given = definition.get("weights")
        if given is not None:
            if not isinstance(given, dict):
                problems.append("weights: must be a mapping such as {earliest_start: 2}")
            else:
                for part, weight in given.items():
                    if part not in PARTS:
                        problems.append(f"weights.{part}: unknown part; known: {', '.join(PARTS)}")
                    elif part not in parts:
                        problems.append(f"weights.{part}: this part is not asked (see ask)")
                    elif (isinstance(weight, bool) or not isinstance(weight, (int, float))
                          or not math.isfinite(weight) or not 0 < weight <= MAX_WEIGHT):
                        problems.append(f"weights.{part}: must be a number above 0 (at most {MAX_WEIGHT})")
        unit = definition.get("unit")
        if unit is not None and (not isinstance(unit, str) or len(unit) > MAX_UNIT):
            problems.append(f"unit: must be text of at most {MAX_UNIT} characters, such as hari")
        return problems

    # ---------------------------------------------------------------- render

    def render(self, definition, name, response, rng):
        """A table a phone can scroll: one row per task with its inputs; no script needed.

        Drawn by ``templates/project_management/schedule.html``, which gets only what the
        definition states and the learner's saved response (to pre-fill), never the answer.
        """
        given = response if isinstance(response, dict) else {}
        starts = given.get("earliest_start") if isinstance(given.get("earliest_start"), dict) else {}
        slacks = given.get("slack") if isinstance(given.get("slack"), dict) else {}
        critical = given.get("critical") if isinstance(given.get("critical"), (list, tuple)) else []
        critical = {item for item in critical if isinstance(item, str)}
        rows = []
        for task in [t for t in definition.get("tasks") or [] if isinstance(t, dict)][:MAX_TASKS]:
            task_id = str(task.get("id", ""))
            rows.append({
                "id": task_id,
                "name": task.get("name") or "",
                "duration": task.get("duration", ""),
                "after": ", ".join(str(d) for d in task.get("after") or [] if isinstance(d, str)),
                "es": _shown(starts.get(task_id)),
                "slack": _shown(slacks.get(task_id)),
                "critical": task_id in critical,
            })
        # bandit B704: autoescaped template
        return Markup(render_template(  # nosec B704
            "project_management/schedule.html", name=name, parts=asked(definition),
            unit=definition.get("unit") or "", tasks=rows, duration=_shown(given.get("duration")), pm_=_))

    # ---------------------------------------------------------------- responses

    def parse_response(self, definition, form, name):
        """Only known tasks and well-formed numbers are kept; None when nothing was filled in."""
        try:
            return self._parse(definition, form, name)
        except Exception:  # a hostile form or a broken snapshot is "unanswered", never a crash
            return None

    def _parse(self, definition, form, name):
        plan = plan_of(definition)
        if plan is None or not isinstance(name, str):
            return None
        parts = asked(definition)
        response: dict = {}
        if "duration" in parts:
            value = amount(_first(form, f"{name}-duration"))
            if value is not None:
                response["duration"] = value
        for part, field in (("earliest_start", "es"), ("slack", "slack")):
            if part in parts:
                values = {}
                for i, task in enumerate(plan.tasks):
                    value = amount(_first(form, f"{name}-{field}-{i}"))
                    if value is not None:
                        values[task.id] = value
                if values:
                    response[part] = values
        chosen: list[str] = []
        if "critical" in parts:
            sent = {v for v in _all(form, f"{name}-critical") if isinstance(v, str)}
            chosen = [t.id for t in plan.tasks if t.id in sent]
        if not response and not chosen:
            return None
        if "critical" in parts:
            response["critical"] = chosen
        return response

    # ---------------------------------------------------------------- grading

    def grade(self, definition, response):
        plan = plan_of(definition)
        if plan is None or not isinstance(response, dict):
            return Grade(0.0)
        weight = weights(definition)
        scores, notes = [], []
        for part in asked(definition):
            score, note = getattr(self, f"_grade_{part}")(plan, response)
            scores.append((weight[part], score))
            notes.append(note)
        total = sum(w for w, _score in scores)
        fraction = sum(w * s for w, s in scores) / total if total else 0.0
        return Grade(clamp(fraction), " ".join(notes))

    def _grade_duration(self, plan: Schedule, response: dict) -> tuple[float, str]:
        value = response.get("duration")
        if amount(value) is None:
            return 0.0, _("Project duration: not answered.")
        if _same(value, plan.duration):
            return 1.0, _("Project duration: right.")
        return 0.0, _("Project duration: not right; it is the latest earliest finish of all tasks.")

    def _grade_earliest_start(self, plan: Schedule, response: dict) -> tuple[float, str]:
        return self._per_task(plan, response.get("earliest_start"), lambda t: t.es,
                              _("Earliest start"))

    def _grade_slack(self, plan: Schedule, response: dict) -> tuple[float, str]:
        return self._per_task(plan, response.get("slack"), lambda t: t.slack, _("Slack"))

    def _per_task(self, plan: Schedule, values, expected, what: str) -> tuple[float, str]:
        values = values if isinstance(values, dict) else {}
        if not any(amount(values.get(t.id)) is not None for t in plan.tasks):
            return 0.0, _("%(what)s: not answered.", what=what)
        wrong = [t.id for t in plan.tasks if not _same(values.get(t.id), expected(plan.times[t.id]))]
        count = len(plan.tasks)
        if not wrong:
            return 1.0, _("%(what)s: all %(num)d tasks right.", what=what, num=count)
        return (count - len(wrong)) / count, _n(
            "%(what)s: %(right)d of %(total)d tasks right; check task %(tasks)s.",
            "%(what)s: %(right)d of %(total)d tasks right; check tasks %(tasks)s.",
            len(wrong), what=what, right=count - len(wrong), total=count, tasks=_ids(wrong))

    def _grade_critical(self, plan: Schedule, response: dict) -> tuple[float, str]:
        chosen = _chosen(response, plan)
        right = set(plan.critical)
        picked = set(chosen)
        score = len(picked & right) / len(picked | right)  # right is never empty
        if score == 1:
            return 1.0, _("Critical tasks: right.")
        notes = []
        missed = [key for key in plan.critical if key not in picked]
        extra = [key for key in chosen if key not in right]
        if missed:
            notes.append(_n("Critical tasks: %(tasks)s is critical too.",
                            "Critical tasks: %(tasks)s are critical too.", len(missed), tasks=_ids(missed)))
        if extra:
            notes.append(_n("%(tasks)s has slack, so it is not critical.",
                            "%(tasks)s have slack, so they are not critical.", len(extra), tasks=_ids(extra)))
        return score, " ".join(notes)

    # ---------------------------------------------------------------- answers

    def correct_response(self, definition):
        plan = plan_of(definition)
        if plan is None:
            return None
        parts = asked(definition)
        answer: dict = {}
        if "duration" in parts:
            answer["duration"] = plan.duration
        if "earliest_start" in parts:
            answer["earliest_start"] = {t.id: plan.times[t.id].es for t in plan.tasks}
        if "slack" in parts:
            answer["slack"] = {t.id: plan.times[t.id].slack for t in plan.tasks}
        if "critical" in parts:
            answer["critical"] = list(plan.critical)
        return answer

    def describe_answer(self, definition):
        plan = plan_of(definition)
        if plan is None:
            return ""
        unit = definition.get("unit") or ""
        paths = plan.critical_paths()
        shown = "; ".join(" → ".join(path) for path in paths)
        if len(paths) >= MAX_PATHS:
            shown += "; …"
        words = [
            _n("Critical path: %(paths)s.", "Critical paths: %(paths)s.", len(paths), paths=shown),
            _("Project duration: %(duration)s.", duration=_with_unit(plan.duration, unit)),
        ]
        parts = asked(definition)
        if "earliest_start" in parts:
            words.append(_("Earliest start: %(values)s.", values=", ".join(
                f"{t.id} {plan.times[t.id].es}" for t in plan.tasks)))
        if "slack" in parts:
            words.append(_("Slack: %(values)s.", values=", ".join(
                f"{t.id} {plan.times[t.id].slack}" for t in plan.tasks)))
        return " ".join(words)


def _first(form, key: str):
    """form.get(key) for a MultiDict or a dict; None for anything else."""
    getter = getattr(form, "get", None)
    value = getter(key) if callable(getter) else None
    return value if isinstance(value, str) else None


def _all(form, key: str) -> list:
    getter = getattr(form, "getlist", None)
    if callable(getter):
        values = getter(key)
        return list(values)[:MAX_TASKS * 2] if isinstance(values, (list, tuple)) else []
    value = _first(form, key)
    return [value] if value is not None else []
