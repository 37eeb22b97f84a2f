"""The core question types (docs/questions.md), registered through the public hook.

Definitions come from authors' files and responses from learners' browsers, so nothing is
trusted: ``validate`` reports every broken rule instead of raising, ``parse_response`` keeps
only values the definition knows, and ``grade`` treats any other response as wrong. Pages
never carry fractions, feedback or the answer. Matching rights and ordering items are sorted
before shuffling: their author's order *is* the answer, so even a quiz that does not shuffle
(an rng whose shuffle keeps the order, or None) must not show it.
"""
from __future__ import annotations

import math
import re
import unicodedata

from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from lms.hookspecs import LMS_PLUGIN_API, hookimpl
from lms.questions import Grade, QuestionType, clamp

lms_api = LMS_PLUGIN_API

#: How far the right options' fractions of a `multiple` question may miss 1 (0.333 × 3).
SUM_TOLERANCE = 0.001
#: Relative slack for numerical tolerances, so 3.13 is within 0.01 of 3.14 despite binary floats.
FLOAT_SLACK = 1e-12
#: A number as learners type it: "3.14", "3,14", "-2", ".5", "1e3" (no "nan", "inf" or "1_0").
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]{1,4})?")

_ANSWER = _l("Your answer")
_CHOOSE = _l("Choose…")
_POSITION = _l("Position")
_TRUE = _l("True")
_FALSE = _l("False")


# ----------------------------------------------------------------------------- helpers


def number(value) -> float | None:
    """A finite float from an int or float; None for bools, NaN, infinities and huge ints."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:
        return None
    return value if math.isfinite(value) else None


def parse_number(value) -> float | None:
    """A learner's number: an int, a float, or text with "," or "." as the decimal separator."""
    if isinstance(value, str):
        text = value.strip().replace("\u2212", "-")  # phones type a real minus sign
        if len(text) > 64 or not _NUMBER.fullmatch(text):
            return None
        value = float(text.replace(",", "."))
    return number(value)


def normalise_answer(text: str, case_sensitive: bool = False) -> str:
    """Compare short answers as people read them: NFKC, trimmed, single spaces, case-folded."""
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    return text if case_sensitive else unicodedata.normalize("NFKC", text.casefold())


def format_number(value: float) -> str:
    """A number without a needless ".0" and without losing digits (repr round-trips)."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _is_text(value) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _is_index(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fraction(entry: dict) -> float:
    """The fraction of a validated option or answer."""
    return number(entry.get("fraction")) or 0.0


def _arrange(items: list, rng, key) -> list:
    """Items sorted, then shuffled: the page never hints at the author's (answer) order."""
    ordered = sorted(items, key=key)
    if rng is not None:
        rng.shuffle(ordered)
    return ordered


def _attr(flag: bool, name: str) -> Markup:
    # bandit B704: a fixed attribute name
    return Markup(" " + name) if flag else Markup("")  # nosec B704


def _fieldset(key: str, rows: list) -> Markup:
    return Markup('<fieldset class="question-inputs question-{}">\n{}\n</fieldset>').format(
        key, Markup("\n").join(rows))


def _select(name: str, choices: list[tuple[str, str]], chosen, placeholder) -> Markup:
    """A <select> with an empty first choice; `choices` are (value, text)."""
    options = [Markup('<option value="">{}</option>').format(placeholder)]
    options += [Markup('<option value="{}"{}>{}</option>').format(
        value, _attr(value == chosen, "selected"), text) for value, text in choices]
    return Markup('<select name="{}">{}</select>').format(name, Markup("").join(options))


# ---------------------------------------------------------------------- validation


class _Problems(list):
    """Problems of one definition; each check names the field it is about."""

    def entries(self, definition: dict, field: str, minimum: int, what: str) -> list[tuple[int, dict]]:
        """The (index, mapping) entries of a list field; a wrong shape is reported."""
        items = definition.get(field)
        if not isinstance(items, list):
            self.append(f"{field}: must be a list of {what}")
            return []
        if len(items) < minimum:
            self.append(f"{field}: needs at least {minimum}")
        found = []
        for i, item in enumerate(items):
            if isinstance(item, dict):
                found.append((i, item))
            else:
                self.append(f"{field}[{i}]: must be a mapping")
        return found

    def text(self, where: str, value, optional: bool = False) -> bool:
        """Required text must not be blank; optional text may be missing (None) or empty."""
        fine = (value is None or isinstance(value, str)) if optional else _is_text(value)
        if not fine:
            self.append(f"{where}: must be {'text' if optional else 'non-empty text'}")
        return fine

    def fraction(self, where: str, value) -> None:
        value = number(value)
        if value is None:
            self.append(f"{where}: must be a number")
        elif not -1 <= value <= 1:
            self.append(f"{where}: must be between -1 and 1")

    def unique(self, where: str, value, seen: set) -> None:
        if value in seen:
            self.append(f"{where}: duplicate {value!r}")
        seen.add(value)

    def full_credit(self, field: str, entries: list[tuple[int, dict]], what: str) -> None:
        """Some entry must score 1, or no response could (correct_response needs one)."""
        if entries and not any(number(e.get("fraction")) == 1 for _, e in entries):
            self.append(f"{field}: at least one {what} must have fraction 1")


class _CoreType(QuestionType):
    """Shared by the core types: a definition that is not a mapping is one problem, not a crash."""

    def validate(self, definition) -> list[str]:
        if not isinstance(definition, dict):
            return ["definition: must be a mapping"]
        problems = _Problems()
        self.check(definition, problems)
        return list(problems)

    def check(self, definition: dict, problems: _Problems) -> None:
        raise NotImplementedError


# -------------------------------------------------------------------- choice types


class _Choice(_CoreType):
    """`single` and `multiple`: options with an id, a text, a fraction and optional feedback."""

    input_type = "radio"

    def check(self, definition, problems):
        options = problems.entries(definition, "options", 2, "options")
        ids: set = set()
        for i, option in options:
            where = f"options[{i}]"
            if problems.text(f"{where}.id", option.get("id")):
                problems.unique(f"{where}.id", option["id"], ids)
            problems.text(f"{where}.text", option.get("text"))
            problems.fraction(f"{where}.fraction", option.get("fraction"))
            problems.text(f"{where}.feedback", option.get("feedback"), optional=True)
        self.check_fractions(options, problems)

    def check_fractions(self, options, problems):
        raise NotImplementedError

    def chosen_ids(self, response) -> set[str]:
        raise NotImplementedError

    def render(self, definition, name, response, rng):
        options = list(definition["options"])
        if rng is not None:  # None (or an rng that does not shuffle) keeps the author's order
            rng.shuffle(options)
        chosen = self.chosen_ids(response)
        return _fieldset(self.key, [
            Markup('<label class="choice"><input type="{}" name="{}" value="{}"{}> {}</label>').format(
                self.input_type, name, o["id"], _attr(o["id"] in chosen, "checked"), o["text"])
            for o in options])


class SingleChoice(_Choice):
    """One answer from several; partial credit and negative fractions are allowed."""

    key = "single"
    label = _l("Single choice")

    def check_fractions(self, options, problems):
        problems.full_credit("options", options, "option")

    def chosen_ids(self, response):
        return {response} if isinstance(response, str) else set()

    def _option(self, definition, response) -> dict | None:
        if not isinstance(response, str):
            return None
        return next((o for o in definition["options"] if o["id"] == response), None)

    def parse_response(self, definition, form, name):
        value = form.get(name)
        return value if self._option(definition, value) else None

    def grade(self, definition, response):
        option = self._option(definition, response)
        if option is None:
            return Grade(0.0)
        return Grade(clamp(_fraction(option)), option.get("feedback") or "")

    def correct_response(self, definition):
        return next(o["id"] for o in definition["options"] if _fraction(o) == 1)

    def describe_answer(self, definition):
        return " / ".join(o["text"] for o in definition["options"] if _fraction(o) == 1)


class MultipleChoice(_Choice):
    """Several right options; wrong ones may carry negative marks so guessing everything loses."""

    key = "multiple"
    label = _l("Multiple choice")
    input_type = "checkbox"

    def check_fractions(self, options, problems):
        total = sum(f for _, o in options if (f := number(o.get("fraction"))) is not None and f > 0)
        if options and abs(total - 1) > SUM_TOLERANCE:
            problems.append(f"options: the positive fractions must add up to 1 (they add up to {total:g})")

    def chosen_ids(self, response):
        if not isinstance(response, (list, tuple)):
            return set()
        return {item for item in response if isinstance(item, str)}

    def parse_response(self, definition, form, name):
        sent = set(form.getlist(name))
        chosen = [o["id"] for o in definition["options"] if o["id"] in sent]
        return chosen or None

    def grade(self, definition, response):
        ids = self.chosen_ids(response)
        chosen = [o for o in definition["options"] if o["id"] in ids]
        total = sum(_fraction(o) for o in chosen)
        if abs(total - 1) <= SUM_TOLERANCE:  # right options add up to 1 only within the tolerance
            total = 1.0
        return Grade(clamp(total), " ".join(o["feedback"] for o in chosen if o.get("feedback")))

    def correct_response(self, definition):
        return [o["id"] for o in definition["options"] if _fraction(o) > 0]

    def describe_answer(self, definition):
        return ", ".join(o["text"] for o in definition["options"] if _fraction(o) > 0)


class TrueFalse(_CoreType):
    """A statement to judge; always shown as True then False (shuffling would only confuse)."""

    key = "truefalse"
    label = _l("True/false")

    def check(self, definition, problems):
        if not isinstance(definition.get("answer"), bool):
            problems.append("answer: must be true or false")
        for field in ("feedback_true", "feedback_false"):
            problems.text(field, definition.get(field), optional=True)

    def render(self, definition, name, response, rng):
        return _fieldset(self.key, [
            Markup('<label class="choice"><input type="radio" name="{}" value="{}"{}> {}</label>').format(
                name, value, _attr(response is flag, "checked"), text)
            for value, flag, text in (("true", True, _TRUE), ("false", False, _FALSE))])

    def parse_response(self, definition, form, name):
        return {"true": True, "false": False}.get(form.get(name))

    def grade(self, definition, response):
        if not isinstance(response, bool):
            return Grade(0.0)
        feedback = definition.get("feedback_true" if response else "feedback_false") or ""
        return Grade(1.0 if response == definition["answer"] else 0.0, feedback)

    def correct_response(self, definition):
        return definition["answer"]

    def describe_answer(self, definition):
        return str(_TRUE if definition["answer"] else _FALSE)


# ---------------------------------------------------------------------- typed answers


def _text_input(key: str, name: str, value: str, extra: str) -> Markup:
    # bandit B704: a literal template whose .format() escapes the values; `extra` is a fixed
    # attribute string of the calling type, never input.
    return _fieldset(key, [Markup(
        '<label class="answer">{} <input type="text" name="{}" value="{}" autocomplete="off" {}></label>'
    ).format(_ANSWER, name, value, Markup(extra))])  # nosec B704


def _best(answers: list[dict], matches) -> Grade:
    """The best-scoring matching answer (the first on ties) with its feedback; 0 when none."""
    best = max((a for a in answers if matches(a)), key=_fraction, default=None)
    if best is None:
        return Grade(0.0)
    return Grade(clamp(_fraction(best)), best.get("feedback") or "")


class ShortAnswer(_CoreType):
    """A typed word or phrase, compared after normalising space, Unicode form and case."""

    key = "short"
    label = _l("Short answer")

    def check(self, definition, problems):
        answers = problems.entries(definition, "answers", 1, "answers")
        for i, answer in answers:
            problems.text(f"answers[{i}].text", answer.get("text"))
            problems.fraction(f"answers[{i}].fraction", answer.get("fraction"))
            problems.text(f"answers[{i}].feedback", answer.get("feedback"), optional=True)
        problems.full_credit("answers", answers, "answer")
        if not isinstance(definition.get("case_sensitive", False), bool):
            problems.append("case_sensitive: must be true or false")

    def render(self, definition, name, response, rng):
        value = response if isinstance(response, str) else ""
        return _text_input(self.key, name, value, 'autocapitalize="off" spellcheck="false"')

    def parse_response(self, definition, form, name):
        value = form.get(name)
        return (value.strip() or None) if isinstance(value, str) else None

    def grade(self, definition, response):
        if not isinstance(response, str):
            return Grade(0.0)
        case_sensitive = definition.get("case_sensitive") is True
        typed = normalise_answer(response, case_sensitive)
        return _best(definition["answers"],
                     lambda a: typed and normalise_answer(a["text"], case_sensitive) == typed)

    def correct_response(self, definition):
        return next(a["text"] for a in definition["answers"] if _fraction(a) == 1)

    def describe_answer(self, definition):
        return " / ".join(a["text"] for a in definition["answers"] if _fraction(a) == 1)


class Numerical(_CoreType):
    """A number within a tolerance of a value; the best matching answer counts."""

    key = "numerical"
    label = _l("Numerical")

    def check(self, definition, problems):
        answers = problems.entries(definition, "answers", 1, "answers")
        for i, answer in answers:
            if number(answer.get("value")) is None:
                problems.append(f"answers[{i}].value: must be a number")
            tolerance = number(answer.get("tolerance", 0))
            if tolerance is None or tolerance < 0:
                problems.append(f"answers[{i}].tolerance: must be a number of at least 0")
            problems.fraction(f"answers[{i}].fraction", answer.get("fraction"))
            problems.text(f"answers[{i}].feedback", answer.get("feedback"), optional=True)
        problems.full_credit("answers", answers, "answer")

    def render(self, definition, name, response, rng):
        value = parse_number(response)
        shown = response if isinstance(response, str) else ""  # keep what was typed, even "3,1x"
        if value is not None:
            shown = format_number(value)
        return _text_input(self.key, name, shown, 'inputmode="decimal"')

    def parse_response(self, definition, form, name):
        return parse_number(form.get(name))

    def grade(self, definition, response):
        value = parse_number(response)
        if value is None:
            return Grade(0.0)
        return _best(definition["answers"], lambda a: _within(value, a))

    def correct_response(self, definition):
        return number(next(a["value"] for a in definition["answers"] if _fraction(a) == 1))

    def describe_answer(self, definition):
        answer = next(a for a in definition["answers"] if _fraction(a) == 1)
        value, tolerance = number(answer["value"]), number(answer.get("tolerance", 0))
        return format_number(value) + (f" ± {format_number(tolerance)}" if tolerance else "")


def _within(value: float, answer: dict) -> bool:
    target, tolerance = number(answer["value"]), number(answer.get("tolerance", 0)) or 0.0
    return abs(value - target) <= tolerance + FLOAT_SLACK * max(1.0, abs(target))


# --------------------------------------------------------------- matching and ordering


class Matching(_CoreType):
    """Each left matched to one of the rights (shuffled); every correct match counts."""

    key = "matching"
    label = _l("Matching")

    def check(self, definition, problems):
        pairs = problems.entries(definition, "pairs", 2, "pairs")
        lefts: set = set()
        for i, pair in pairs:
            if problems.text(f"pairs[{i}].left", pair.get("left")):
                problems.unique(f"pairs[{i}].left", pair["left"], lefts)
            problems.text(f"pairs[{i}].right", pair.get("right"))

    def render(self, definition, name, response, rng):
        rights = _arrange({p["right"] for p in definition["pairs"]}, rng, key=str)
        chosen = response if isinstance(response, dict) else {}
        return _fieldset(self.key, [
            Markup('<label class="match"><span>{}</span> {}</label>').format(
                pair["left"], _select(f"{name}-{i}", [(r, r) for r in rights], chosen.get(str(i)), _CHOOSE))
            for i, pair in enumerate(definition["pairs"])])

    def parse_response(self, definition, form, name):
        rights = {p["right"] for p in definition["pairs"]}
        sent = ((str(i), form.get(f"{name}-{i}")) for i in range(len(definition["pairs"])))
        return {key: value for key, value in sent if value in rights} or None

    def grade(self, definition, response):
        if not isinstance(response, dict):
            return Grade(0.0)
        pairs = definition["pairs"]
        right = sum(1 for i, pair in enumerate(pairs) if response.get(str(i)) == pair["right"])
        return Grade(right / len(pairs))

    def correct_response(self, definition):
        return {str(i): pair["right"] for i, pair in enumerate(definition["pairs"])}

    def describe_answer(self, definition):
        return "; ".join(f"{p['left']} → {p['right']}" for p in definition["pairs"])


class Ordering(_CoreType):
    """Items to put in order; each item in its right position counts.

    Each shown item carries its text in a hidden field rather than its index: field names
    or values made of definition indexes would give the right order away.
    """

    key = "ordering"
    label = _l("Ordering")

    def check(self, definition, problems):
        items = definition.get("items")
        if not isinstance(items, list):
            problems.append("items: must be a list of texts")
            return
        if len(items) < 2:
            problems.append("items: needs at least 2")
        seen: set = set()
        for i, item in enumerate(items):
            if problems.text(f"items[{i}]", item):
                problems.unique(f"items[{i}]", item, seen)

    def render(self, definition, name, response, rng):
        items = definition["items"]
        positions = [(str(p), str(p)) for p in range(1, len(items) + 1)]
        placed = _positions(response, len(items))
        rows = []
        for k, item in enumerate(_arrange(range(len(items)), rng, key=items.__getitem__)):
            chosen = str(placed[item] + 1) if item in placed else None
            rows.append(Markup(
                '<label class="order-item">{} {}</label><input type="hidden" name="{}-{}-item" value="{}">'
            ).format(_select(f"{name}-{k}", positions, chosen, _POSITION), items[item], name, k, items[item]))
        return _fieldset(self.key, rows)

    def parse_response(self, definition, form, name):
        """The learner's order; a position left empty or chosen for two items stays None."""
        items = definition["items"]
        index = {text: i for i, text in enumerate(items)}
        claims: dict[int, list[int]] = {}
        placed: set[int] = set()
        for k in range(len(items)):
            item = index.get(form.get(f"{name}-{k}-item"))
            position = _position(form.get(f"{name}-{k}"), len(items))
            if item is not None and position is not None and item not in placed:
                placed.add(item)
                claims.setdefault(position, []).append(item)
        order = [c[0] if len(c) == 1 else None for c in (claims.get(p, []) for p in range(len(items)))]
        return order if any(item is not None for item in order) else None

    def grade(self, definition, response):
        if not isinstance(response, (list, tuple)):
            return Grade(0.0)
        count = len(definition["items"])
        right = sum(1 for p, item in enumerate(response[:count]) if _is_index(item) and item == p)
        return Grade(right / count)

    def correct_response(self, definition):
        return list(range(len(definition["items"])))

    def describe_answer(self, definition):
        return " → ".join(definition["items"])


def _position(value, count: int) -> int | None:
    """A 1-based position typed or chosen in the form, as a 0-based index; None if invalid."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 6:
        position = int(value) - 1
        return position if 0 <= position < count else None
    return None


def _positions(response, count: int) -> dict[int, int]:
    """Item index → 0-based position from a saved ordering response (junk ignored)."""
    placed: dict[int, int] = {}
    if isinstance(response, (list, tuple)):
        for position, item in enumerate(response[:count]):
            if _is_index(item) and 0 <= item < count and item not in placed:
                placed[item] = position
    return placed


# ------------------------------------------------------------------------------- essay


class Essay(_CoreType):
    """Free text graded by a person; the rubric is for graders and never rendered."""

    key = "essay"
    label = _l("Essay")
    manual = True

    def check(self, definition, problems):
        problems.text("rubric", definition.get("rubric"), optional=True)
        minimum = definition.get("min_words")
        if minimum is not None and not (_is_index(minimum) and minimum >= 0):
            problems.append("min_words: must be a whole number of at least 0")

    def render(self, definition, name, response, rng):
        text = response if isinstance(response, str) else ""
        rows = [Markup('<label class="essay">{} <textarea name="{}" rows="10">{}</textarea></label>').format(
            _ANSWER, name, text)]
        minimum = definition.get("min_words")
        if minimum:
            rows.append(Markup('<small class="hint">{}</small>').format(
                ngettext("At least %(num)d word.", "At least %(num)d words.", minimum)))
        return _fieldset(self.key, rows)

    def parse_response(self, definition, form, name):
        value = form.get(name)
        return (value.replace("\r\n", "\n").strip() or None) if isinstance(value, str) else None

    def grade(self, definition, response):
        """Waits for a person (None) unless there is nothing to grade, which scores 0."""
        if isinstance(response, str) and response.strip():
            return Grade(None)
        return Grade(0.0)

    def correct_response(self, definition):
        return None

    def describe_answer(self, definition):
        return ""


@hookimpl
def register_question_types():
    return [SingleChoice(), MultipleChoice(), TrueFalse(), ShortAnswer(), Numerical(), Matching(),
            Ordering(), Essay()]
