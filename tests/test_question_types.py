"""The core question types: grading, validation, answer-free rendering, form round trips."""
from __future__ import annotations

import random
from html.parser import HTMLParser

import pytest
from flask_babel.speaklater import LazyString
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from lms.builtin import question_types as qt
from lms.hookspecs import LMS_PLUGIN_API
from lms.questions import Grade

TYPES = {t.key: t for t in qt.register_question_types()}
AUTO = [key for key, t in TYPES.items() if not t.manual]
PROPERTY = settings(max_examples=200, deadline=None)

# ------------------------------------------------------------------ helpers


class Form(HTMLParser):
    """A rendered fragment as a browser sees it: the controls, and what submitting sends."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.controls: list[tuple[str, dict, bool]] = []  # (tag, attributes, inside a <label>)
        self.submitted: list[tuple[str, str]] = []
        self._labels = 0
        self._select: dict | None = None
        self._textarea: list | None = None
        self.feed(source)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attrs))
        if tag == "label":
            self._labels += 1
        if tag in ("input", "select", "textarea"):
            self.controls.append((tag, attrs, self._labels > 0))
        if tag == "input":
            if attrs.get("type") not in ("radio", "checkbox"):
                self.submitted.append((attrs["name"], attrs.get("value", "")))
            elif "checked" in attrs:
                self.submitted.append((attrs["name"], attrs.get("value", "on")))
        elif tag == "select":
            self._select = {"name": attrs["name"], "values": [], "selected": None}
        elif tag == "option" and self._select is not None:
            self._select["values"].append(attrs["value"])
            if "selected" in attrs:
                self._select["selected"] = attrs["value"]
        elif tag == "textarea":
            self._textarea = [attrs["name"], ""]

    def handle_endtag(self, tag):
        if tag == "label":
            self._labels -= 1
        elif tag == "select":
            chosen = self._select["selected"]
            self.submitted.append((self._select["name"],
                                   self._select["values"][0] if chosen is None else chosen))
            self._select = None
        elif tag == "textarea":
            self.submitted.append(tuple(self._textarea))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    @property
    def data(self) -> MultiDict:
        return MultiDict(self.submitted)


def render(key, definition, response=None, seed=1, name="q7"):
    return str(TYPES[key].render(definition, name, response, random.Random(seed)))


def round_trip(key, definition, response, seed=1, name="q7"):
    """Render a response pre-filled, submit the form as a browser would, parse it back."""
    form = Form(render(key, definition, response, seed, name))
    return TYPES[key].parse_response(definition, form.data, name)


def grade(key, definition, response) -> float | None:
    return TYPES[key].grade(definition, response).fraction


def shown_order(key, definition, seed) -> list[str]:
    """The visible order of the choices (option values, match rights or ordering items)."""
    form = Form(render(key, definition, seed=seed))
    if key == "ordering":
        return [attrs["value"] for tag, attrs in form.tags if attrs.get("type") == "hidden"]
    return [attrs["value"] for tag, attrs in form.tags if tag in ("input", "option")][:12]


SINGLE = {"type": "single", "id": "jenis", "text": "Naskah dinas untuk instruksi internal?", "options": [
    {"id": "a", "text": "Nota dinas", "fraction": 1, "feedback": "SECRET-RIGHT"},
    {"id": "b", "text": "Surat edaran", "fraction": 0, "feedback": "SECRET-WRONG"},
    {"id": "c", "text": "Memo pribadi", "fraction": 0.5, "feedback": "SECRET-HALF"},
    {"id": "d", "text": "Pesan singkat", "fraction": -0.5},
]}
MULTIPLE = {"type": "multiple", "options": [
    {"id": "a", "text": "SRIKANDI", "fraction": 0.5, "feedback": "SECRET-A"},
    {"id": "b", "text": "Tanda tangan elektronik", "fraction": 0.5, "feedback": "SECRET-B"},
    {"id": "c", "text": "Mesin faks", "fraction": -1, "feedback": "SECRET-C"},
    {"id": "d", "text": "Surat merpati", "fraction": -0.5},
    {"id": "e", "text": "Netral", "fraction": 0},
]}
TRUEFALSE = {"type": "truefalse", "answer": True, "feedback_true": "SECRET-TRUE",
             "feedback_false": "SECRET-FALSE"}
SHORT = {"type": "short", "answers": [
    {"text": "SRIKANDI", "fraction": 1, "feedback": "SECRET-TEPAT"},
    {"text": "aplikasi  srikandi", "fraction": 1},
    {"text": "e-office", "fraction": 0.5, "feedback": "SECRET-HAMPIR"},
    {"text": "E-Office", "fraction": 0.25},
]}
NUMERICAL = {"type": "numerical", "answers": [
    {"value": 3.14159, "tolerance": 0.01, "fraction": 1, "feedback": "SECRET-PAS"},
    {"value": 3, "tolerance": 0.5, "fraction": 0.5, "feedback": "SECRET-HAMPIR"},
]}
MATCHING = {"type": "matching", "pairs": [
    {"left": "Disposisi", "right": "Instruksi atasan"},
    {"left": "Agenda", "right": "Pencatatan surat"},
    {"left": "Arsip", "right": "Penyimpanan dokumen"},
]}
ORDERING = {"type": "ordering", "items": ["Surat diterima", "Agenda dicatat", "Disposisi pimpinan",
                                          "Tindak lanjut", "Arsip"]}
ESSAY = {"type": "essay", "rubric": "SECRET-RUBRIC", "min_words": 50}
EXAMPLES = {"single": SINGLE, "multiple": MULTIPLE, "truefalse": TRUEFALSE, "short": SHORT,
            "numerical": NUMERICAL, "matching": MATCHING, "ordering": ORDERING, "essay": ESSAY}
JUNK = [None, "", "zzz", 0, 1, -1, 2.5, float("nan"), float("inf"), True, False, [], {}, [None],
        [[1, 2], {"a": []}], {"0": ["x"], 1: None}, ["a", "a", "a"], {"a": {"b": {"c": []}}}]


# ------------------------------------------------------------------ registration


def test_hook_registers_the_eight_core_types():
    assert qt.lms_api == LMS_PLUGIN_API
    assert list(TYPES) == ["single", "multiple", "truefalse", "short", "numerical", "matching",
                           "ordering", "essay"]
    assert [key for key, t in TYPES.items() if t.manual] == ["essay"]
    assert all(isinstance(t.label, LazyString) for t in TYPES.values())


@pytest.mark.parametrize("key", EXAMPLES)
def test_examples_are_valid_and_their_correct_response_scores_1(key):
    definition = EXAMPLES[key]
    assert TYPES[key].validate(definition) == []
    if key != "essay":
        assert grade(key, definition, TYPES[key].correct_response(definition)) == 1.0
        assert TYPES[key].describe_answer(definition)


@pytest.mark.parametrize("key", EXAMPLES)
@pytest.mark.parametrize("response", [None, *JUNK], ids=repr)
def test_junk_responses_score_within_0_and_1(key, response):
    result = TYPES[key].grade(EXAMPLES[key], response)
    assert isinstance(result, Grade) and isinstance(result.feedback, str)
    if key == "essay" and isinstance(response, str) and response.strip():
        assert result.needs_grading
    else:
        assert result.fraction is not None and 0 <= result.fraction <= 1
    TYPES[key].render(EXAMPLES[key], "q7", response, random.Random(1))  # pre-filling junk never raises


# ------------------------------------------------------------------ single and multiple


@pytest.mark.parametrize(("response", "fraction", "feedback"), [
    ("a", 1.0, "SECRET-RIGHT"), ("b", 0.0, "SECRET-WRONG"), ("c", 0.5, "SECRET-HALF"),
    ("d", 0.0, ""), (None, 0.0, ""), ("A", 0.0, ""), (["a"], 0.0, ""),
])
def test_single_scores_the_chosen_option_with_its_feedback(response, fraction, feedback):
    assert TYPES["single"].grade(SINGLE, response) == Grade(fraction, feedback)


def test_single_parse_keeps_only_a_known_id():
    parse = TYPES["single"].parse_response
    assert parse(SINGLE, MultiDict({"q7": "c"}), "q7") == "c"
    assert parse(SINGLE, MultiDict({"q7": "zzz"}), "q7") is None
    assert parse(SINGLE, MultiDict({"q7": ""}), "q7") is None
    assert parse(SINGLE, MultiDict({"other": "a"}), "q7") is None


@pytest.mark.parametrize(("response", "fraction"), [
    (["a", "b"], 1.0), (["b", "a", "e"], 1.0), (["a"], 0.5), (["a", "d"], 0.0), (["a", "b", "d"], 0.5),
    (["a", "b", "c", "d", "e"], 0.0), (["c"], 0.0), ([], 0.0), (["a", "a", "a"], 0.5),
    (["a", "zzz", 3, None], 0.5), ("a", 0.0),
])
def test_multiple_sums_the_chosen_fractions_clamped(response, fraction):
    assert grade("multiple", MULTIPLE, response) == fraction


def test_multiple_choosing_everything_never_wins_when_wrong_options_are_negative():
    everything = [o["id"] for o in MULTIPLE["options"]]
    assert grade("multiple", MULTIPLE, everything) == 0.0


def test_multiple_feedback_joins_the_chosen_options_feedback():
    assert TYPES["multiple"].grade(MULTIPLE, ["c", "a"]).feedback == "SECRET-A SECRET-C"


def test_multiple_fractions_that_add_up_to_1_within_tolerance_score_1():
    thirds = {"type": "multiple", "options": [{"id": i, "text": i, "fraction": 0.333} for i in "abc"]
              + [{"id": "x", "text": "x", "fraction": 0}]}
    assert TYPES["multiple"].validate(thirds) == []
    assert grade("multiple", thirds, ["a", "b", "c"]) == 1.0
    thirds["options"][0]["fraction"] = 0.33
    assert TYPES["multiple"].validate(thirds) == [
        "options: the positive fractions must add up to 1 (they add up to 0.996)"]


def test_multiple_parse_drops_unknown_ids_and_duplicates():
    form = MultiDict([("q7", "b"), ("q7", "zzz"), ("q7", "a"), ("q7", "b"), ("q7", "")])
    assert TYPES["multiple"].parse_response(MULTIPLE, form, "q7") == ["a", "b"]
    assert TYPES["multiple"].parse_response(MULTIPLE, MultiDict([("q7", "zzz")]), "q7") is None


# ------------------------------------------------------------------ true/false


@pytest.mark.parametrize(("answer", "response", "fraction", "feedback"), [
    (True, True, 1.0, "SECRET-TRUE"), (True, False, 0.0, "SECRET-FALSE"),
    (False, False, 1.0, "SECRET-FALSE"), (False, True, 0.0, "SECRET-TRUE"),
    (True, None, 0.0, ""), (True, "true", 0.0, ""), (True, 1, 0.0, ""),
])
def test_truefalse_feedback_follows_the_learners_answer(answer, response, fraction, feedback):
    assert TYPES["truefalse"].grade({**TRUEFALSE, "answer": answer}, response) == Grade(fraction, feedback)


@pytest.mark.parametrize(("sent", "parsed"), [("true", True), ("false", False), ("", None),
                                               ("yes", None), ("True", None)])
def test_truefalse_parse(sent, parsed):
    assert TYPES["truefalse"].parse_response(TRUEFALSE, MultiDict({"q7": sent}), "q7") is parsed


def test_truefalse_is_never_shuffled():
    orders = {tuple(shown_order("truefalse", TRUEFALSE, seed)) for seed in range(20)}
    assert orders == {("true", "false")}


# ------------------------------------------------------------------ short answer


@pytest.mark.parametrize(("response", "fraction", "feedback"), [
    ("SRIKANDI", 1.0, "SECRET-TEPAT"), ("srikandi", 1.0, "SECRET-TEPAT"),
    ("  Srikandi \t", 1.0, "SECRET-TEPAT"), ("Aplikasi   SRIKANDI", 1.0, ""),
    ("ＳＲＩＫＡＮＤＩ", 1.0, "SECRET-TEPAT"),  # full-width letters (NFKC)
    ("aplikasi\u00a0srikandi", 1.0, ""),  # no-break space
    ("e-office", 0.5, "SECRET-HAMPIR"),  # "E-Office" matches too; the best fraction wins
    ("srikand", 0.0, ""), ("", 0.0, ""), ("   ", 0.0, ""), (None, 0.0, ""), (["SRIKANDI"], 0.0, ""),
])
def test_short_normalises_space_unicode_and_case(response, fraction, feedback):
    assert TYPES["short"].grade(SHORT, response) == Grade(fraction, feedback)


def test_short_case_sensitive_keeps_case_but_still_normalises_space():
    definition = {**SHORT, "case_sensitive": True}
    assert grade("short", definition, "srikandi") == 0.0
    assert grade("short", definition, "  SRIKANDI ") == 1.0
    assert grade("short", definition, "aplikasi srikandi") == 1.0
    assert grade("short", definition, "E-Office") == 0.25


def test_short_parse_trims_and_treats_blank_as_unanswered():
    parse = TYPES["short"].parse_response
    assert parse(SHORT, MultiDict({"q7": "  srikandi  "}), "q7") == "srikandi"
    assert parse(SHORT, MultiDict({"q7": "  "}), "q7") is None
    assert parse(SHORT, MultiDict(), "q7") is None


# ------------------------------------------------------------------ numerical


@pytest.mark.parametrize(("response", "fraction", "feedback"), [
    (3.14159, 1.0, "SECRET-PAS"), ("3,14159", 1.0, "SECRET-PAS"), ("3.14", 1.0, "SECRET-PAS"),
    (3.15159, 1.0, "SECRET-PAS"), (3.13159, 1.0, "SECRET-PAS"),  # exactly at the tolerance
    (3.1516, 0.5, "SECRET-HAMPIR"), (3.5, 0.5, "SECRET-HAMPIR"), ("2,5", 0.5, "SECRET-HAMPIR"),
    (3, 0.5, "SECRET-HAMPIR"), (3.5001, 0.0, ""), (2.4999, 0.0, ""), (-3.14159, 0.0, ""),
    ("abc", 0.0, ""), ("nan", 0.0, ""), ("inf", 0.0, ""), ("1e999", 0.0, ""), (float("nan"), 0.0, ""),
    (float("inf"), 0.0, ""), (True, 0.0, ""), (None, 0.0, ""), ("", 0.0, ""), ([3.14159], 0.0, ""),
])
def test_numerical_scores_the_best_answer_within_tolerance(response, fraction, feedback):
    assert TYPES["numerical"].grade(NUMERICAL, response) == Grade(fraction, feedback)


def test_numerical_tolerance_edge_survives_binary_floats():
    definition = {"type": "numerical", "answers": [{"value": 3.14, "tolerance": 0.01, "fraction": 1}]}
    assert abs(3.13 - 3.14) > 0.01  # why the grader allows a tiny slack
    assert grade("numerical", definition, 3.15) == grade("numerical", definition, "3,13") == 1.0
    assert grade("numerical", {"answers": [{"value": 0.3, "tolerance": 0.1, "fraction": 1}]}, "0,4") == 1.0
    assert grade("numerical", definition, 3.1501) == 0.0
    exact = {"type": "numerical", "answers": [{"value": 42, "fraction": 1}]}  # tolerance defaults to 0
    assert grade("numerical", exact, "42") == grade("numerical", exact, 42.0) == 1.0
    assert grade("numerical", exact, 42.001) == 0.0


@pytest.mark.parametrize(("sent", "parsed"), [
    ("3,14", 3.14), (" 3.14 ", 3.14), ("-2", -2.0), ("\u22122,5", -2.5), (".5", 0.5), ("5,", 5.0),
    ("1e3", 1000.0), ("", None), ("abc", None), ("1.000,5", None), ("1_000", None), ("nan", None),
    ("infinity", None), ("1e999", None), ("٣", None), ("3 14", None), ("0x10", None),
])
def test_numerical_parse_accepts_comma_decimals_and_rejects_junk(sent, parsed):
    assert TYPES["numerical"].parse_response(NUMERICAL, MultiDict({"q7": sent}), "q7") == parsed


def test_numerical_describes_value_and_tolerance():
    assert TYPES["numerical"].describe_answer(NUMERICAL) == "3.14159 ± 0.01"
    assert TYPES["numerical"].describe_answer({"answers": [{"value": 42, "fraction": 1}]}) == "42"


# ------------------------------------------------------------------ matching and ordering


@pytest.mark.parametrize(("response", "fraction"), [
    ({"0": "Instruksi atasan", "1": "Pencatatan surat", "2": "Penyimpanan dokumen"}, 1.0),
    ({"0": "Instruksi atasan", "1": "Penyimpanan dokumen", "2": "Pencatatan surat"}, 1 / 3),
    ({"1": "Pencatatan surat"}, 1 / 3), ({0: "Instruksi atasan", "5": "x"}, 0.0),
    ({"0": ["Instruksi atasan"]}, 0.0), ({}, 0.0), (["Instruksi atasan"], 0.0),
])
def test_matching_scores_correct_matches_over_pairs(response, fraction):
    assert grade("matching", MATCHING, response) == pytest.approx(fraction)


def test_matching_parse_keeps_known_rights_only():
    form = MultiDict({"q7-0": "Instruksi atasan", "q7-1": "forged", "q7-2": "", "q7-9": "Arsip"})
    assert TYPES["matching"].parse_response(MATCHING, form, "q7") == {"0": "Instruksi atasan"}
    assert TYPES["matching"].parse_response(MATCHING, MultiDict({"q7-0": ""}), "q7") is None


def test_matching_shows_a_shared_right_once():
    definition = {"type": "matching", "pairs": [{"left": "A", "right": "x"}, {"left": "B", "right": "x"},
                                                {"left": "C", "right": "y"}]}
    assert TYPES["matching"].validate(definition) == []
    values = [a["value"] for tag, a in Form(render("matching", definition)).tags if tag == "option"]
    assert sorted(values) == sorted(["", "x", "y"] * 3)


@pytest.mark.parametrize(("response", "fraction"), [
    ([0, 1, 2, 3, 4], 1.0), ([4, 3, 2, 1, 0], 0.2), ([1, 0, 2, 3, 4], 0.6), ([1, 2, 3, 4, 0], 0.0),
    ([0, None, 2, None, 4], 0.6), ([0, 1], 0.4), ([0, 1, 2, 3, 4, 5, 6], 1.0), ([True, 1], 0.2),
    (["0", "1"], 0.0), ({"0": 0}, 0.0),
])
def test_ordering_scores_items_in_their_correct_position(response, fraction):
    assert grade("ordering", ORDERING, response) == pytest.approx(fraction)


def ordering_form(positions: dict[str, str]) -> MultiDict:
    """An ordering submission: shown item k is ``positions`` key, chosen position its value."""
    pairs = []
    for k, (item, position) in enumerate(positions.items()):
        pairs += [(f"q7-{k}-item", item), (f"q7-{k}", position)]
    return MultiDict(pairs)


def test_ordering_parse_builds_the_learners_order():
    form = ordering_form({"Arsip": "5", "Surat diterima": "1", "Tindak lanjut": "3",
                          "Agenda dicatat": "2", "Disposisi pimpinan": "4"})
    assert TYPES["ordering"].parse_response(ORDERING, form, "q7") == [0, 1, 3, 2, 4]


def test_ordering_parse_leaves_contested_and_empty_positions_unfilled():
    form = ordering_form({"Arsip": "1", "Surat diterima": "1", "Tindak lanjut": "",
                          "Agenda dicatat": "2", "Disposisi pimpinan": "99"})
    assert TYPES["ordering"].parse_response(ORDERING, form, "q7") == [None, 1, None, None, None]


def test_ordering_parse_ignores_forged_items_and_repeats():
    form = ordering_form({"forged": "1", "Agenda dicatat": "2"})
    form.add("q7-2-item", "Agenda dicatat")
    form.add("q7-2", "3")
    form.add("q7-3-item", "Surat diterima")
    form.add("q7-3", "-1")
    assert TYPES["ordering"].parse_response(ORDERING, form, "q7") == [None, 1, None, None, None]
    assert TYPES["ordering"].parse_response(ORDERING, MultiDict(), "q7") is None


# ------------------------------------------------------------------ essay


def test_essay_waits_for_a_person_unless_blank():
    essay = TYPES["essay"]
    assert essay.grade(ESSAY, "Manfaatnya banyak.") == Grade(None)
    assert essay.grade(ESSAY, "Manfaatnya banyak.").needs_grading
    assert essay.grade(ESSAY, None) == essay.grade(ESSAY, "  ") == essay.grade(ESSAY, ["x"]) == Grade(0.0)
    assert essay.correct_response(ESSAY) is None and essay.describe_answer(ESSAY) == ""


def test_essay_parse_normalises_line_ends_and_blank():
    parse = TYPES["essay"].parse_response
    assert parse(ESSAY, MultiDict({"q7": "  Satu\r\nDua  "}), "q7") == "Satu\nDua"
    assert parse(ESSAY, MultiDict({"q7": " \r\n "}), "q7") is None


# ------------------------------------------------------------------ validate


def opts(*specs) -> dict:
    """A definition's options from (id, text, fraction) triples; anything else is used as it is."""
    return {"options": [{"id": s[0], "text": s[1], "fraction": s[2]} if isinstance(s, tuple) else s
                        for s in specs]}


BROKEN = [
    ("single", opts(("a", "A", 1)), "options: needs at least 2"),
    ("single", {"options": "a,b"}, "options: must be a list of options"),
    ("single", {}, "options: must be a list of options"),
    ("single", opts(("a", "A", 1), "b"), "options[1]: must be a mapping"),
    ("single", opts(("a", "A", 1), ("a", "B", 0)), "options[1].id: duplicate 'a'"),
    ("single", opts(("a", "A", 1), (2, "B", 0)), "options[1].id: must be non-empty text"),
    ("single", opts(("a", "A", 1), ("b", " ", 0)), "options[1].text: must be non-empty text"),
    ("single", opts(("a", "A", 1), ("b", "B", -2), ("c", "C", 1.5)),
     "options[2].fraction: must be between -1 and 1"),
    ("single", opts(("a", "A", 1), {"id": "b", "text": "B"}), "options[1].fraction: must be a number"),
    ("single", opts(("a", "A", True), ("b", "B", 0)), "options[0].fraction: must be a number"),
    ("single", opts(("a", "A", "1"), ("b", "B", 0)), "options: at least one option must have fraction 1"),
    ("single", opts({"id": "a", "text": "A", "fraction": 1, "feedback": 3}, ("b", "B", 0)),
     "options[0].feedback: must be text"),
    ("single", opts(("a", "A", 0.5), ("b", "B", 0)), "options: at least one option must have fraction 1"),
    ("multiple", opts(("a", "A", 0.5), ("b", "B", 0)),
     "options: the positive fractions must add up to 1 (they add up to 0.5)"),
    ("multiple", opts(("a", "A", 1), ("b", "B", 1)),
     "options: the positive fractions must add up to 1 (they add up to 2)"),
    ("multiple", opts(("a", "A", float("nan")), ("b", "B", 1)), "options[0].fraction: must be a number"),
    ("truefalse", {}, "answer: must be true or false"),
    ("truefalse", {"answer": "true"}, "answer: must be true or false"),
    ("truefalse", {"answer": True, "feedback_false": ["x"]}, "feedback_false: must be text"),
    ("short", {"answers": []}, "answers: needs at least 1"),
    ("short", {"answers": [{"text": "", "fraction": 1}]}, "answers[0].text: must be non-empty text"),
    ("short", {"answers": [{"text": "a", "fraction": 0.5}]},
     "answers: at least one answer must have fraction 1"),
    ("short", {"answers": [{"text": "a", "fraction": 1}], "case_sensitive": "no"},
     "case_sensitive: must be true or false"),
    ("numerical", {"answers": [{"value": "3,14", "fraction": 1}]}, "answers[0].value: must be a number"),
    ("numerical", {"answers": [{"value": 10 ** 400, "fraction": 1}]}, "answers[0].value: must be a number"),
    ("numerical", {"answers": [{"value": 3, "tolerance": -1, "fraction": 1}]},
     "answers[0].tolerance: must be a number of at least 0"),
    ("numerical", {"answers": [{"value": 3, "tolerance": float("inf"), "fraction": 1}]},
     "answers[0].tolerance: must be a number of at least 0"),
    ("numerical", {"answers": [{"value": 3, "fraction": 2}]},
     "answers[0].fraction: must be between -1 and 1"),
    ("matching", {"pairs": [{"left": "A", "right": "x"}]}, "pairs: needs at least 2"),
    ("matching", {"pairs": [{"left": "A", "right": "x"}, {"left": "A", "right": "y"}]},
     "pairs[1].left: duplicate 'A'"),
    ("matching", {"pairs": [{"left": "A", "right": "x"}, {"left": "B"}]},
     "pairs[1].right: must be non-empty text"),
    ("matching", {"pairs": {"A": "x", "B": "y"}}, "pairs: must be a list of pairs"),
    ("ordering", {"items": ["a"]}, "items: needs at least 2"),
    ("ordering", {"items": ["a", "b", "a"]}, "items[2]: duplicate 'a'"),
    ("ordering", {"items": ["a", 2]}, "items[1]: must be non-empty text"),
    ("ordering", {"items": "a b"}, "items: must be a list of texts"),
    ("essay", {"rubric": 3}, "rubric: must be text"),
    ("essay", {"min_words": -1}, "min_words: must be a whole number of at least 0"),
    ("essay", {"min_words": 2.5}, "min_words: must be a whole number of at least 0"),
    ("essay", {"min_words": True}, "min_words: must be a whole number of at least 0"),
]


@pytest.mark.parametrize(("key", "definition", "problem"), BROKEN,
                         ids=lambda v: v if isinstance(v, str) else "")
def test_validate_names_each_broken_rule(key, definition, problem):
    assert problem in TYPES[key].validate({"type": key, **definition})


JUNK_DEFINITIONS = [None, [], "single", 3, 2.5, True, [{"options": []}], {"options": None},
                    {"options": [None, [], "x", {"id": {"a": 1}, "text": [], "fraction": {}}]},
                    {"options": [{"id": ["a"]}, {"id": ["a"]}], "answers": [[]], "pairs": [{"left": {}}],
                     "items": [[], {}, None], "answer": None, "min_words": "5", "rubric": []},
                    {"answers": [{"value": [], "tolerance": "x", "fraction": None, "text": {"a": []}}]},
                    {"pairs": [{"left": ["x"], "right": None}, {"left": ["x"], "right": 5}]},
                    {"items": [{"a": 1}, {"a": 1}]}]


@pytest.mark.parametrize("key", TYPES)
@pytest.mark.parametrize("definition", JUNK_DEFINITIONS, ids=repr)
def test_validate_never_raises_on_junk(key, definition):
    problems = TYPES[key].validate(definition)
    assert all(isinstance(p, str) and ": " in p for p in problems)
    if key != "essay" or not isinstance(definition, dict) or "min_words" in definition:
        assert problems


# ------------------------------------------------------------------ render


def answer_free(key, definition) -> dict:
    """The same question with the answer changed: rendering must not tell them apart."""
    if key in ("single", "multiple"):
        fractions = [o["fraction"] for o in definition["options"]]
        return {**definition, "options": [{**o, "fraction": f, "feedback": "OTHER"}
                                          for o, f in zip(definition["options"], fractions[::-1])]}
    if key == "truefalse":
        return {**definition, "answer": not definition["answer"]}
    if key in ("short", "numerical"):
        return {**definition, "answers": [{"text": "other", "value": 7, "fraction": 1}]}
    if key == "matching":
        rights = [p["right"] for p in definition["pairs"]]
        rotated = zip(definition["pairs"], rights[1:] + rights[:1])
        return {**definition, "pairs": [{**p, "right": r} for p, r in rotated]}
    if key == "ordering":
        return {**definition, "items": definition["items"][::-1]}
    return {**definition, "rubric": "other"}


@pytest.mark.parametrize("key", EXAMPLES)
def test_render_reveals_no_answer(key):
    definition = EXAMPLES[key]
    html = render(key, definition)
    answers = {"short": ["SRIKANDI", "srikandi", "e-office"], "numerical": ["3.14", "0.01"]}.get(key, [])
    for leak in ["fraction", "SECRET", "feedback", "data-correct", "checked", "selected", "correct",
                 *answers]:
        assert leak not in html, (leak, html)
    for seed in range(5):
        assert render(key, answer_free(key, definition), seed=seed) == render(key, definition, seed=seed)


@pytest.mark.parametrize("key", EXAMPLES)
def test_render_labels_every_control_and_prefixes_every_name(key):
    html = render(key, EXAMPLES[key], TYPES[key].correct_response(EXAMPLES[key]), name="quiz-q12")
    form = Form(html)
    assert html.startswith('<fieldset class="question-inputs')
    assert form.controls
    for tag, attrs, labelled in form.controls:
        assert attrs["name"].startswith("quiz-q12")
        assert labelled or attrs.get("type") == "hidden", (tag, attrs)


@pytest.mark.parametrize("key", EXAMPLES)
def test_render_escapes_definition_texts(key):
    evil = '<script>alert("x")</script>'
    definition = {
        "single": opts(('a"><b', evil, 1), ("b", "B", 0)),
        "multiple": opts(('a"><b', evil, 1), ("b", "B", 0)),
        "truefalse": {"answer": True},
        "short": {"answers": [{"text": "x", "fraction": 1}]},
        "numerical": {"answers": [{"value": 1, "fraction": 1}]},
        "matching": {"pairs": [{"left": evil, "right": evil + "1"}, {"left": "B", "right": 'y"><b'}]},
        "ordering": {"items": [evil, 'y"><b']},
        "essay": {},
    }[key]
    html = render(key, definition, evil if key in ("short", "numerical", "essay") else None)
    assert "<script" not in html and "<b" not in html


@pytest.mark.parametrize(("key", "definition"), [
    ("single", opts(*[(f"o{i}", f"Option {i}", 1 if i == 0 else 0) for i in range(6)])),
    ("multiple", opts(*[(f"o{i}", f"Option {i}", 0.5 if i < 2 else -0.5) for i in range(6)])),
    ("matching", {"pairs": [{"left": f"L{i}", "right": f"R{i}"} for i in range(5)]}),
    ("ordering", {"items": [f"Step {i}" for i in range(5)]}),
])
def test_shuffle_is_stable_per_seed_and_varies_across_seeds(key, definition):
    assert TYPES[key].validate(definition) == []
    assert render(key, definition, seed=3) == render(key, definition, seed=3)
    assert len({tuple(shown_order(key, definition, seed)) for seed in range(20)}) > 5


class Unshuffled(random.Random):
    """What a quiz with shuffle_options off passes: shuffle keeps the order."""

    def shuffle(self, x):
        return None


@pytest.mark.parametrize("rng", [None, Unshuffled()], ids=["none", "unshuffled"])
def test_without_shuffling_choices_keep_the_authors_order_but_orderings_do_not(rng):
    html = str(TYPES["single"].render(SINGLE, "q7", None, rng))
    assert [a["value"] for tag, a in Form(html).tags if tag == "input"] == ["a", "b", "c", "d"]
    items = ["Zeta", "Alpha", "Mu"]
    html = str(TYPES["ordering"].render({"items": items}, "q7", None, rng))
    assert [a["value"] for tag, a in Form(html).tags if a.get("type") == "hidden"] == sorted(items)
    pairs = [{"left": "1", "right": "Zeta"}, {"left": "2", "right": "Alpha"}, {"left": "3", "right": "Mu"}]
    html = str(TYPES["matching"].render({"pairs": pairs}, "q7", None, rng))
    assert [a["value"] for tag, a in Form(html).tags if tag == "option"][:4] == ["", "Alpha", "Mu", "Zeta"]


@pytest.mark.parametrize(("key", "response", "expected"), [
    ("single", "c", [("q7", "c")]),
    ("multiple", ["b", "d"], [("q7", "b"), ("q7", "d")]),
    ("truefalse", False, [("q7", "false")]),
    ("short", "e office", [("q7", "e office")]),
    ("numerical", 2.75, [("q7", "2.75")]),
    ("numerical", "3,1x", [("q7", "3,1x")]),
    ("matching", {"2": "Instruksi atasan"}, [("q7-0", ""), ("q7-1", ""), ("q7-2", "Instruksi atasan")]),
    ("essay", "Satu <dua>\ntiga", [("q7", "Satu <dua>\ntiga")]),
])
def test_render_prefills_the_saved_response(key, response, expected):
    submitted = Form(render(key, EXAMPLES[key], response)).submitted
    assert sorted(submitted) == sorted(expected)


def test_render_prefills_an_ordering():
    form = Form(render("ordering", ORDERING, [4, 3, None, 1, 0]))
    data = form.data
    chosen = {data[f"q7-{k}-item"]: data[f"q7-{k}"] for k in range(5)}
    assert chosen == {"Arsip": "1", "Tindak lanjut": "2", "Disposisi pimpinan": "", "Agenda dicatat": "4",
                      "Surat diterima": "5"}


@pytest.mark.parametrize("key", EXAMPLES)
def test_form_round_trip(key):
    """Submitting the correct response as rendered scores 1; an untouched form is unanswered."""
    definition = EXAMPLES[key]
    correct = TYPES[key].correct_response(definition) if key != "essay" else "Jawaban saya."
    assert round_trip(key, definition, correct) == correct
    if key != "essay":
        assert grade(key, definition, round_trip(key, definition, correct)) == 1.0
    assert round_trip(key, definition, None) is None


# ------------------------------------------------------------------ properties

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
               min_size=1, max_size=12).filter(str.strip)
IDS = st.lists(st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=4),
               min_size=2, max_size=7, unique=True)
FRACTION = st.sampled_from([-1, -0.5, 0, 0.2, 0.5, 1]) | st.floats(-1, 1)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=12)


def _optional_feedback(draw) -> dict:
    return {"feedback": draw(TEXT)} if draw(st.booleans()) else {}


def _with_full_credit(draw, fractions: list) -> list:
    fractions[draw(st.integers(0, len(fractions) - 1))] = 1
    return fractions


@st.composite
def single_definitions(draw):
    ids = draw(IDS)
    fractions = _with_full_credit(draw, [draw(FRACTION) for _ in ids])
    options = [{"id": i, "text": draw(TEXT), "fraction": f, **_optional_feedback(draw)}
               for i, f in zip(ids, fractions)]
    return {"type": "single", "options": options}


@st.composite
def multiple_definitions(draw):
    ids = draw(IDS)
    right = draw(st.sets(st.integers(0, len(ids) - 1), min_size=1))
    weights = {i: draw(st.integers(1, 10)) for i in right}
    fractions = [weights[i] / sum(weights.values()) if i in right else draw(st.floats(-1, 0) | st.just(0))
                 for i in range(len(ids))]
    options = [{"id": i, "text": draw(TEXT), "fraction": f, **_optional_feedback(draw)}
               for i, f in zip(ids, fractions)]
    return {"type": "multiple", "options": options}


@st.composite
def truefalse_definitions(draw):
    extra = {f"feedback_{k}": draw(TEXT) for k in ("true", "false") if draw(st.booleans())}
    return {"type": "truefalse", "answer": draw(st.booleans()), **extra}


@st.composite
def short_definitions(draw, text=TEXT):
    texts = draw(st.lists(text, min_size=1, max_size=4))
    fractions = _with_full_credit(draw, [draw(FRACTION) for _ in texts])
    extra = {"case_sensitive": draw(st.booleans())} if draw(st.booleans()) else {}
    return {"type": "short", **extra,
            "answers": [{"text": t, "fraction": f, **_optional_feedback(draw)}
                        for t, f in zip(texts, fractions)]}


@st.composite
def numerical_definitions(draw):
    count = draw(st.integers(1, 3))
    fractions = _with_full_credit(draw, [draw(FRACTION) for _ in range(count)])
    answers = []
    for fraction in fractions:
        answer = {"value": draw(st.floats(-1e6, 1e6) | st.integers(-1000, 1000)), "fraction": fraction}
        if draw(st.booleans()):
            answer["tolerance"] = draw(st.floats(0, 100) | st.just(0))
        answers.append({**answer, **_optional_feedback(draw)})
    return {"type": "numerical", "answers": answers}


@st.composite
def matching_definitions(draw):
    lefts = draw(st.lists(TEXT, min_size=2, max_size=6, unique=True))
    rights = draw(st.lists(TEXT, min_size=1, max_size=6, unique=True))
    return {"type": "matching",
            "pairs": [{"left": left, "right": draw(st.sampled_from(rights))} for left in lefts]}


ORDERINGS = st.lists(TEXT, min_size=2, max_size=7, unique=True).map(
    lambda items: {"type": "ordering", "items": items})
ESSAYS = st.fixed_dictionaries({"type": st.just("essay")},
                               optional={"rubric": st.text(), "min_words": st.integers(0, 500)})
DEFINITIONS = {"single": single_definitions(), "multiple": multiple_definitions(),
               "truefalse": truefalse_definitions(), "short": short_definitions(),
               "numerical": numerical_definitions(), "matching": matching_definitions(),
               "ordering": ORDERINGS, "essay": ESSAYS}


def plausible_responses(key, definition):
    """Responses near the definition's own values, beside any JSON-ish junk."""
    if key in ("single", "multiple"):
        ids = st.sampled_from([o["id"] for o in definition["options"]])
        return ids if key == "single" else st.lists(ids)
    if key == "truefalse":
        return st.booleans()
    if key == "short":
        return st.sampled_from([a["text"] for a in definition["answers"]]) | st.text()
    if key == "numerical":
        return (st.sampled_from([a["value"] for a in definition["answers"]]) | st.floats()
                | st.text("0123456789.,-e "))
    if key == "matching":
        pairs = definition["pairs"]
        return st.dictionaries(st.sampled_from([str(i) for i in range(len(pairs))]),
                               st.sampled_from([p["right"] for p in pairs]))
    return st.permutations(range(len(definition["items"]))) | st.lists(st.integers(-2, 9))


@pytest.mark.parametrize("key", TYPES)
@PROPERTY
@given(data=st.data())
def test_generated_definitions_are_valid(key, data):
    assert TYPES[key].validate(data.draw(DEFINITIONS[key])) == []


@pytest.mark.parametrize("key", AUTO)
@PROPERTY
@given(data=st.data())
def test_any_response_grades_within_0_and_1(key, data):
    definition = data.draw(DEFINITIONS[key])
    response = data.draw(JSONISH | plausible_responses(key, definition))
    result = TYPES[key].grade(definition, response)
    assert 0 <= result.fraction <= 1 and isinstance(result.feedback, str)


@pytest.mark.parametrize("key", AUTO)
@PROPERTY
@given(data=st.data())
def test_correct_response_scores_1_also_through_the_form(key, data):
    definition = data.draw(DEFINITIONS[key])
    correct = TYPES[key].correct_response(definition)
    assert grade(key, definition, correct) == 1.0
    assert TYPES[key].describe_answer(definition)
    parsed = round_trip(key, definition, correct, seed=data.draw(st.integers(0, 2 ** 32)))
    assert grade(key, definition, parsed) == 1.0


@PROPERTY
@given(definition=short_definitions(text=st.text("abcdefghijklmnopqrstuvwxyzàéöß0123456789- ", min_size=1,
                                                 max_size=12).filter(str.strip)),
       data=st.data())
def test_short_case_and_spacing_do_not_matter(definition, data):
    answer = data.draw(st.sampled_from(definition["answers"]))["text"]
    spaced = data.draw(st.sampled_from([" ", "  ", "\t", "\u00a0"])).join(answer.split())
    variant = f"  {spaced} "
    if not definition.get("case_sensitive"):
        variant = "".join(c.upper() if data.draw(st.booleans()) else c for c in variant)
    assert grade("short", definition, variant) == grade("short", definition, answer)


@PROPERTY
@given(definition=ORDERINGS, data=st.data())
def test_ordering_scores_fixed_points_over_items(definition, data):
    order = data.draw(st.permutations(range(len(definition["items"]))))
    fixed = sum(1 for position, item in enumerate(order) if position == item)
    assert grade("ordering", definition, order) == fixed / len(order)
    assert round_trip("ordering", definition, order, seed=data.draw(st.integers(0, 99))) == order


@PROPERTY
@given(definition=matching_definitions(), data=st.data())
def test_matching_property_scores_correct_matches_over_pairs(definition, data):
    pairs = definition["pairs"]
    rights = [p["right"] for p in pairs]
    response = data.draw(st.dictionaries(st.sampled_from([str(i) for i in range(len(pairs))]),
                                         st.sampled_from(rights)))
    correct = sum(1 for i, pair in enumerate(pairs) if response.get(str(i)) == pair["right"])
    assert grade("matching", definition, response) == correct / len(pairs)
    assert round_trip("matching", definition, response) == (response or None)


@pytest.mark.parametrize("key", ["single", "multiple"])
@PROPERTY
@given(data=st.data())
def test_render_ignores_fractions_and_feedback(key, data):
    definition = data.draw(DEFINITIONS[key])
    seed = data.draw(st.integers(0, 99))
    assert render(key, answer_free(key, definition), seed=seed) == render(key, definition, seed=seed)
