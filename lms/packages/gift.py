"""Read and write Moodle GIFT question banks as question definitions (docs/questions.md).

GIFT has no place for some definition fields, so the exporter writes them as comments
that Moodle ignores and this parser reads back (``// lms-id: ...``, ``// lms-ordering: [...]``),
which makes an export re-import losslessly. Pure Python: no Flask imports here.
"""
from __future__ import annotations

import bisect
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from lms.packages.manifest import Problem

MAX_CHARS = 2_000_000
MAX_QUESTIONS = 5_000
QUESTION_ID = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,118}[a-z0-9])?$")
PLACEHOLDER = "___"
FORMATS = ("[markdown]", "[html]", "[plain]", "[moodle]")
CATEGORY = "$CATEGORY:"

# Moodle's escapes plus \> (so "->" inside a text cannot split a matching pair).
_UNESCAPES = {"~": "~", "=": "=", "#": "#", "{": "{", "}": "}", ":": ":", "\\": "\\", "n": "\n", ">": ">"}
_UNESCAPE = re.compile(r"\\(.)", re.S)
_ESCAPES = str.maketrans({c: "\\" + c for c in "\\~=#{}:"} | {"\n": "\\n"})
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_WEIGHT = re.compile(r"%([-0-9.]*)%")
_PERCENT = re.compile(r"-?\d+(?:\.\d+)?")
_MARKER = re.compile(r"//\s*lms-([a-z-]+):(.*)")
_TRUE, _FALSE = ("T", "TRUE"), ("F", "FALSE")


# ------------------------------------------------------------------ shared helpers


def slug(text: str, max_len: int = 60) -> str:
    """An id from the first words of a title or text (ASCII, lowercase, '-' separated)."""
    text = text.replace("'", "").replace("\u2019", "")  # "Grant's" -> grants, not grant-s
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    result = ""
    for word in re.findall(r"[a-z0-9]+", plain):
        candidate = f"{result}-{word}" if result else word[:max_len]
        if len(candidate) > max_len:
            break
        result = candidate
    return result or "question"


class IdMaker:
    """Hands out ids unique within one file: the base slug, then base-2, base-3, ..."""

    def __init__(self, used=()):
        self.used = set(used)
        self._next: dict[str, int] = {}

    def make(self, base: str) -> str:
        candidate, n = base, self._next.get(base, 2)
        while candidate in self.used:
            candidate, n = f"{base}-{n}", n + 1
        self._next[base] = n
        self.used.add(candidate)
        return candidate


def number(value: Decimal) -> int | float:
    """A Decimal as the plain JSON number a definition stores (int when whole)."""
    as_float = float(value)
    return int(as_float) if as_float.is_integer() and abs(as_float) < 2**53 else as_float


# ------------------------------------------------------------------ escape-aware scanning


@lru_cache(maxsize=None)
def _pattern(tokens: tuple[str, ...]) -> re.Pattern:
    return re.compile(r"\\.|(%s)" % "|".join(re.escape(t) for t in tokens), re.S)


def _scan(raw: str, tokens: tuple[str, ...], start: int = 0):
    """Yield (offset, token) for each unescaped token; a backslash always hides the next char."""
    for match in _pattern(tokens).finditer(raw, start):
        if match.group(1):
            yield match.start(1), match.group(1)


def _find(raw: str, token: str, start: int = 0) -> int:
    return next((offset for offset, _ in _scan(raw, (token,), start)), -1)


def _unescape(raw: str) -> str:
    return _UNESCAPE.sub(lambda m: _UNESCAPES.get(m.group(1), m.group(0)), raw)


def _clean(raw: str) -> str:
    """A text field: trimmed, one leading format marker dropped, escapes resolved."""
    raw = raw.strip()
    for marker in FORMATS:
        if raw.startswith(marker):
            raw = raw[len(marker):]
            break
    return _unescape(raw).strip()


def _decimal(text: str) -> Decimal | None:
    text = text.strip()
    if not _NUMBER.fullmatch(text) or not math.isfinite(float(text)):
        return None
    return Decimal(text)


@dataclass
class _Source:
    """One question's lines joined, with a map from offsets back to line numbers."""

    raw: str
    starts: list[int]
    numbers: list[int]

    @classmethod
    def of(cls, lines: list[tuple[int, str]]) -> _Source:
        starts, offset = [], 0
        for _, line in lines:
            starts.append(offset)
            offset += len(line) + 1
        return cls("\n".join(line for _, line in lines), starts, [n for n, _ in lines])

    def line(self, offset: int) -> int:
        return self.numbers[max(bisect.bisect_right(self.starts, offset) - 1, 0)]


# ------------------------------------------------------------------ parsing


def parse_gift(text: str, file: str = "questions.gift") -> tuple[list[dict], list[Problem]]:
    """Return the questions that parsed and every problem; callers reject a file with problems."""
    if len(text) > MAX_CHARS:
        return [], [Problem(file, "", f"longer than {MAX_CHARS:,} characters")]
    reader = _Reader(file)
    reader.read(text)
    return reader.finish()


class _Reader:
    """Walks blank-line separated chunks, collecting questions and problems in one pass."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[tuple[int, Problem]] = []
        self.found: list[tuple[dict, int, int | None]] = []  # definition, line, lms-id line

    def add(self, line: int, message: str) -> None:
        self.problems.append((line, Problem(self.file, f"line {line}", message)))

    def read(self, text: str) -> None:
        text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        category, markers, chunk = None, {}, []
        for n, line in enumerate(text.split("\n") + [""], 1):
            if line.strip():
                chunk.append((n, line))
            elif chunk:
                category, markers = self._chunk(chunk, category, markers)
                chunk = []
                if markers is None:
                    return

    def _chunk(self, chunk, category, markers):
        """Read one chunk; lms-* comments carry over to the next question if none follows."""
        content = []
        for n, line in chunk:
            stripped = line.strip()
            if not stripped.startswith("//"):
                content.append((n, line))
            elif match := _MARKER.fullmatch(stripped):
                markers[match.group(1)] = (match.group(2).strip(), n)
        if content and content[0][1].strip().startswith(CATEGORY):
            category = _category(content.pop(0)[1].strip()[len(CATEGORY):])
        if not content:
            return category, markers
        if len(self.found) >= MAX_QUESTIONS:
            self.add(content[0][0], f"more than {MAX_QUESTIONS:,} questions")
            return category, None
        before = len(self.problems)
        question = self._question(_Source.of(content), markers)
        if question is not None and len(self.problems) == before:
            if category:
                question["category"] = category
            id_line = markers["id"][1] if question["id"] else None
            self.found.append((question, content[0][0], id_line))
        return category, {}

    def _question(self, src: _Source, markers: dict) -> dict | None:
        raw, pos = src.raw, len(src.raw) - len(src.raw.lstrip())
        title = ""
        if raw.startswith("::", pos):
            end = _find(raw, "::", pos + 2)
            if end < 0:
                return self.add(src.line(pos), "unterminated title (close it with ::)")
            title, pos = _unescape(raw[pos + 2:end]).strip(), end + 2
        block = self._block(src, pos)
        if block is False:
            return None
        if block is None:
            if "ordering" not in markers:
                return self.add(src.line(pos), "no answer block: add {...} after the text ({} for an essay)")
            text_raw, body, base = raw[pos:], "", pos
        else:
            start, end = block
            after = raw[end + 1:]
            text_raw = raw[pos:start] + (PLACEHOLDER if after.strip() else "") + after
            body, base = raw[start + 1:end], start + 1
        question = {"type": "", "id": ""}
        if title:
            question["title"] = title
        question["text"] = _clean(text_raw)
        question["points"] = 1
        if not question["text"]:
            self.add(src.line(pos), "the question has no text")
        feedback = ""
        cut = _find(body, "####")
        if cut >= 0:
            body, feedback = body[:cut], _clean(body[cut + 4:])
        if "ordering" in markers:
            fields = self._ordering(src, base, body, *markers["ordering"])
        else:
            fields = self._answers(src, base, body)
        if fields is None:
            return None
        question.update(fields)
        if feedback:
            question["feedback"] = feedback
        self._markers(question, markers)
        return question

    def _block(self, src: _Source, pos: int):
        """(start, end) offsets of the one {...} block, None without one, False when broken."""
        start = end = -1
        for offset, token in _scan(src.raw, ("{", "}"), pos):
            if token == "{" and start < 0:
                start = offset
            elif token == "{" and end < 0:
                message = "'{' inside an answer block (write \\{ for a brace)"
                return self.add(src.line(offset), message) or False
            elif token == "{":
                return self.add(src.line(offset), "only one answer block per question is supported") or False
            elif start < 0 or end >= 0:
                return self.add(src.line(offset), "'}' without '{' (write \\} for a brace)") or False
            else:
                end = offset
        if start >= 0 and end < 0:
            return self.add(src.line(start), "unterminated answer block") or False
        return (start, end) if start >= 0 else None

    def _answers(self, src: _Source, base: int, body: str) -> dict | None:
        """Pick the question type from the block's shape the way Moodle does."""
        stripped = body.strip()
        line = src.line(base + len(body) - len(body.lstrip()))
        if not stripped:
            return {"type": "essay"}
        if stripped.startswith("#"):
            return self._numerical(src, base + body.index("#") + 1, body[body.index("#") + 1:])
        if next(_scan(body, ("~",)), None):
            return self._choice(src, base, body)
        if next(_scan(body, ("=",)), None) and next(_scan(body, ("->",)), None):
            return self._matching(src, base, body)
        cut = _find(body, "#")
        word = (body if cut < 0 else body[:cut]).strip().upper()
        if word in _TRUE + _FALSE:
            return self._truefalse(word in _TRUE, "" if cut < 0 else body[cut + 1:])
        if stripped.startswith("="):
            return self._short(src, base, body)
        return self.add(line, "unknown answer syntax: answers start with = or ~ "
                              "(or use {T}, {F}, {#number} or {})")

    def _pieces(self, src: _Source, base: int, body: str, markers=("=", "~")):
        """Split a block at unescaped answer markers: [(marker, raw answer, line)]."""
        found = list(_scan(body, markers))
        lead = body[:found[0][0]] if found else body
        if lead.strip():
            self.add(src.line(base + len(lead) - len(lead.lstrip())),
                     "unexpected text before the first answer (answers start with = or ~)")
        ends = [offset for offset, _ in found[1:]] + [len(body)]
        return [(token, body[offset + 1:end], src.line(base + offset))
                for (offset, token), end in zip(found, ends)]

    def _answer(self, piece: str, line: int, default: int):
        """(fraction, raw text, feedback) of one answer: an optional %weight% and #feedback."""
        piece, fraction = piece.lstrip(), default
        match = _WEIGHT.match(piece)
        if match:
            weight = match.group(1)
            if not _PERCENT.fullmatch(weight):
                self.add(line, f"answer weight %{weight}% is not a number")
            elif not -100 <= Decimal(weight) <= 100:
                self.add(line, f"answer weight %{weight}% is outside -100..100")
            else:
                fraction = number(Decimal(weight) / 100)
            piece = piece[match.end():]
        cut = _find(piece, "#")
        text, feedback = (piece, "") if cut < 0 else (piece[:cut], _clean(piece[cut + 1:]))
        return fraction, text, feedback

    def _choice(self, src: _Source, base: int, body: str) -> dict | None:
        options, right = [], 0
        pieces = self._pieces(src, base, body)
        for i, (token, piece, line) in enumerate(pieces):
            fraction, raw, feedback = self._answer(piece, line, 1 if token == "=" else 0)
            option = {"id": option_id(i), "text": _clean(raw), "fraction": fraction}
            if not option["text"]:
                self.add(line, "empty answer")
            if feedback:
                option["feedback"] = feedback
            options.append(option)
            right += fraction if fraction > 0 else 0
        if any(token == "=" for token, _, _ in pieces):
            return {"type": "single", "options": options}
        line = pieces[0][2]
        if not right:
            self.add(line, "no right answer: mark it with = or give weights such as ~%50%")
        elif abs(right - 1) > 0.001:
            self.add(line, f"the weights of the right answers add up to {_percent(right)}%, not 100%")
        return {"type": "multiple", "options": options}

    def _short(self, src: _Source, base: int, body: str) -> dict:
        answers = []
        for _, piece, line in self._pieces(src, base, body, ("=",)):
            fraction, raw, feedback = self._answer(piece, line, 1)
            answer = {"text": _clean(raw), "fraction": fraction}
            if not answer["text"]:
                self.add(line, "empty answer")
            if feedback:
                answer["feedback"] = feedback
            answers.append(answer)
        return {"type": "short", "answers": answers, "case_sensitive": False}

    def _matching(self, src: _Source, base: int, body: str) -> dict:
        pairs = []
        for _, piece, line in self._pieces(src, base, body, ("=",)):
            arrow = _find(piece, "->")
            if arrow < 0:
                self.add(line, "a matching pair needs 'left -> right'")
                continue
            pair = {"left": _clean(piece[:arrow]), "right": _clean(piece[arrow + 2:])}
            if not pair["left"]:
                self.add(line, "a matching pair has an empty left side (extra distractors are not supported)")
            elif not pair["right"]:
                self.add(line, "empty answer")
            pairs.append(pair)
        return {"type": "matching", "pairs": pairs}

    def _truefalse(self, answer: bool, comments: str) -> dict:
        """GIFT gives feedback for a wrong answer first, then for a right one."""
        cut = _find(comments, "#")
        wrong, right = (comments, "") if cut < 0 else (comments[:cut], comments[cut + 1:])
        wrong, right = _clean(wrong), _clean(right)
        question = {"type": "truefalse", "answer": answer}
        on_true, on_false = (right, wrong) if answer else (wrong, right)
        if on_true:
            question["feedback_true"] = on_true
        if on_false:
            question["feedback_false"] = on_false
        return question

    def _numerical(self, src: _Source, base: int, body: str) -> dict:
        if next(_scan(body, ("=", "~")), None):
            pieces = self._pieces(src, base, body)
        else:
            pieces = [("=", body, src.line(base))]
        answers = []
        for token, piece, line in pieces:
            fraction, raw, feedback = self._answer(piece, line, 1 if token == "=" else 0)
            answer = self._number_answer(_unescape(raw).strip(), line)
            if answer is None:
                continue
            answer["fraction"] = fraction
            if feedback:
                answer["feedback"] = feedback
            answers.append(answer)
        return {"type": "numerical", "answers": answers}

    def _number_answer(self, text: str, line: int) -> dict | None:
        """{value, tolerance} from 3.14, 3.14:0.01 or a range 3.141..3.142."""
        if not text:
            return self.add(line, "empty answer")
        low, sep, high = text.partition("..")
        if not sep:
            low, sep, high = text.partition(":")
        values = [_decimal(part) for part in ((low, high) if sep else (low,))]
        if None in values:
            return self.add(line, f"numerical answer {text!r} is not a number")
        if sep == "..":
            if values[0] > values[1]:
                return self.add(line, f"range {text!r} starts above its end")
            low, high = values
            return {"value": number((low + high) / 2), "tolerance": number((high - low) / 2)}
        tolerance = values[1] if sep else Decimal(0)
        if tolerance < 0:
            return self.add(line, f"tolerance in {text!r} must not be negative")
        return {"value": number(values[0]), "tolerance": number(tolerance)}

    def _ordering(self, src: _Source, base: int, body: str, value: str, line: int) -> dict | None:
        if body.strip():
            self.add(src.line(base), "an lms-ordering question takes an empty answer block {}")
        items = _json(value)
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            return self.add(line, "lms-ordering must be a JSON list of texts")
        return {"type": "ordering", "items": items}

    def _markers(self, question: dict, markers: dict) -> None:
        """Apply the lms-* comments the exporter writes for fields GIFT cannot hold."""
        for name, (value, line) in markers.items():
            if name == "id":
                if QUESTION_ID.fullmatch(value):
                    question["id"] = value
                else:
                    self.add(line, "lms-id must use lowercase letters, digits, '-' and '_' (at most 120)")
            elif name == "points":
                points = _json(value)
                if _is_number(points) and points > 0:
                    question["points"] = points
                else:
                    self.add(line, "lms-points must be a positive number")
            elif name in _EXTRAS:
                kind, key, ok, message = _EXTRAS[name]
                extra = _json(value)
                if question["type"] != kind:
                    self.add(line, f"lms-{name} only applies to {kind} questions")
                elif not ok(extra):
                    self.add(line, f"lms-{name} {message}")
                else:
                    question[key] = extra

    def finish(self) -> tuple[list[dict], list[Problem]]:
        """Check explicit ids, generate the missing ones, and sort problems by line."""
        seen: dict[str, int] = {}
        kept = []
        for question, line, id_line in self.found:
            if id_line is None:
                kept.append(question)
            elif question["id"] in seen:
                self.add(id_line, f"id {question['id']!r} is already used at line {seen[question['id']]}")
            else:
                seen[question["id"]] = line
                kept.append(question)
        ids = IdMaker(seen)
        for question in kept:
            if not question["id"]:
                question["id"] = ids.make(slug(question.get("title") or question["text"]))
        problems = [problem for _, problem in sorted(self.problems, key=lambda item: item[0])]
        return kept, problems


_EXTRAS = {
    "case-sensitive": ("short", "case_sensitive", lambda v: isinstance(v, bool), "must be true or false"),
    "rubric": ("essay", "rubric", lambda v: isinstance(v, str), "must be a JSON string"),
    "min-words": ("essay", "min_words", lambda v: _is_number(v) and v >= 0 and v == int(v),
                  "must be a whole number"),
}


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _json(value: str):
    try:
        return json.loads(value)
    except ValueError:
        return None


def _category(path: str) -> str | None:
    """Moodle paths start with a context ($course$/top/...); keep the bank path only."""
    path = path.strip()
    if match := re.match(r"\$[a-z]+\$/(?:top(?:/|$))?", path):
        path = path[match.end():]
    return path.strip("/").strip() or None


def option_id(index: int) -> str:
    """a, b, ..., z, aa, ab, ... for the index-th option."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(97 + rest) + name
    return name


# ------------------------------------------------------------------ writing


def dump_gift(questions: list[dict]) -> str:
    """Write definitions as GIFT; parse_gift reads the result back to the same definitions.

    Raises ValueError for a type GIFT cannot express (plugin types): export those as YAML.
    """
    parts, category = [], None
    for question in questions:
        if (question.get("category") or None) != category:
            category = question.get("category") or None
            parts.append(f"{CATEGORY} {category or ''}".rstrip() + "\n")
        parts.append(_dump_question(question))
    return "\n".join(parts)


def _dump_question(question: dict) -> str:
    kind = question.get("type")
    if kind not in _WRITERS:
        raise ValueError(f"question {question.get('id')!r}: type {kind!r} has no GIFT form; export as YAML")
    lines = []
    if isinstance(question.get("id"), str) and QUESTION_ID.fullmatch(question["id"]):
        lines.append(f"// lms-id: {question['id']}")
    if question.get("points", 1) != 1:
        lines.append(f"// lms-points: {json.dumps(question['points'])}")
    answers, inline, markers = _WRITERS[kind](question)
    lines += [f"// lms-{name}: {json.dumps(value, ensure_ascii=False)}" for name, value in markers]
    title = f"::{_escape(question['title'])}::" if question.get("title") else ""
    head = title + _text(question.get("text", ""))
    feedback = f"####{_text(question['feedback'])}" if question.get("feedback") else ""
    if inline:
        lines.append(f"{head} {{{''.join(answers)}{feedback}}}")
    else:
        body = [f"\t{answer}" for answer in answers] + ([f"\t{feedback}"] if feedback else [])
        lines += [f"{head} {{", *body, "}"]
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return str(text).translate(_ESCAPES).replace("->", "-\\>")


def _text(text: str) -> str:
    """An escaped text field, guarded by [markdown] when it would read as a marker or comment."""
    escaped = _escape(text)
    return f"[markdown]{escaped}" if escaped.startswith(FORMATS + ("//",)) else escaped


def _percent(fraction) -> str:
    """A fraction as a GIFT weight: whole when exact, else up to 5 decimals."""
    value = Decimal(repr(float(fraction))) * 100
    if value != value.to_integral_value():
        value = value.quantize(Decimal("0.00001")).normalize()
    return format(value.to_integral_value() if value == value.to_integral_value() else value, "f")


def _answer(marker: str, text: str, fraction, default, feedback=None) -> str:
    """One answer; the weight is written when it differs from the marker's default or text starts with %."""
    escaped = _text(text)
    weight = f"%{_percent(fraction)}%" if fraction != default or escaped.startswith("%") else ""
    return f"{marker}{weight}{escaped}" + (f"#{_text(feedback)}" if feedback else "")


def _number(value) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _write_single(question: dict):
    options = question.get("options", [])
    markers = ["=" if option.get("fraction", 0) == 1 else "~" for option in options]
    if "=" not in markers and markers:
        markers[0] = "="  # a weighted = keeps it single-choice
    elif "~" not in markers and len(markers) > 1:
        markers[1:] = ["~"] * (len(markers) - 1)
    answers = [_answer(marker, option.get("text", ""), option.get("fraction", 0), 1 if marker == "=" else 0,
                       option.get("feedback")) for marker, option in zip(markers, options)]
    return answers, False, []


def _write_multiple(question: dict):
    return [_answer("~", option.get("text", ""), option.get("fraction", 0), 0, option.get("feedback"))
            for option in question.get("options", [])], False, []


def _write_truefalse(question: dict):
    answer = bool(question.get("answer"))
    right = question.get("feedback_true" if answer else "feedback_false") or ""
    wrong = question.get("feedback_false" if answer else "feedback_true") or ""
    comments = (f"#{_text(wrong)}" if wrong or right else "") + (f"#{_text(right)}" if right else "")
    return ["T" if answer else "F", comments], True, []


def _write_short(question: dict):
    answers = [_answer("=", answer.get("text", ""), answer.get("fraction", 1), 1, answer.get("feedback"))
               for answer in question.get("answers", [])]
    return answers, False, [("case-sensitive", True)] if question.get("case_sensitive") else []


def _write_numerical(question: dict):
    answers = question.get("answers", [])
    written = [f"{_number(a.get('value', 0))}:{_number(a.get('tolerance', 0))}"
               + (f"#{_text(a['feedback'])}" if a.get("feedback") else "") for a in answers]
    if len(answers) == 1 and answers[0].get("fraction", 1) == 1:
        return ["#", written[0]], True, []
    weights = [f"%{_percent(a.get('fraction', 1))}%" if a.get("fraction", 1) != 1 else "" for a in answers]
    return ["#", *(f"={weight}{answer}" for weight, answer in zip(weights, written))], False, []


def _write_matching(question: dict):
    return [f"={_text(pair.get('left', ''))} -> {_text(pair.get('right', ''))}"
            for pair in question.get("pairs", [])], False, []


def _write_ordering(question: dict):
    return [], True, [("ordering", list(question.get("items", [])))]


def _write_essay(question: dict):
    markers = [(name, question[key]) for name, key in (("rubric", "rubric"), ("min-words", "min_words"))
               if question.get(key) is not None]
    return [], True, markers


_WRITERS = {
    "single": _write_single,
    "multiple": _write_multiple,
    "truefalse": _write_truefalse,
    "short": _write_short,
    "numerical": _write_numerical,
    "matching": _write_matching,
    "ordering": _write_ordering,
    "essay": _write_essay,
}
