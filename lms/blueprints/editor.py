"""The browser course editor: metadata, sections, lessons, quizzes and their order.

Views stay thin: they parse a form and call ``lms.services.course_editor``, which checks
each change like an import and writes it to the course's draft. GET pages show the latest
version and never create a draft. Anyone who may not author the course gets 404.
"""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from lms.database import db
from lms.errors import handle_http_error
from lms.forms.editor import CourseForm, LessonForm, MoveForm, QuizForm, ScormForm, SectionForm
from lms.forms.quizzes import ConfirmForm
from lms.models import Course
from lms.packages.archive import Limits
from lms.registry import lesson_types
from lms.services import authoring, competencies, course_editor
from lms.services.question_bank import questions_of

bp = Blueprint("editor", __name__, url_prefix="/author/courses/<slug>/edit")

#: Manifest keys whose form field has another name.
FIELD_OF = {"id": "key", "pass": "pass_mark", "certificate": "certificate_months",
            "certificate.valid_for_months": "certificate_months"}


@bp.url_value_preprocessor
def _pull_slug(endpoint, values) -> None:
    g.slug = values.pop("slug", None) if values else None


@bp.url_defaults
def _add_slug(endpoint, values) -> None:
    if "slug" not in values and g.get("slug") and endpoint.startswith("editor."):
        values["slug"] = g.slug


@bp.before_request
@login_required
def _authorize():
    """Every page: the course must exist and the user may author it, else 404."""
    course = db.session.scalar(select(Course).where(Course.slug == g.slug))
    if course is None or not authoring.can_author(current_user, course):
        return handle_http_error(NotFound())
    g.course = course
    return None


@bp.errorhandler(course_editor.NotFound)
def _not_found(_error):
    return handle_http_error(NotFound())


# ------------------------------------------------------------------------- helpers


def _save(form, change):
    """Parse the form, then let the service check (and, if all is well, write) the change.

    Returns the draft, or None with every problem on the form (nothing was written).
    """
    parsed = form.validate()
    try:
        version = change(not parsed)
    except course_editor.EditInvalid as exc:
        _show(form, exc.problems)
        return None
    if not parsed:
        return None
    flash(_("Saved in draft version %(n)d.", n=version.number), "success")
    return version


def _show(form, problems) -> None:
    """Put the service's problems next to their fields (above the form when there is none)."""
    unparsed = {name for name, field in form._fields.items() if field.errors}
    for problem in problems:
        name = FIELD_OF.get(problem.where, problem.where)
        field = form._fields.get(name) if name and name != "csrf_token" else None
        if field is None:
            form.form_errors.append(f"{problem.where}: {problem.message}" if problem.where else problem.message)
        elif name not in unparsed:  # a value the form could not read already says what is wrong
            field.errors = [*field.errors, problem.message]


def _page(template: str, form, **context):
    """Render a form page: 400 when it carries problems."""
    status = 400 if form.errors else 200
    return render_template(template, course=g.course, form=form, **context), status


def _done(anchor: str = ""):
    return redirect(url_for(".overview") + (f"#{anchor}" if anchor else ""))


def _moved(change) -> None:
    """Run a move or delete; a refusal is told in a message (the outline shows again)."""
    try:
        version = change()
    except course_editor.EditInvalid as exc:
        flash("; ".join(p.message for p in exc.problems), "error")
    else:
        flash(_("Saved in draft version %(n)d.", n=version.number), "success")


# ------------------------------------------------------------------------- outline


@bp.get("/")
def overview():
    outline = course_editor.current(g.course)
    return render_template("editor/overview.html", course=g.course, outline=outline,
                           labels={t.key: t.label for t in lesson_types().values()})


@bp.route("/course", methods=["GET", "POST"])
def course():
    outline = course_editor.current(g.course)
    version = outline.version
    form = CourseForm(data={"title": version.title, "summary": version.summary, "language": version.language,
                            "jp": version.jp, "competency": version.competency.value,
                            "category": version.category.slug if version.category else "",
                            "certificate_months": version.certificate_validity_months,
                            "tags": competencies.version_codes(version.id),
                            "spbe_domain": version.spbe_domain.value if version.spbe_domain else ""})
    competencies.fill_tag_fields(form.tags, form.spbe_domain)
    if request.method == "POST" and _save(form, lambda check_only: course_editor.update_course(g.course, form.entry(), check_only=check_only)):
        return _done()
    return _page("editor/course.html", form, outline=outline)


# ------------------------------------------------------------------------ sections


@bp.route("/sections/new", methods=["GET", "POST"])
def section_new():
    outline = course_editor.current(g.course)
    form = SectionForm()
    if request.method == "POST" and _save(form, lambda check_only: course_editor.add_section(
            g.course, form.title.data or "", check_only=check_only)):
        return _done(f"section-{len(outline.sections)}")
    return _page("editor/section.html", form, outline=outline, index=None)


@bp.route("/sections/<int:index>", methods=["GET", "POST"])
def section(index: int):
    outline = course_editor.current(g.course)
    form = SectionForm(data={"title": outline.section(index).title})
    if request.method == "POST" and _save(form, lambda check_only: course_editor.rename_section(
            g.course, index, form.title.data or "", check_only=check_only)):
        return _done(f"section-{index}")
    return _page("editor/section.html", form, outline=outline, index=index)


@bp.post("/sections/<int:index>/move")
def section_move(index: int):
    form = MoveForm()
    if form.validate():
        _moved(lambda: course_editor.move_section(g.course, index, form.step()))
        return _done(f"section-{index + form.step()}")
    return _done()


@bp.route("/sections/<int:index>/delete", methods=["GET", "POST"])
def section_delete(index: int):
    outline = course_editor.current(g.course)
    outline.section(index)
    if request.method == "POST" and ConfirmForm().validate():
        _moved(lambda: course_editor.delete_section(g.course, index))
        return _done()
    return render_template("editor/delete.html", course=g.course, outline=outline, kind="section",
                           title=outline.sections[index].title, lessons=outline.lessons[index],
                           quizzes=outline.quizzes[index])


# ------------------------------------------------------------------------- lessons


def _lesson_form(outline) -> LessonForm:
    form = LessonForm()
    form.fill(lesson_types().values(), outline.sections)
    competencies.fill_tag_fields(form.tags, form.spbe_domain)
    return form


@bp.route("/sections/<int:index>/lessons/new", methods=["GET", "POST"])
def lesson_new(index: int):
    outline = course_editor.current(g.course)
    outline.section(index)
    form, shown = _lesson_form(outline), None
    if request.method == "GET":
        form.section.data, form.type.data = index, "markdown"
    elif form.preview.data:
        shown = course_editor.preview(form.body.data or "", form.type.data or "markdown")
    elif _save(form, lambda check_only: course_editor.add_lesson(
            g.course, (form.key.data or "").strip(), form.lesson_input(), check_only=check_only)):
        return _done(f"lesson-{form.key.data.strip()}")
    return _page("editor/lesson.html", form, outline=outline, lesson=None, preview=shown,
                 bodied=_bodied())


@bp.route("/lessons/<key>", methods=["GET", "POST"])
def lesson(key: str):
    outline = course_editor.current(g.course)
    s_index, stored = outline.lesson(key)
    form, shown = _lesson_form(outline), None
    if request.method == "GET":
        form.load(stored, s_index)
        form.tags.data = competencies.codes_of_lesson(stored.id)
    elif form.preview.data:
        shown = course_editor.preview(form.body.data or "", form.type.data or "markdown")
    elif _save(form, lambda check_only: course_editor.update_lesson(
            g.course, key, form.lesson_input(), check_only=check_only)):
        return _done(f"lesson-{key}")
    return _page("editor/lesson.html", form, outline=outline, lesson=stored, preview=shown,
                 bodied=_bodied())


def _bodied() -> list[str]:
    """Lesson types edited as a Markdown body (the others by their fields)."""
    return [t.key for t in lesson_types().values() if t.needs_body]


@bp.post("/preview")
def preview():
    """The body as learners will see it (sanitised HTML), for the editor's script."""
    result = course_editor.preview(request.form.get("body", ""), request.form.get("type", "markdown"))
    return render_template("editor/_preview.html", preview=result)


@bp.post("/lessons/<key>/move")
def lesson_move(key: str):
    form = MoveForm()
    if form.validate():
        _moved(lambda: course_editor.move_lesson(g.course, key, form.step()))
    return _done(f"lesson-{key}")


@bp.route("/lessons/<key>/delete", methods=["GET", "POST"])
def lesson_delete(key: str):
    outline = course_editor.current(g.course)
    _s, stored = outline.lesson(key)
    if request.method == "POST" and ConfirmForm().validate():
        _moved(lambda: course_editor.delete_lesson(g.course, key))
        return _done()
    return render_template("editor/delete.html", course=g.course, outline=outline, kind="lesson",
                           title=stored.title, lessons=[], quizzes=[])


# ----------------------------------------------------------------------- SCORM lessons


def _max_mb() -> int:
    return Limits().max_archive_bytes // 1024 // 1024


def _scorm_form(outline) -> ScormForm:
    form = ScormForm()
    form.fill(outline.sections)
    return form


@bp.route("/sections/<int:index>/scorm/new", methods=["GET", "POST"])
def scorm_new(index: int):
    """Add a SCORM 1.2 lesson by uploading its zip; stored under assets/scorm/<id>/."""
    outline = course_editor.current(g.course)
    outline.section(index)
    form = _scorm_form(outline)
    key = (form.key.data or "").strip()
    if request.method == "GET":
        form.section.data = index
    elif _save(form, lambda check_only: course_editor.upload_scorm(
            g.course, key, form.upload(Limits().max_archive_bytes), new=True, check_only=check_only)):
        return _done(f"lesson-{key}")
    return _page("editor/scorm.html", form, outline=outline, lesson=None, max_mb=_max_mb())


@bp.route("/lessons/<key>/scorm", methods=["GET", "POST"])
def scorm_replace(key: str):
    """Give a SCORM lesson a new package (its id, and learners' data, stay)."""
    outline = course_editor.current(g.course)
    s_index, stored = outline.lesson(key)
    if stored.type != "scorm":
        return handle_http_error(NotFound())
    form = _scorm_form(outline)
    if request.method == "GET":
        form.load(stored, s_index)
    elif _save(form, lambda check_only: course_editor.upload_scorm(
            g.course, key, form.upload(Limits().max_archive_bytes), new=False, check_only=check_only)):
        return _done(f"lesson-{key}")
    return _page("editor/scorm.html", form, outline=outline, lesson=stored, max_mb=_max_mb())


# ------------------------------------------------------------------------- quizzes


def _quiz_form(outline) -> tuple[QuizForm, list]:
    questions = questions_of(outline.version)
    form = QuizForm()
    form.fill(questions, outline.sections)
    return form, questions


@bp.route("/sections/<int:index>/quizzes/new", methods=["GET", "POST"])
def quiz_new(index: int):
    outline = course_editor.current(g.course)
    outline.section(index)
    form, questions = _quiz_form(outline)
    if request.method == "GET":
        form.section.data = index
    elif _save(form, lambda check_only: course_editor.add_quiz(
            g.course, (form.key.data or "").strip(), form.quiz_input(), check_only=check_only)):
        return _done(f"quiz-{form.key.data.strip()}")
    return _page("editor/quiz.html", form, outline=outline, quiz=None, questions=questions)


@bp.route("/quizzes/<key>", methods=["GET", "POST"])
def quiz(key: str):
    outline = course_editor.current(g.course)
    s_index, stored = outline.quiz(key)
    form, questions = _quiz_form(outline)
    if request.method == "GET":
        form.load(stored, s_index)
    elif _save(form, lambda check_only: course_editor.update_quiz(
            g.course, key, form.quiz_input(), check_only=check_only)):
        return _done(f"quiz-{key}")
    return _page("editor/quiz.html", form, outline=outline, quiz=stored, questions=questions)


@bp.route("/quizzes/<key>/delete", methods=["GET", "POST"])
def quiz_delete(key: str):
    outline = course_editor.current(g.course)
    _s, stored = outline.quiz(key)
    if request.method == "POST" and ConfirmForm().validate():
        _moved(lambda: course_editor.delete_quiz(g.course, key))
        return _done()
    return render_template("editor/delete.html", course=g.course, outline=outline, kind="quiz",
                           title=stored.title, lessons=[], quizzes=[])
