"""The `schedule` question type: validation, grading with partial credit, forms and hostile input."""
from __future__ import annotations

import copy
import random
from html.parser import HTMLParser

import pytest
from flask import Flask, request
from flask_babel import Babel
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

import lms_project_management
from lms.hookspecs import LMS_PLUGIN_API
from lms.plugin import Grade, QuestionType
from lms_project_management.question_types import ScheduleQuestion, amount

QT = ScheduleQuestion()
PLUGIN = {"project_management": lms_project_management}


def plugin_app() -> Flask:
    """A bare Flask app holding only this plugin's blueprint: enough to render its template
    and translate its texts (in the language of ?lang=, English by default) without an LMS
    or a database. The attempt page of a real LMS is tested in test_pm_plugin.py."""
    app = Flask(__name__)
    Babel(app, locale_selector=lambda: request.args.get("lang", "en"))
    for blueprint in lms_project_management.register_blueprints(app=app):
        app.register_blueprint(blueprint)
    return app


RENDER_APP = plugin_app()

#: Analisis A(3); Desain B(2, A); Pemrograman C(5, A); Uji D(2, B+C):
#: ES A0 B3 C3 D8, slack B3, duration 10, critical A C D.
APP = {"type": "schedule", "id": "jadwal-aplikasi", "text": "Hitung jadwalnya.", "unit": "hari", "tasks": [
    {"id": "A", "name": "Analisis kebutuhan", "duration": 3},
    {"id": "B", "name": "Desain tampilan", "duration": 2, "after": ["A"]},
    {"id": "C", "name": "Pemrograman", "duration": 5, "after": ["A"]},
    {"id": "D", "name": "Uji coba", "duration": 2, "after": ["B", "C"]},
]}
RIGHT = {"duration": 10, "earliest_start": {"A": 0, "B": 3, "C": 3, "D": 8}, "critical": ["A", "C", "D"]}
ALL_PARTS = {**APP, "ask": ["duration", "earliest_start", "slack", "critical"]}
JUNK = [None, "", "zzz", 0, 1, -1, 2.5, float("nan"), float("inf"), True, [], {}, [None], ["A"],
        {"duration": "10"}, {"duration": float("nan")}, {"earliest_start": []}, {"earliest_start": {"A": "x"}},
        {"critical": "A"}, {"critical": [None, {}, "A", "A"]}, {"slack": {"A": -1}}, {"duration": True},
        {"earliest_start": {"A": 10**20}}, {"a": {"b": {"c": []}}}]


class Form(HTMLParser):
    """What a browser submits for a rendered fragment, and the controls it holds."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.submitted: list[tuple[str, str]] = []
        self.controls: list[tuple[dict, bool]] = []  # (attributes, inside a <label>)
        self.text: list[str] = []
        self._labels = 0
        self.feed(source)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "label":
            self._labels += 1
        if tag == "input":
            self.controls.append((attrs, self._labels > 0))
            if attrs.get("type") != "checkbox":
                self.submitted.append((attrs["name"], attrs.get("value", "")))
            elif "checked" in attrs:
                self.submitted.append((attrs["name"], attrs.get("value", "on")))

    def handle_endtag(self, tag):
        if tag == "label":
            self._labels -= 1

    def handle_data(self, data):
        self.text.append(data)

    @property
    def data(self) -> MultiDict:
        return MultiDict(self.submitted)


def render(definition, response=None, name="q3", lang="en") -> str:
    with RENDER_APP.test_request_context(f"/?lang={lang}"):
        html = QT.render(definition, name, response, random.Random(1))
    assert isinstance(html, Markup)
    return str(html)


def fill(definition, values: dict, name="q3") -> MultiDict:
    """A submitted form: the rendered inputs with `values` typed in (by field suffix)."""
    form = Form(render(definition, name=name))
    sent = [(key, values.get(key.removeprefix(name + "-"), value)) for key, value in form.data.items(multi=True)]
    for key, value in values.items():
        if key.startswith("critical"):
            sent += [(f"{name}-critical", v) for v in value]
    return MultiDict([(k, v) for k, v in sent if not k.endswith("critical") or v])


# ------------------------------------------------------------------ registration and contract


def test_the_hook_returns_the_schedule_type():
    types = lms_project_management.register_question_types()
    assert [type(t) for t in types] == [ScheduleQuestion]
    assert isinstance(types[0], QuestionType) and types[0].key == "schedule" and types[0].manual is False
    assert str(types[0].label) == "Schedule (critical path)"
    assert lms_project_management.lms_api.split(".")[0] == LMS_PLUGIN_API.split(".")[0]


def test_the_example_is_valid_and_its_correct_response_scores_1():
    assert QT.validate(APP) == []
    assert QT.correct_response(APP) == RIGHT
    assert QT.grade(APP, RIGHT) == Grade(1.0, "Project duration: right. Earliest start: all 4 tasks right. "
                                              "Critical tasks: right.")
    assert QT.correct_response(ALL_PARTS)["slack"] == {"A": 0, "B": 3, "C": 0, "D": 0}
    assert QT.grade(ALL_PARTS, QT.correct_response(ALL_PARTS)).fraction == 1.0


def test_describe_answer_lists_the_critical_path_and_duration():
    assert QT.describe_answer(APP) == ("Critical path: A → C → D. Project duration: 10 hari. "
                                       "Earliest start: A 0, B 3, C 3, D 8.")
    diamond = {**APP, "unit": "", "ask": ["critical", "slack"], "tasks": [
        {"id": "A", "duration": 2}, {"id": "B", "duration": 3, "after": ["A"]},
        {"id": "C", "duration": 3, "after": ["A"]}, {"id": "D", "duration": 1, "after": ["B", "C"]}]}
    assert QT.describe_answer(diamond) == ("Critical paths: A → B → D; A → C → D. Project duration: 6. "
                                           "Slack: A 0, B 0, C 0, D 0.")


# ------------------------------------------------------------------ grading


@pytest.mark.parametrize(("response", "fraction", "feedback"), [
    (RIGHT, 1.0, "all 4 tasks right"),
    ({**RIGHT, "duration": 12}, 2 / 3, "Project duration: not right"),
    ({**RIGHT, "earliest_start": {"A": 0, "B": 3, "C": 3, "D": 5}}, (1 + 0.75 + 1) / 3,
     "Earliest start: 3 of 4 tasks right; check task D."),
    ({**RIGHT, "earliest_start": {"A": 1, "B": 4, "C": 3, "D": 8}}, (1 + 0.5 + 1) / 3, "check tasks A, B."),
    ({**RIGHT, "critical": ["A", "C"]}, (1 + 1 + 2 / 3) / 3, "Critical tasks: D is critical too."),
    ({**RIGHT, "critical": ["A", "B", "C", "D"]}, (1 + 1 + 3 / 4) / 3, "B has slack, so it is not critical."),
    ({**RIGHT, "critical": ["A", "B"]}, (1 + 1 + 1 / 4) / 3, "C, D are critical too. B has slack"),
    ({**RIGHT, "critical": []}, 2 / 3, "Critical tasks: A, C, D are critical too."),
    ({"critical": ["A", "C", "D"]}, 1 / 3, "Project duration: not answered. Earliest start: not answered."),
    ({"duration": 10.0, "earliest_start": {"A": 0.0, "B": "3", "C": 3, "D": 8}, "critical": ["D", "C", "A"]},
     1.0, "Critical tasks: right."),
    ({"duration": 10.5, "earliest_start": {"A": 0, "B": 3, "C": 3, "D": 8}, "critical": ["A", "C", "D", "Z"]},
     2 / 3, "Project duration: not right"),
    (None, 0.0, ""),
])
def test_parts_score_with_partial_credit_and_name_the_wrong_tasks(response, fraction, feedback):
    result = QT.grade(APP, response)
    assert result.fraction == pytest.approx(fraction)
    assert feedback in result.feedback


def test_ticking_every_task_never_wins_the_critical_part():
    definition = {**APP, "ask": ["critical"]}
    assert QT.grade(definition, {"critical": ["A", "B", "C", "D"]}).fraction == pytest.approx(0.75)
    many = {**definition, "tasks": APP["tasks"] + [{"id": f"X{i}", "duration": 1} for i in range(8)]}
    assert QT.grade(many, {"critical": [t["id"] for t in many["tasks"]]}).fraction == pytest.approx(3 / 12)


def test_weights_change_the_share_of_each_part():
    weighted = {**APP, "weights": {"earliest_start": 2, "critical": 1.5}}
    assert QT.validate(weighted) == []
    response = {**RIGHT, "duration": 99, "critical": ["A", "C"]}
    assert QT.grade(weighted, response).fraction == pytest.approx((0 + 2 * 1 + 1.5 * 2 / 3) / 4.5)


def test_only_asked_parts_count():
    only_duration = {**APP, "ask": ["duration"]}
    assert QT.correct_response(only_duration) == {"duration": 10}
    assert QT.grade(only_duration, {"duration": 10}) == Grade(1.0, "Project duration: right.")
    slack = {**APP, "ask": ["slack", "earliest_start"]}
    result = QT.grade(slack, {"slack": {"A": 0, "B": 3, "C": 0, "D": 1}, "earliest_start": RIGHT["earliest_start"]})
    assert result.fraction == pytest.approx((0.75 + 1) / 2)
    assert result.feedback == ("Earliest start: all 4 tasks right. "
                               "Slack: 3 of 4 tasks right; check task D.")


@pytest.mark.parametrize("response", JUNK, ids=repr)
def test_junk_responses_score_within_0_and_1_and_render(response):
    for definition in (APP, ALL_PARTS):
        result = QT.grade(definition, response)
        assert isinstance(result.feedback, str) and 0 <= result.fraction <= 1
        render(definition, response)  # pre-filling junk never raises


@pytest.mark.parametrize("change", [{"ask": [{}, ["x"]]}, {"ask": "duration"}, {"ask": ["nope"]},
                                    {"weights": {"duration": "x", None: None}}, {"weights": [1]},
                                    {"weights": {"duration": -1}}, {"unit": ["x"]}], ids=repr)
def test_an_unvalidated_ask_or_weight_falls_back_to_the_defaults(change):
    definition = {**APP, **change}
    assert QT.validate(definition)
    assert QT.grade(definition, RIGHT).fraction == 1.0
    assert QT.parse_response(definition, Form(render(definition, RIGHT)).data, "q3") == RIGHT
    assert QT.correct_response(definition) == RIGHT


def test_a_broken_definition_scores_0_instead_of_raising():
    broken = {**APP, "tasks": [{"id": "A", "duration": 1, "after": ["A"]}, {"id": "B", "duration": 1}]}
    assert QT.grade(broken, RIGHT) == Grade(0.0)
    assert QT.correct_response(broken) is None and QT.describe_answer(broken) == ""
    assert QT.parse_response(broken, MultiDict({"q3-duration": "3"}), "q3") is None


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(("change", "problem"), [
    ({"tasks": None}, "tasks: must be a list of tasks (id, duration, after)"),
    ({"tasks": [{"id": "A", "duration": 1}]}, "tasks: needs at least 2 tasks"),
    ({"tasks": [{"id": "A", "duration": 1}, {"id": "B", "duration": 1, "after": ["Z"]}]},
     "tasks[1].after[0]: unknown task 'Z'"),
    ({"tasks": [{"id": "A", "duration": 1, "after": ["B"]}, {"id": "B", "duration": 1, "after": ["A"]}]},
     "tasks: dependency cycle A → B → A"),
    ({"tasks": [{"id": "A", "duration": 1}, {"id": "A", "duration": 2}]}, "tasks[1].id: duplicate 'A'"),
    ({"tasks": [{"id": "A", "duration": 1.5}, {"id": "B", "duration": 2}]}, "tasks[0].duration: must be a whole number"),
    ({"tasks": [{"id": f"T{i}", "duration": 1} for i in range(51)]}, "tasks: at most 50 tasks (found 51)"),
    ({"ask": "duration"}, "ask: must be a list of one or more of duration, earliest_start, slack, critical"),
    ({"ask": []}, "ask: must be a list of one or more"),
    ({"ask": ["duration", "latest_finish"]}, "ask[1]: unknown part 'latest_finish'"),
    ({"ask": ["duration", "duration"]}, "ask[1]: 'duration' is asked twice"),
    ({"ask": [["x"]]}, "ask[0]: unknown part"),
    ({"weights": [1]}, "weights: must be a mapping"),
    ({"weights": {"speed": 1}}, "weights.speed: unknown part"),
    ({"weights": {"slack": 1}}, "weights.slack: this part is not asked (see ask)"),
    ({"weights": {"duration": 0}}, "weights.duration: must be a number above 0 (at most 100)"),
    ({"weights": {"duration": True}}, "weights.duration: must be a number above 0"),
    ({"weights": {"duration": float("inf")}}, "weights.duration: must be a number above 0"),
    ({"unit": 3}, "unit: must be text of at most 20 characters"),
])
def test_validate_names_each_broken_field(change, problem):
    problems = QT.validate({**APP, **change})
    assert any(p.startswith(problem) for p in problems), problems


@pytest.mark.parametrize("definition", [None, [], "schedule", 3, {}, {"tasks": {}}, {"tasks": [None]},
                                        {"tasks": [[1, 2]], "ask": {}, "weights": "x", "unit": []},
                                        {"tasks": [{"id": {}, "duration": [], "after": {}}]},
                                        {**APP, "ask": [{}], "weights": {None: None}}], ids=repr)
def test_validate_never_raises(definition):
    assert QT.validate(definition)


# ------------------------------------------------------------------ rendering


def test_render_reveals_no_answer_and_labels_every_control():
    html = render(ALL_PARTS)
    form = Form(html)
    assert all(inside for _, inside in form.controls)
    assert all(attrs["name"].startswith("q3-") for attrs, _ in form.controls)
    assert [attrs["name"] for attrs, _ in form.controls if attrs.get("type") == "text"] == [
        "q3-es-0", "q3-slack-0", "q3-es-1", "q3-slack-1", "q3-es-2", "q3-slack-2", "q3-es-3", "q3-slack-3",
        "q3-duration"]
    assert all(attrs.get("value", "") == "" for attrs, _ in form.controls if attrs.get("type") == "text")
    assert "checked" not in html and "<script" not in html
    for secret in ("10 hari", ">8<", "A → C"):
        assert secret not in html
    assert 'inputmode="numeric"' in html and '<div class="schedule-table">' in html  # phones scroll it
    assert "style=" not in html  # the looks live in static/project_management.css


def test_render_comes_from_the_plugins_template_and_links_its_stylesheet(monkeypatch):
    html = render(APP)
    assert html.startswith('<link rel="stylesheet" href="/p/project_management/static/project_management.css">')
    drawn = []
    monkeypatch.setattr("lms_project_management.question_types.render_template",
                        lambda template, /, **context: drawn.append((template, context)) or "")
    render(APP, {"duration": 9, "earliest_start": {"B": 3}, "critical": ["C"]})
    ((template, context),) = drawn
    assert template == "project_management/schedule.html"
    # only what the definition states and the learner's own response: no ES, slack or path
    assert set(context) == {"name", "parts", "unit", "tasks", "duration", "pm_"}
    assert context["parts"] == ("duration", "earliest_start", "critical") and context["duration"] == "9"
    assert context["tasks"][1] == {"id": "B", "name": "Desain tampilan", "duration": 2, "after": "A", "es": "3",
                                   "slack": "", "critical": False}
    assert [task["critical"] for task in context["tasks"]] == [False, False, True, False]


def test_the_stylesheet_keeps_the_table_inside_a_phone_screen():
    with RENDER_APP.test_client().get("/p/project_management/static/project_management.css") as css:
        assert css.status_code == 200 and css.mimetype == "text/css"
        rules = css.get_data(as_text=True)
    assert "overflow-x: auto" in rules  # the table scrolls inside its box ...
    assert "fieldset.question-schedule { min-width: 0;" in rules  # ... and never widens the page
    assert rules.count("min-height: 44px") >= 2  # text inputs and checkbox labels are thumb-sized


def test_render_shows_tasks_durations_and_predecessors_in_the_authors_order():
    text = " ".join(Form(render(APP)).text)
    assert text.index("Analisis kebutuhan") < text.index("Desain tampilan") < text.index("Uji coba")
    assert "B, C" in text and "Duration (hari)" in text and "Project duration (hari)" in text
    assert "Slack" not in text  # not asked


def test_render_escapes_the_definition():
    evil = {**APP, "unit": "<i>h</i>", "tasks": [
        {"id": "A", "name": "<script>alert(1)</script>", "duration": 1},
        {"id": "B", "name": "\" onmouseover=\"x", "duration": 1, "after": ["A"]}]}
    assert QT.validate(evil) == []
    html = render(evil, name='q"1')
    assert "<script>" not in html and "<i>" not in html and 'name="q"1' not in html
    assert "&lt;script&gt;" in html


def test_render_prefills_the_saved_response():
    html = render(APP, {"duration": 10, "earliest_start": {"A": 0, "C": 3.5}, "critical": ["C", "nope"]})
    form = Form(html)
    assert dict(form.data) == {"q3-es-0": "0", "q3-es-1": "", "q3-es-2": "3.5", "q3-es-3": "",
                               "q3-duration": "10", "q3-critical": "C"}


def test_form_round_trip_of_the_correct_response():
    for definition in (APP, ALL_PARTS, {**APP, "ask": ["critical"]}, {**APP, "ask": ["duration"]}):
        right = QT.correct_response(definition)
        form = Form(render(definition, right))
        assert QT.parse_response(definition, form.data, "q3") == right
        assert QT.grade(definition, QT.parse_response(definition, form.data, "q3")).fraction == 1.0


# ------------------------------------------------------------------ parsing hostile input


def test_parse_reads_typed_numbers_and_known_tasks_only():
    form = MultiDict([("q3-duration", " 10 "), ("q3-es-0", "0"), ("q3-es-1", "3,0"), ("q3-es-2", "-3"),
                      ("q3-es-3", "8 hari"), ("q3-es-4", "1"), ("q3-es-x", "1"), ("q3-critical", "A"),
                      ("q3-critical", "A"), ("q3-critical", "Z"), ("q3-critical", "c"), ("q3-critical", "D"),
                      ("q4-duration", "7")])
    assert QT.parse_response(APP, form, "q3") == {
        "duration": 10, "earliest_start": {"A": 0, "B": 3}, "critical": ["A", "D"]}


def test_parse_blank_is_unanswered_but_an_empty_critical_set_with_numbers_is_an_answer():
    assert QT.parse_response(APP, MultiDict(), "q3") is None
    assert QT.parse_response(APP, fill(APP, {}), "q3") is None
    assert QT.parse_response(APP, MultiDict({"q3-duration": "", "q3-critical": "Z"}), "q3") is None
    assert QT.parse_response(APP, MultiDict({"q3-duration": "9"}), "q3") == {"duration": 9, "critical": []}
    assert QT.parse_response(APP, MultiDict({"q3-critical": "B"}), "q3") == {"critical": ["B"]}


@pytest.mark.parametrize("value", ["", " ", "abc", "-1", "1e3", "NaN", "inf", "0x10", "1_0", "１０", "3..1",
                                   "9" * 8, "1" * 10_000, "1.23456", "\x00", "10\n10"])
def test_parse_drops_malformed_numbers(value):
    assert QT.parse_response(APP, MultiDict({"q3-duration": value}), "q3") is None


@pytest.mark.parametrize("form", [None, 3, "q3-duration=4", [], {"q3-duration": 4}, {"q3-duration": ["4"]},
                                  object(), MultiDict({"q3-critical": ["A"]})], ids=repr)
def test_parse_never_raises_on_strange_forms(form):
    assert QT.parse_response(APP, form, "q3") in (None, {"critical": ["A"]})


def test_parse_accepts_a_plain_dict_form():
    assert QT.parse_response(APP, {"q3-duration": "4"}, "q3") == {"duration": 4, "critical": []}


@pytest.mark.parametrize("definition", [None, {}, {"tasks": "x"}, {"tasks": [None, None]}, "x"], ids=repr)
def test_parse_render_and_grade_survive_a_junk_definition(definition):
    assert QT.parse_response(definition, MultiDict({"q3-duration": "4"}), "q3") is None
    assert QT.grade(definition, RIGHT) == Grade(0.0)


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.tuples(st.sampled_from(["q3-duration", "q3-es-0", "q3-es-3", "q3-slack-1", "q3-critical",
                                           "q3-es-99", "q3", "x"]), st.text(max_size=12)), max_size=20))
def test_any_form_parses_to_a_response_that_grades_within_0_and_1(pairs):
    response = QT.parse_response(ALL_PARTS, MultiDict(pairs), "q3")
    assert response is None or isinstance(response, dict)
    assert 0 <= QT.grade(ALL_PARTS, response).fraction <= 1
    if response is not None:
        assert QT.parse_response(ALL_PARTS, Form(render(ALL_PARTS, response)).data, "q3") == response


def test_amount():
    assert [amount(v) for v in ("3", "3,0", "3.5", " 7 ", 4, 4.0, 2.5)] == [3, 3, 3.5, 7, 4, 4, 2.5]
    assert [amount(v) for v in ("-1", True, None, float("nan"), 10**10, "1e2", [3])] == [None] * 7


def test_definitions_are_not_changed_by_the_type():
    before = copy.deepcopy(ALL_PARTS)
    response = QT.correct_response(ALL_PARTS)
    QT.grade(ALL_PARTS, response)
    render(ALL_PARTS, response)
    QT.parse_response(ALL_PARTS, MultiDict(), "q3")
    QT.describe_answer(ALL_PARTS)
    assert ALL_PARTS == before


# ------------------------------------------------------------------ language


@pytest.mark.lms_config(PLUGIN_OBJECTS=PLUGIN)
def test_feedback_and_labels_follow_the_visitors_language(lms_app):
    with lms_app.test_request_context():  # Indonesian is the default
        assert QT.grade(APP, RIGHT).feedback == ("Durasi proyek: benar. Mulai paling awal (ES): semua 4 tugas "
                                                 "benar. Tugas kritis: benar.")
        assert str(QT.label) == "Jadwal (jalur kritis)"
        assert "Jalur kritis: A → C → D. Durasi proyek: 10 hari." in QT.describe_answer(APP)
        html = QT.render(APP, "q3", None, random.Random(1))
        assert "Mulai paling awal tugas A" in html and "Durasi proyek (hari)" in html
        partial = QT.grade(APP, {**RIGHT, "critical": ["A", "B", "C"]}).feedback
        assert "Tugas kritis: D juga termasuk tugas kritis. B masih punya slack, jadi tidak kritis." in partial
    assert QT.grade(APP, RIGHT).feedback.startswith("Project duration: right.")  # no request: msgids
    assert "Mulai paling awal tugas A" in render(APP, lang="id")  # the plugin's own catalog, in any app
