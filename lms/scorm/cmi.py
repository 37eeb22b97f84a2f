"""The SCORM 1.2 CMI data model, as the server re-validates it.

The browser runtime (lms/static/js/scorm-api.js) applies the same rules when a SCO calls
LMSSetValue, and sends the values it accepted on LMSCommit/LMSFinish. The server never
trusts that: every (element, value) pair is applied again here, with the data model's
read-only/write-only rules, vocabularies, types, ranges and array rules, and a single
refused pair refuses the whole commit (nothing is saved).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

# SCORM 1.2 error codes.
NO_ERROR, GENERAL, INVALID_ARGUMENT, NO_CHILDREN, NO_COUNT = 0, 101, 201, 202, 203
NOT_INITIALIZED, NOT_IMPLEMENTED, KEYWORD, READ_ONLY, WRITE_ONLY, WRONG_TYPE = 301, 401, 402, 403, 404, 405
ERRORS = {
    0: "No error", 101: "General exception", 201: "Invalid argument error",
    202: "Element cannot have children", 203: "Element not an array - cannot have count",
    301: "Not initialized", 401: "Not implemented error", 402: "Invalid set value, element is a keyword",
    403: "Element is read only", 404: "Element is write only", 405: "Incorrect data type",
}

STATUSES = ("passed", "completed", "failed", "incomplete", "browsed")
OBJECTIVE_STATUSES = (*STATUSES, "not attempted")
EXITS = ("time-out", "suspend", "logout", "")
INTERACTION_TYPES = ("true-false", "choice", "fill-in", "matching", "performance", "sequencing",
                     "likert", "numeric")
RESULTS = ("correct", "wrong", "unanticipated", "neutral")
#: Array sizes the server keeps (a SCO past them gets a general exception, 101).
MAX_OBJECTIVES = 100
MAX_INTERACTIONS = 500
MAX_SUBITEMS = 50
MAX_PAIRS = 5000

_DECIMAL = re.compile(r"^-?(?:\d{1,10}(?:\.\d{0,10})?|\.\d{1,10})$")
_SINTEGER = re.compile(r"^[+-]?\d{1,5}$")
_IDENTIFIER = re.compile(r"^[!-~]{1,255}$")
_TIME = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,2})?$")
_TIMESPAN = re.compile(r"^(\d{2,4}):([0-5]\d):([0-5]\d)(?:\.(\d{1,2}))?$")


class CmiError(Exception):
    """A refused LMSSetValue: the SCORM error code, and which element."""

    def __init__(self, code: int, element: str, detail: str = ""):
        super().__init__(f"{element}: {ERRORS[code]}" + (f" ({detail})" if detail else ""))
        self.code, self.element, self.detail = code, element, detail


# ------------------------------------------------------------------------ types


def _string(limit: int):
    def check(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"longer than {limit} characters")
        return value
    return check


def _vocab(words):
    def check(value: str) -> str:
        if value not in words:
            raise ValueError(f"must be one of {', '.join(w or '(empty)' for w in words)}")
        return value
    return check


def _score(value: str) -> str:
    """CMIDecimal from 0 to 100, or blank."""
    if value == "":
        return value
    if not _DECIMAL.match(value) or not 0 <= Decimal(value) <= 100:
        raise ValueError("must be a number from 0 to 100")
    return value


def _decimal(value: str) -> str:
    if not _DECIMAL.match(value):
        raise ValueError("must be a decimal number")
    return value


def _sinteger(low: int, high: int):
    def check(value: str) -> str:
        if not _SINTEGER.match(value) or not low <= int(value) <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return str(int(value))
    return check


def _identifier(value: str) -> str:
    if not _IDENTIFIER.match(value):
        raise ValueError("must be an identifier (1-255 characters, no spaces)")
    return value


def _time(value: str) -> str:
    if not _TIME.match(value):
        raise ValueError("must be a time of day HH:MM:SS")
    return value


def _timespan(value: str) -> str:
    if not _TIMESPAN.match(value):
        raise ValueError("must be a time span HHHH:MM:SS.SS")
    return value


def _result(value: str) -> str:
    if value in RESULTS or _DECIMAL.match(value):
        return value
    raise ValueError(f"must be one of {', '.join(RESULTS)} or a number")


def centiseconds(timespan: str) -> int:
    """A CMITimespan as whole centiseconds."""
    match = _TIMESPAN.match(timespan)
    if not match:
        raise ValueError(f"not a time span: {timespan!r}")
    hours, minutes, seconds, fraction = match.groups()
    return ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 100 + int((fraction or "0").ljust(2, "0"))


def timespan(cs: int) -> str:
    """Centiseconds as a CMITimespan (HHHH:MM:SS.SS, hours capped at 9999)."""
    cs = max(0, min(int(cs), (9999 * 3600 + 3599) * 100 + 99))
    seconds, hundredths = divmod(cs, 100)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:04d}:{minutes:02d}:{seconds:02d}.{hundredths:02d}"


# ------------------------------------------------------------------------ the model


@dataclass
class Cmi:
    """What a SCO may change, as strings (SCORM values are strings); blank is ""."""

    lesson_location: str = ""
    lesson_status: str = "not attempted"
    score_raw: str = ""
    score_min: str = ""
    score_max: str = ""
    exit: str = ""
    session_time: str | None = None
    suspend_data: str = ""
    comments: str = ""
    preferences: dict = field(default_factory=dict)
    objectives: list = field(default_factory=list)
    interactions: list = field(default_factory=list)
    #: Elements set since the state was loaded (lesson_status set by the SCO, for one).
    touched: set = field(default_factory=set)


#: Scalar elements: element -> (attribute or preference key, type check).
_SCALARS = {
    "cmi.core.lesson_location": ("lesson_location", _string(255)),
    "cmi.core.lesson_status": ("lesson_status", _vocab(STATUSES)),
    "cmi.core.score.raw": ("score_raw", _score),
    "cmi.core.score.min": ("score_min", _score),
    "cmi.core.score.max": ("score_max", _score),
    "cmi.core.exit": ("exit", _vocab(EXITS)),
    "cmi.core.session_time": ("session_time", _timespan),
    "cmi.suspend_data": ("suspend_data", _string(4096)),
    "cmi.comments": ("comments", _string(4096)),
    "cmi.student_preference.audio": ("pref:audio", _sinteger(-1, 100)),
    "cmi.student_preference.language": ("pref:language", _string(255)),
    "cmi.student_preference.speed": ("pref:speed", _sinteger(-100, 100)),
    "cmi.student_preference.text": ("pref:text", _sinteger(-1, 1)),
}
READ_ONLY_ELEMENTS = {
    "cmi.core._children", "cmi.core.student_id", "cmi.core.student_name", "cmi.core.credit",
    "cmi.core.entry", "cmi.core.total_time", "cmi.core.lesson_mode", "cmi.core.score._children",
    "cmi.launch_data", "cmi.comments_from_lms", "cmi.objectives._children", "cmi.objectives._count",
    "cmi.student_data._children", "cmi.student_data.mastery_score", "cmi.student_data.max_time_allowed",
    "cmi.student_data.time_limit_action", "cmi.student_preference._children",
    "cmi.interactions._children", "cmi.interactions._count", "cmi._version",
}
_OBJECTIVE = re.compile(r"^cmi\.objectives\.(\d+)\.(id|status|score\.raw|score\.min|score\.max|"
                        r"score\._children)$")
_INTERACTION = re.compile(r"^cmi\.interactions\.(\d+)\.(id|time|type|weighting|student_response|result|"
                          r"latency|objectives\.(\d+)\.id|correct_responses\.(\d+)\.pattern|"
                          r"objectives\._count|correct_responses\._count)$")
_OBJECTIVE_FIELDS = {"id": _identifier, "status": _vocab(OBJECTIVE_STATUSES), "score.raw": _score,
                     "score.min": _score, "score.max": _score}
_INTERACTION_FIELDS = {"id": _identifier, "time": _time, "type": _vocab(INTERACTION_TYPES),
                       "weighting": _decimal, "student_response": _string(255), "result": _result,
                       "latency": _timespan}


def set_value(cmi: Cmi, element: object, value: object) -> None:
    """Apply one LMSSetValue, or raise CmiError with the code the SCO would get."""
    if not isinstance(element, str) or not element or len(element) > 255:
        raise CmiError(INVALID_ARGUMENT, str(element)[:80], "the element must be a data model name")
    if not isinstance(value, str):
        raise CmiError(WRONG_TYPE, element, "values are strings")
    if element.endswith(("._children", "._count")) and (element in READ_ONLY_ELEMENTS or _OBJECTIVE.match(element)
                                                        or _INTERACTION.match(element)):
        raise CmiError(KEYWORD, element)
    if element in READ_ONLY_ELEMENTS:
        raise CmiError(READ_ONLY, element)
    if element in _SCALARS:
        name, check = _SCALARS[element]
        value = _checked(check, element, value)
        if name.startswith("pref:"):
            cmi.preferences[name[5:]] = value
        else:
            setattr(cmi, name, value)
        cmi.touched.add(element)
        return
    match = _OBJECTIVE.match(element)
    if match:
        _set_objective(cmi, element, int(match.group(1)), match.group(2), value)
        return
    match = _INTERACTION.match(element)
    if match:
        _set_interaction(cmi, element, match, value)
        return
    if element.startswith("cmi."):
        raise CmiError(NOT_IMPLEMENTED, element)
    raise CmiError(INVALID_ARGUMENT, element)


def _checked(check, element: str, value: str) -> str:
    try:
        return check(value)
    except ValueError as error:
        raise CmiError(WRONG_TYPE, element, str(error)) from None


def _slot(items: list, index: int, element: str, limit: int, blank) -> dict:
    """The array element at `index`: an existing one, or a new one at the end (index == count)."""
    if index > len(items):
        raise CmiError(INVALID_ARGUMENT, element, f"index {index} past the end ({len(items)} so far)")
    if index == len(items):
        if index >= limit:
            raise CmiError(GENERAL, element, f"at most {limit} elements are kept")
        items.append(blank())
    return items[index]


def _set_objective(cmi: Cmi, element: str, index: int, name: str, value: str) -> None:
    value = _checked(_OBJECTIVE_FIELDS[name], element, value)
    objective = _slot(cmi.objectives, index, element, MAX_OBJECTIVES,
                      lambda: {"id": "", "status": "not attempted", "score": {"raw": "", "min": "", "max": ""}})
    if name.startswith("score."):
        objective["score"][name[6:]] = value
    else:
        objective[name] = value


def _set_interaction(cmi: Cmi, element: str, match: re.Match, value: str) -> None:
    index, name = int(match.group(1)), match.group(2)
    if name.startswith("objectives."):
        sub_index, key, check = int(match.group(3)), "objectives", _identifier
    elif name.startswith("correct_responses."):
        sub_index, key, check = int(match.group(4)), "correct_responses", _string(255)
    else:
        sub_index, key, check = None, name, _INTERACTION_FIELDS[name]
    value = _checked(check, element, value)
    interaction = _slot(cmi.interactions, index, element, MAX_INTERACTIONS,
                        lambda: {"id": "", "objectives": [], "correct_responses": []})
    if sub_index is None:
        interaction[key] = value
        return
    items = interaction[key]
    if sub_index > len(items):
        raise CmiError(INVALID_ARGUMENT, element, f"index {sub_index} past the end ({len(items)} so far)")
    if sub_index == len(items):
        if sub_index >= MAX_SUBITEMS:
            raise CmiError(GENERAL, element, f"at most {MAX_SUBITEMS} elements are kept")
        items.append(value)
    else:
        items[sub_index] = value


def apply(cmi: Cmi, pairs: object) -> list[CmiError]:
    """Apply a commit's [[element, value], ...] in order; every refusal found (none: all applied)."""
    if not isinstance(pairs, list) or len(pairs) > MAX_PAIRS:
        return [CmiError(INVALID_ARGUMENT, "values", f"must be a list of at most {MAX_PAIRS} [element, value] pairs")]
    errors = []
    for pair in pairs:
        if not isinstance(pair, list) or len(pair) != 2:
            errors.append(CmiError(INVALID_ARGUMENT, "values", "each value must be an [element, value] pair"))
            continue
        try:
            set_value(cmi, pair[0], pair[1])
        except CmiError as error:
            errors.append(error)
    return errors
