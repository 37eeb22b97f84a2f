"""The `letter` question type: draft an official letter, graded against required elements.

A learner reads a scenario and types a whole naskah dinas (surat undangan, nota dinas, ...)
into a large text box. The grader looks for the elements the author listed (kop, nomor,
hal, alamat tujuan, penutup, tembusan, ...), each worth some points, and subtracts a penalty
for every forbidden phrase found (informal words such as "gue" or "bro"). Definition::

    type: letter
    id: undangan-rakor
    text: Susunlah surat undangan rapat koordinasi ...   # the task (Markdown)
    scenario: |                  # optional: the situation, shown above the text box
      Kepala Dinas Kominfo Kota ... mengundang ...
    elements:                    # at least one; each needs any, all and/or pattern
      - name: Nomor surat        # shown in feedback (and in the checklist, if shown)
        points: 2                # weight, default 1
        any: [nomor, "no."]      # at least one phrase must appear (case/space-insensitive)
        all: [nomor]             # optional: every phrase must appear
        pattern: '\\d{1,5}/\\d{1,5}'  # a bounded regular expression, searched line by line
        hint: Tulis nomor ...    # feedback when the element is missing
    forbidden:                   # optional: phrases that cost points
      - gue                      # shorthand: penalty = default_penalty
      - {phrase: bro, penalty: 0.2, hint: Gunakan bahasa baku.}
    default_penalty: 0.1         # optional, 0..1 of the question, default 0.1
    min_words: 60                # optional: shorter letters get a proportional share
    show_checklist: false        # optional: show the element names to the learner
    model_answer: |              # required: a letter that scores 100% (checked at import)
      ...

Everything a learner sends is untrusted: responses are capped at ``MAX_RESPONSE_CHARS`` and
patterns are refused unless their backtracking is bounded (see ``pattern_problems``; each
pattern and all of a question's patterns together have a budget), and patterns are searched
in short windows of the text, so a hostile letter cannot make grading slow. Every check
given for an element must pass (any, all and pattern). Phrases match whole words only
("bro" does not match "brosur").
"""
from __future__ import annotations

import math
import re
import unicodedata
import warnings
from dataclasses import dataclass

from flask import render_template
from markupsafe import Markup

from lms.plugin import Grade, QuestionType, clamp
from lms_eoffice.i18n import _, _l, _n

#: Longest letter kept (characters); longer responses are cut before grading or saving.
MAX_RESPONSE_CHARS = 8000
#: Longest pattern an author may write.
MAX_PATTERN_CHARS = 200
#: Longest phrase, and most phrases per list / elements / forbidden entries.
MAX_PHRASE_CHARS = 200
MAX_PHRASES = 50
MAX_ELEMENTS = 50
MAX_FORBIDDEN = 100
#: Patterns are searched in windows of this many characters (each line, long lines in
#: overlapping pieces), so an open-ended repeat never scans more than this.
WINDOW = 200
#: Long lines are cut into windows starting every STEP characters: any match up to
#: WINDOW - STEP characters long is always inside one window.
STEP = 100
#: Upper bound of the backtracking a pattern may cause per starting position: the product
#: of the choices of every repeat (an open-ended repeat counts as WINDOW choices).
MAX_PATTERN_COST = 1000
#: The same bound for all the patterns of one question together.
MAX_TOTAL_PATTERN_COST = 3000
#: A bounded repeat {m,n} may not allow more than this many lengths.
MAX_REPEAT_SPAN = 100
DEFAULT_PENALTY = 0.1
MAX_POINTS = 100

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_QUANTIFIER = re.compile(r"\{(\d{0,6})(,?)(\d{0,6})\}")

# ---------------------------------------------------------------------- text helpers


def normalise(text: str) -> str:
    """Compare phrases as people read them: NFKC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def clean_response(value) -> str | None:
    """A learner's letter: text only, line ends unified, control characters dropped, capped."""
    if not isinstance(value, str):
        return None
    text = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))[:MAX_RESPONSE_CHARS]
    return text.strip() or None


def _phrase_regex(phrase: str) -> re.Pattern:
    """A normalised phrase as a whole-word search (no repeats: linear time)."""
    text = normalise(phrase)
    head = r"(?<!\w)" if text[:1].isalnum() or text[:1] == "_" else ""
    tail = r"(?!\w)" if text[-1:].isalnum() or text[-1:] == "_" else ""
    return re.compile(head + re.escape(text) + tail)


def _contains(normalised_text: str, phrase: str) -> bool:
    return _phrase_regex(phrase).search(normalised_text) is not None


def windows(text: str) -> list[str]:
    """The pieces a pattern is searched in: every line, long lines in overlapping windows."""
    pieces = []
    for line in text.split("\n"):
        if len(line) <= WINDOW:
            pieces.append(line)
            continue
        start = 0
        while True:
            pieces.append(line[start:start + WINDOW])
            if start + WINDOW >= len(line):
                break
            start += STEP
    return pieces


# ---------------------------------------------------------------------- patterns


def pattern_problems(pattern: str) -> list[str]:
    """Why a pattern is unsafe or invalid (empty when it may be used).

    Refused: longer than MAX_PATTERN_CHARS, not compilable, backreferences, verbose mode,
    a repeated group that itself contains a repeat or an alternation (the classic
    catastrophic shapes such as ``(a+)+`` or ``(a|a)*``), and patterns whose repeats
    together allow more than MAX_PATTERN_COST choices per starting position.
    """
    if len(pattern) > MAX_PATTERN_CHARS:
        return [f"at most {MAX_PATTERN_CHARS} characters"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. FutureWarning "possible nested set"
            re.compile(pattern, re.IGNORECASE)
    except (re.error, OverflowError, RecursionError, ValueError, Warning) as error:
        return [f"invalid regular expression: {error}"]
    problem, cost = _scan(pattern)
    if problem:
        return [problem]
    if cost > MAX_PATTERN_COST:
        return [(f"allows too much backtracking (about {cost:,} tries per position, at most "
                 f"{MAX_PATTERN_COST:,}): use at most one open-ended repeat (*, +, {{n,}}) and "
                 f"small bounded repeats such as {{1,10}}")]
    return []


@dataclass
class _Group:
    has_repeat: bool = False
    has_alternation: bool = False


def pattern_cost(pattern: str) -> int:
    """The product of the choices of a pattern's repeats (open-ended ones count WINDOW)."""
    return _scan(pattern)[1]


def _scan(pattern: str) -> tuple[str, int]:
    """Walk a (compilable) pattern: (a problem or "", the product of the repeats' choices)."""
    cost = 1
    stack = [_Group()]
    last_group: _Group | None = None  # the group just closed, if the previous atom was one
    atom = False  # is there something a quantifier could apply to
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\":
            following = pattern[i + 1:i + 2]
            if following.isdigit() and following != "0":
                return "backreferences (\\1 ...) are not allowed", cost
            i, atom, last_group = i + 2, True, None
            continue
        if char == "[":
            i, atom, last_group = _class_end(pattern, i), True, None
            continue
        if char == "(":
            if pattern.startswith("(?P=", i):
                return "backreferences ((?P=name)) are not allowed", cost
            flags = re.match(r"\(\?([a-zA-Z]*)[):-]", pattern[i:])
            if flags and "x" in flags.group(1):
                return "verbose mode (?x) is not allowed", cost
            stack.append(_Group())
            i, atom, last_group = i + 1, False, None
            continue
        if char == ")":
            closed = stack.pop() if len(stack) > 1 else _Group()
            stack[-1].has_repeat |= closed.has_repeat
            i, atom, last_group = i + 1, True, closed
            continue
        if char == "|":
            stack[-1].has_alternation = True
            i, atom, last_group = i + 1, False, None
            continue
        quantifier = _quantifier(pattern, i) if atom else None
        if quantifier is None:
            i, atom, last_group = i + 1, True, None
            continue
        length, choices, repeats = quantifier
        if last_group is not None and repeats and (last_group.has_repeat or last_group.has_alternation):
            return "a repeated group may not contain another repeat or '|' (nested repetition)", cost
        stack[-1].has_repeat = True
        cost = min(cost * choices, 10**12)
        i += length
        if pattern[i:i + 1] in ("?", "+"):  # lazy or possessive: same number of choices
            i += 1
        atom, last_group = False, None
    return "", cost


def _class_end(pattern: str, start: int) -> int:
    """Index just after the character class opening at `start`."""
    i = start + 1
    if pattern[i:i + 1] == "^":
        i += 1
    if pattern[i:i + 1] == "]":  # a leading ] is a literal
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1


def _quantifier(pattern: str, i: int) -> tuple[int, int, bool] | None:
    """(length, number of choices, repeats more than optionally) of a quantifier at i."""
    char = pattern[i]
    if char in "*+":
        return 1, WINDOW, True
    if char == "?":
        return 1, 2, False
    if char == "{":
        match = _QUANTIFIER.match(pattern, i)
        if not match or (not match.group(1) and not match.group(3) and not match.group(2)):
            return None  # a literal "{"
        low = int(match.group(1) or 0)
        if not match.group(2):  # {m}: exactly m, no choice to backtrack over
            return match.end() - i, 1, low > 1
        if not match.group(3):  # {m,}: open-ended
            return match.end() - i, WINDOW, True
        high = int(match.group(3))
        span = high - low + 1
        if span > MAX_REPEAT_SPAN:
            return match.end() - i, WINDOW, True
        return match.end() - i, max(span, 1), high > 1
    return None


def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


# ---------------------------------------------------------------------- the type


def _is_text(value) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _forbidden_entries(definition: dict) -> list[dict]:
    """Forbidden entries as mappings (a plain string is shorthand for {phrase: ...})."""
    default = definition.get("default_penalty", DEFAULT_PENALTY)
    entries = []
    for entry in definition.get("forbidden") or []:
        if isinstance(entry, str):
            entry = {"phrase": entry}
        entries.append({"phrase": entry["phrase"], "penalty": entry.get("penalty", default),
                        "hint": entry.get("hint") or ""})
    return entries


@dataclass(frozen=True)
class Check:
    """What grading found in one letter (also used to check the model answer)."""

    fraction: float
    found: list[str]
    missing: list[tuple[str, str]]  # (name, hint)
    forbidden: list[tuple[str, float, str]]  # (phrase, penalty, hint)
    words: int
    minimum: int


def check_letter(definition: dict, text: str) -> Check:
    """Grade a letter against a valid definition (no messages: see LetterQuestion.grade)."""
    # NFKC can lengthen text (one character may become 18): cap again after normalising
    text = unicodedata.normalize("NFKC", text[:MAX_RESPONSE_CHARS])[:MAX_RESPONSE_CHARS]
    flat = normalise(text)
    pieces = None
    earned = total = 0.0
    found, missing = [], []
    for element in definition["elements"]:
        points = float(element.get("points", 1))
        total += points
        ok = True
        if element.get("any"):
            ok = any(_contains(flat, phrase) for phrase in element["any"])
        if ok and element.get("all"):
            ok = all(_contains(flat, phrase) for phrase in element["all"])
        if ok and element.get("pattern"):
            if pieces is None:
                pieces = windows(text)
            regex = _compiled(element["pattern"])
            ok = any(regex.search(piece) for piece in pieces)
        if ok:
            earned += points
            found.append(element["name"])
        else:
            missing.append((element["name"], element.get("hint") or ""))
    forbidden = [(e["phrase"], float(e["penalty"]), e["hint"]) for e in _forbidden_entries(definition)
                 if _contains(flat, e["phrase"])]
    fraction = earned / total if total else 0.0
    words = len(text.split())
    minimum = definition.get("min_words") or 0
    if minimum and words < minimum:
        fraction *= words / minimum
    fraction -= sum(penalty for _, penalty, _ in forbidden)
    return Check(clamp(fraction), found, missing, forbidden, words, minimum)


class LetterQuestion(QuestionType):
    """Draft a naskah dinas; graded by the weighted share of required elements found."""

    key = "letter"
    label = _l("Letter drafting")
    manual = False

    # ------------------------------------------------------------ validation

    def validate(self, definition) -> list[str]:
        if not isinstance(definition, dict):
            return ["definition: must be a mapping"]
        problems: list[str] = []
        scenario = definition.get("scenario")
        if scenario is not None and not isinstance(scenario, str):
            problems.append("scenario: must be text")
        self._check_elements(definition, problems)
        self._check_forbidden(definition, problems)
        minimum = definition.get("min_words")
        if minimum is not None and not (isinstance(minimum, int) and not isinstance(minimum, bool)
                                        and 0 <= minimum <= 2000):
            problems.append("min_words: must be a whole number from 0 to 2000")
        if not isinstance(definition.get("show_checklist", False), bool):
            problems.append("show_checklist: must be true or false")
        model = definition.get("model_answer")
        if not _is_text(model):
            problems.append("model_answer: required text (a letter that scores 100%)")
        elif len(model) > MAX_RESPONSE_CHARS:
            problems.append(f"model_answer: at most {MAX_RESPONSE_CHARS} characters")
        elif not problems:
            result = check_letter(definition, model)
            if result.fraction < 1:
                details = [f"missing {name!r}" for name, _ in result.missing]
                details += [f"contains forbidden {phrase!r}" for phrase, _, _ in result.forbidden]
                if result.minimum and result.words < result.minimum:
                    details.append(f"{result.words} words, fewer than min_words {result.minimum}")
                problems.append(f"model_answer: scores {result.fraction:.0%}, not 100% ("
                                + "; ".join(details) + ")")
        return problems

    def _check_elements(self, definition: dict, problems: list[str]) -> None:
        elements = definition.get("elements")
        if not isinstance(elements, list) or not elements:
            problems.append("elements: must be a non-empty list of elements")
            return
        if len(elements) > MAX_ELEMENTS:
            problems.append(f"elements: at most {MAX_ELEMENTS}")
        names: set = set()
        total_cost = 0
        for i, element in enumerate(elements):
            where = f"elements[{i}]"
            if not isinstance(element, dict):
                problems.append(f"{where}: must be a mapping")
                continue
            name = element.get("name")
            if not _is_text(name) or len(name) > MAX_PHRASE_CHARS:
                problems.append(f"{where}.name: must be non-empty text (at most {MAX_PHRASE_CHARS} characters)")
            elif name in names:
                problems.append(f"{where}.name: duplicate {name!r}")
            else:
                names.add(name)
            points = element.get("points", 1)
            if not _is_number(points) or not 0 < points <= MAX_POINTS:
                problems.append(f"{where}.points: must be a number above 0 (at most {MAX_POINTS})")
            checks = 0
            for field in ("any", "all"):
                if element.get(field) is None:
                    continue
                checks += 1
                self._check_phrases(f"{where}.{field}", element[field], problems)
            pattern = element.get("pattern")
            if pattern is not None:
                checks += 1
                if not _is_text(pattern):
                    problems.append(f"{where}.pattern: must be non-empty text")
                elif found := pattern_problems(pattern):
                    problems += [f"{where}.pattern: {p}" for p in found]
                else:
                    total_cost += pattern_cost(pattern)
            if not checks:
                problems.append(f"{where}: needs at least one check: any, all or pattern")
            hint = element.get("hint")
            if hint is not None and not isinstance(hint, str):
                problems.append(f"{where}.hint: must be text")
        if total_cost > MAX_TOTAL_PATTERN_COST:
            problems.append(f"elements: the patterns together allow too much backtracking (about "
                            f"{total_cost:,} tries per position, at most {MAX_TOTAL_PATTERN_COST:,}): "
                            f"use fewer or tighter patterns, or phrases (any, all)")

    @staticmethod
    def _check_phrases(where: str, phrases, problems: list[str]) -> None:
        if not isinstance(phrases, list) or not phrases:
            problems.append(f"{where}: must be a non-empty list of phrases")
            return
        if len(phrases) > MAX_PHRASES:
            problems.append(f"{where}: at most {MAX_PHRASES} phrases")
        for j, phrase in enumerate(phrases):
            if not _is_text(phrase) or len(phrase) > MAX_PHRASE_CHARS:
                problems.append(f"{where}[{j}]: must be non-empty text (at most {MAX_PHRASE_CHARS} characters)")

    def _check_forbidden(self, definition: dict, problems: list[str]) -> None:
        default = definition.get("default_penalty", DEFAULT_PENALTY)
        if not _is_number(default) or not 0 <= default <= 1:
            problems.append("default_penalty: must be a number from 0 to 1")
        forbidden = definition.get("forbidden")
        if forbidden is None:
            return
        if not isinstance(forbidden, list):
            problems.append("forbidden: must be a list of phrases or {phrase, penalty, hint} mappings")
            return
        if len(forbidden) > MAX_FORBIDDEN:
            problems.append(f"forbidden: at most {MAX_FORBIDDEN} entries")
        for i, entry in enumerate(forbidden):
            where = f"forbidden[{i}]"
            if isinstance(entry, str):
                entry = {"phrase": entry}
            if not isinstance(entry, dict):
                problems.append(f"{where}: must be a phrase or a mapping with phrase")
                continue
            phrase = entry.get("phrase")
            if not _is_text(phrase) or len(phrase) > MAX_PHRASE_CHARS:
                problems.append(f"{where}.phrase: must be non-empty text (at most {MAX_PHRASE_CHARS} characters)")
            penalty = entry.get("penalty", DEFAULT_PENALTY)
            if not _is_number(penalty) or not 0 <= penalty <= 1:
                problems.append(f"{where}.penalty: must be a number from 0 to 1")
            hint = entry.get("hint")
            if hint is not None and not isinstance(hint, str):
                problems.append(f"{where}.hint: must be text")

    # ------------------------------------------------------------ attempt page

    def render(self, definition, name, response, rng) -> Markup:
        """The scenario, the optional checklist and a large text box; never the phrases.

        Drawn by ``templates/eoffice/letter.html``, which gets only what the learner may see.
        """
        scenario = definition.get("scenario")
        paragraphs = []
        if isinstance(scenario, str) and scenario.strip():
            paragraphs = [p.strip().split("\n") for p in re.split(r"\n\s*\n", scenario.strip()) if p.strip()]
        checklist = None
        if definition.get("show_checklist") is True:
            checklist = [e["name"] for e in definition["elements"]]
        # bandit B704: autoescaped template
        return Markup(render_template(  # nosec B704
            "eoffice/letter.html", name=name, scenario=paragraphs, checklist=checklist,
            text=response if isinstance(response, str) else "", max_chars=MAX_RESPONSE_CHARS, eoffice_=_))

    def parse_response(self, definition, form, name):
        try:
            value = form.get(name)
        except (AttributeError, TypeError):  # not a form at all: nothing answered
            return None
        return clean_response(value)

    # ------------------------------------------------------------ grading

    def grade(self, definition, response) -> Grade:
        text = clean_response(response)
        if text is None:
            return Grade(0.0)
        result = check_letter(definition, text)
        parts = []
        if result.found:
            parts.append(_("Found: %(elements)s", elements=", ".join(result.found)))
        if result.missing:
            parts.append(_("Missing: %(elements)s", elements="; ".join(
                f"{name} ({hint})" if hint else name for name, hint in result.missing)))
        if result.forbidden:
            parts.append(_("Avoid: %(phrases)s", phrases="; ".join(
                f'"{phrase}" (−{penalty:.0%}{", " + hint if hint else ""})'
                for phrase, penalty, hint in result.forbidden)))
        if result.minimum and result.words < result.minimum:
            parts.append(_n("Letter too short: %(words)d of at least %(minimum)d word",
                            "Letter too short: %(words)d of at least %(minimum)d words",
                            result.minimum, words=result.words, minimum=result.minimum))
        return Grade(result.fraction, ". ".join(parts) + ("." if parts else ""))

    def correct_response(self, definition):
        return definition["model_answer"]

    def describe_answer(self, definition) -> str:
        return _("Required elements: %(elements)s", elements=", ".join(e["name"] for e in definition["elements"]))
