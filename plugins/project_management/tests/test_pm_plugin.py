"""The plugin end to end: registered through the public hook, a learner's attempt, the API boundary."""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml

import lms_project_management
from lms.testing import course_manifest

PLUGIN = {"project_management": lms_project_management}
PACKAGE = Path(lms_project_management.__file__).parent
SCHEDULE = {"id": "jadwal-antrean", "type": "schedule", "points": 2, "unit": "hari",
            "text": "Hitung jadwal proyek aplikasi antrean puskesmas.",
            "feedback": "Ingat: di titik pertemuan ambil EF terbesar.",
            "tasks": [{"id": "A", "name": "Analisis kebutuhan", "duration": 3},
                      {"id": "B", "name": "Desain tampilan", "duration": 2, "after": ["A"]},
                      {"id": "C", "name": "Pemrograman", "duration": 5, "after": ["A"]},
                      {"id": "D", "name": "Uji coba <terbatas>", "duration": 2, "after": ["B", "C"]}]}
SINGLE = {"id": "jalur-terpanjang", "type": "single", "text": "Durasi proyek ditentukan oleh?",
          "options": [{"id": "a", "text": "Jalur terpanjang", "fraction": 1},
                      {"id": "b", "text": "Kegiatan termahal", "fraction": 0}]}


def start_attempt(client, slug="jadwal-uji") -> str:
    """Enrol, start the quiz; return the attempt page's URL."""
    client.submit(f"/courses/{slug}/enrol", form_page=f"/courses/{slug}")
    started = client.submit(f"/learn/{slug}/quiz/kuis/start", form_page=f"/learn/{slug}/quiz/kuis")
    assert started.status_code == 302, started.status_code
    return started.location


@pytest.mark.lms_config(PLUGIN_OBJECTS=PLUGIN)
def test_the_plugin_is_registered_and_listed(lms_app, lms_runner):
    assert "project_management" in lms_app.extensions["lms"].plugin_names()
    listing = lms_runner.invoke(args=["lms", "plugins"]).output
    line = next(row for row in listing.splitlines() if row.startswith("project_management"))
    assert "enabled" in line and "register_question_types" in line and "1.1" in line
    assert "register_blueprints" in line


@pytest.mark.lms_config(PLUGIN_OBJECTS=PLUGIN)
def test_the_attempt_page_draws_the_plugins_template_and_stylesheet(lms_client, lms_auth, lms_user, lms_course):
    lms_course("jadwal-uji", lessons=1, questions=[SCHEDULE])
    lms_auth.login(lms_user())
    page = lms_client.get(start_attempt(lms_client)).get_data(as_text=True)
    question = re.search(r'(<link rel="stylesheet" href="([^"]+)">\s*'
                         r'<fieldset class="question-inputs question-schedule">.*?</fieldset>)', page, re.DOTALL)
    assert question and question.group(2) == "/p/project_management/static/project_management.css"
    assert "style=" not in question.group(1)  # no inline styles: the plugin's stylesheet does the looks
    assert '<div class="schedule-table"><table class="table">' in question.group(1)
    with lms_client.get(question.group(2)) as css:  # a file response: close it
        assert css.status_code == 200 and css.mimetype == "text/css"
        assert ".question-schedule .schedule-table { overflow-x: auto;" in css.get_data(as_text=True)


@pytest.mark.lms_config(PLUGIN_OBJECTS=PLUGIN)
def test_a_learner_who_chose_english_gets_the_table_and_feedback_in_english(lms_client, lms_auth, lms_user,
                                                                            lms_course):
    lms_course("jadwal-uji", lessons=1, questions=[SCHEDULE])
    lms_auth.login(lms_user())
    attempt = start_attempt(lms_client)
    lms_client.submit("/language", {"lang": "en", "next": attempt}, form_page=attempt)
    page = lms_client.get(attempt).get_data(as_text=True)
    assert "Earliest start of A" in page and "Project duration (hari)" in page and "Mulai paling awal" not in page
    lms_client.submit(attempt + "/submit", {"q0-duration": "10", "q0-critical": ["A", "C", "D"]}, form_page=attempt)
    review = lms_client.get(attempt + "/review").get_data(as_text=True)
    assert "Project duration: right. Earliest start: not answered. Critical tasks: right." in review


@pytest.mark.lms_config(PLUGIN_OBJECTS=PLUGIN)
def test_a_learner_builds_a_schedule_and_gets_partial_credit(lms_client, lms_auth, lms_user, lms_course):
    lms_course("jadwal-uji", lessons=1, questions=[SCHEDULE, SINGLE], quiz={"shuffle_options": True})
    lms_auth.login(lms_user())
    attempt = start_attempt(lms_client)
    page = lms_client.get(attempt).get_data(as_text=True)
    # the table, in Indonesian, with one ES input and one checkbox per task, no answer in sight
    assert "Mulai paling awal (ES)" in page and "Durasi proyek (hari)" in page
    assert "Uji coba &lt;terbatas&gt;" in page
    assert len(re.findall(r'name="q\d-es-\d"', page)) == 4 and len(re.findall(r'name="q\d-critical"', page)) == 4
    assert "A → C → D" not in page and "checked" not in page
    slot = re.search(r'name="(q\d)-duration"', page).group(1)
    other = "q1" if slot == "q0" else "q0"
    right_option = re.search(rf'name="{other}" value="([0-9a-f]+)"> Jalur terpanjang', page).group(1)
    # autosave keeps a half-filled table; the page shows it again
    saved = lms_client.submit(attempt + "/save", {f"{slot}-es-0": "0", f"{slot}-es-1": "3"}, form_page=attempt)
    assert saved.status_code == 200 and saved.get_json()["saved"] == 2
    again = lms_client.get(attempt).get_data(as_text=True)
    assert f'name="{slot}-es-1" value="3"' in again
    # ES of D wrong (5 instead of 8), C not ticked: 2/3 + 1/3 * ... see below
    answers = {f"{slot}-duration": "10", f"{slot}-es-0": "0", f"{slot}-es-1": "3", f"{slot}-es-2": "3",
               f"{slot}-es-3": "5", f"{slot}-critical": ["A", "D"], other: right_option}
    lms_client.submit(attempt + "/submit", answers, form_page=attempt)
    review = lms_client.get(attempt + "/review").get_data(as_text=True)
    # schedule: duration 1, ES 3/4, critical |{A,D}|/|{A,C,D}| = 2/3 -> (1 + .75 + 2/3) / 3 of 2 points
    schedule_points = 2 * (1 + 0.75 + 2 / 3) / 3
    score = round(100 * (schedule_points + 1) / 3, 2)
    assert f"{score:g}%" in review.replace(",", ".") or f"{round(score)}%" in review
    assert "Mulai paling awal (ES): 3 dari 4 tugas benar; periksa kembali tugas D." in review
    assert "Tugas kritis: C juga termasuk tugas kritis." in review
    assert "Jalur kritis: A → C → D. Durasi proyek: 10 hari." in review
    assert "Ingat: di titik pertemuan ambil EF terbesar." in review


@pytest.mark.lms_config(PLUGIN_OBJECTS=PLUGIN)
def test_the_right_schedule_scores_full_marks(lms_client, lms_auth, lms_user, lms_course, lms_events):
    lms_course("jadwal-uji", lessons=1, questions=[SCHEDULE])
    lms_auth.login(lms_user())
    attempt = start_attempt(lms_client)
    answers = {"q0-duration": "10", "q0-es-0": "0", "q0-es-1": "3", "q0-es-2": "3", "q0-es-3": "8",
               "q0-critical": ["A", "C", "D"]}
    lms_client.submit(attempt + "/submit", answers, form_page=attempt)
    review = lms_client.get(attempt + "/review").get_data(as_text=True)
    assert "100%" in review and "Durasi proyek: benar." in review
    graded = [args["attempt"] for hook, args in lms_events.calls if hook == "quiz_graded"]
    assert len(graded) == 1 and graded[0]["score"] == 100 and graded[0]["passed"] is True


@pytest.mark.lms_config(PLUGIN_OBJECTS=PLUGIN)
def test_hostile_submissions_are_graded_not_crashed(lms_client, lms_auth, lms_user, lms_course):
    lms_course("jadwal-uji", lessons=1, questions=[SCHEDULE])
    lms_auth.login(lms_user())
    attempt = start_attempt(lms_client)
    answers = {"q0-duration": "1e309", "q0-es-0": "-0", "q0-es-1": "NaN", "q0-es-2": "9" * 5000,
               "q0-es-3": "<script>", "q0-es-99": "1", "q0-critical": ["A", "'; DROP TABLE", "A", ""]}
    response = lms_client.submit(attempt + "/submit", answers, form_page=attempt)
    assert response.status_code == 302
    review = lms_client.get(attempt + "/review")
    assert review.status_code == 200 and "<script>" not in review.get_data(as_text=True)


def write_package(folder: Path, slug: str, questions: list[dict]) -> Path:
    """A course folder with one lesson and a quiz of `questions` (lms.testing builds the manifest)."""
    manifest, bodies = course_manifest(slug, lessons=1, questions=questions, competency="manajerial")
    for name, body in {"course.yaml": yaml.safe_dump(manifest, allow_unicode=True), **bodies}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(body, encoding="utf-8")
    return folder


def test_without_the_plugin_a_schedule_question_is_refused_at_import(lms_runner, tmp_path):
    result = lms_runner.invoke(args=["lms", "import-course", str(write_package(tmp_path, "tanpa-plugin", [SCHEDULE]))])
    assert result.exit_code == 1
    assert "quizzes/kuis.yaml: question jadwal-antrean: unknown question type 'schedule'" in result.output


@pytest.mark.lms_config(PLUGIN_OBJECTS=PLUGIN)
def test_an_invalid_schedule_is_refused_at_import_with_field_names(lms_runner, tmp_path):
    broken = {**SCHEDULE, "tasks": [{"id": "A", "duration": 1, "after": ["C"]},
                                     {"id": "B", "duration": 0, "after": ["A"]},
                                     {"id": "C", "duration": 2, "after": ["A"]}], "ask": ["speed"]}
    result = lms_runner.invoke(args=["lms", "import-course", str(write_package(tmp_path, "jadwal-rusak", [broken]))])
    assert result.exit_code == 1
    assert "quizzes/kuis.yaml: question jadwal-antrean: tasks[1].duration: must be a whole number" in result.output
    assert "ask[0]: unknown part 'speed'" in result.output
    broken["tasks"][1]["duration"] = 1
    broken["ask"] = ["critical"]
    result = lms_runner.invoke(args=["lms", "import-course", str(write_package(tmp_path, "jadwal-rusak", [broken]))])
    assert result.exit_code == 1 and "tasks: dependency cycle A → C → A" in result.output
    fixed = {**broken, "tasks": [{**broken["tasks"][0], "after": []}, *broken["tasks"][1:]]}
    result = lms_runner.invoke(args=["lms", "import-course", str(write_package(tmp_path, "jadwal-rusak", [fixed]))])
    assert result.exit_code == 0, result.output


# ------------------------------------------------------------------ the API boundary

ALLOWED_LMS = {"lms.plugin", "lms.hookspecs", "lms.testing"}
ALLOWED_THIRD_PARTY = {"markupsafe", "flask", "flask_babel", "lms_project_management"}
#: Tests may also use the test tools the core's suite uses (and babel, to compile the catalog).
ALLOWED_IN_TESTS = ALLOWED_THIRD_PARTY | {"babel", "pytest", "hypothesis", "werkzeug", "yaml"}


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")) + sorted(Path(__file__).parent.glob("*.py")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_plugin_and_its_tests_import_only_the_public_api(path):
    allowed = ALLOWED_THIRD_PARTY if PACKAGE in path.parents else ALLOWED_IN_TESTS
    for module in imported_modules(path):
        top = module.split(".")[0]
        if top == "lms":
            assert module in ALLOWED_LMS, f"{path.name} imports {module}"
        else:
            assert top in sys.stdlib_module_names or top in allowed, f"{path.name} imports {module}"


def test_the_plugin_declares_its_api_version():
    assert lms_project_management.lms_api == "1.1"
    assert lms_project_management.__version__
