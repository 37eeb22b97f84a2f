"""Learning a course: resume, lesson pages with previous/next, marking lessons complete."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.forms.courses import EnrolForm
from lms.lessons import Completion
from lms.registry import lesson_type_for
from lms.services import assets, authoring, courses, enrollment, progress, quizzes
from lms.services.courses import CourseNotFound

bp = Blueprint("learn", __name__, url_prefix="/learn")


@bp.get("/<slug>")
@login_required
def resume(slug: str):
    version, mine = _enrolled_or_redirect(slug)
    lesson = progress.resume_lesson(mine, version, progress.done_keys(mine))
    return redirect(url_for("learn.lesson", slug=slug, key=lesson.key))


@bp.get("/<slug>/<key>")
@login_required
def lesson(slug: str, key: str):
    version, mine = _enrolled_or_redirect(slug)
    lessons = version.lessons
    index = next((i for i, item in enumerate(lessons) if item.key == key), None)
    if index is None:
        abort(404)
    current = lessons[index]
    before = progress.done_keys(mine)
    progress.visit(mine, version, current, before)
    opened_completes = lesson_type_for(current.type).completion == Completion.VIEW
    done = progress.done_keys(mine) if opened_completes and current.key not in before else before
    last_in_section = index + 1 == len(lessons) or lessons[index + 1].section_id != current.section_id
    section_quizzes = quizzes.by_section(version).get(current.section_id, []) if last_in_section else []
    return render_template(
        "learn/lesson.html", version=version, lesson=current, enrollment=mine, done=done,
        body=lesson_type_for(current.type).render(current),
        completion=lesson_type_for(current.type).completion,
        previous=lessons[index - 1] if index > 0 else None,
        next=lessons[index + 1] if index + 1 < len(lessons) else None,
        required_total=sum(1 for item in lessons if item.required),
        required_done=sum(1 for item in lessons if item.required and item.key in done),
        section_quizzes=section_quizzes, form=EnrolForm())


@bp.get("/<slug>/assets/<path:path>")
@login_required
def asset(slug: str, path: str):
    """A file of the published version, for its learners and authors.

    Lesson pages live at /learn/<slug>/<key>, so ``assets/x.png`` written in a lesson
    resolves here. Anyone else gets 404, not the enrol redirect: the request is usually an
    <img> or <video> on some page, where a redirect and a flashed message would only confuse.
    """
    try:
        version = courses.published_version(slug, with_lessons=False)
    except CourseNotFound:
        abort(404)
    if not enrollment.is_active(enrollment.get_enrollment(current_user, version.course)) \
            and not authoring.can_author(current_user, version.course):
        abort(404)
    return assets.send(version, "assets/" + path)


@bp.post("/<slug>/<key>/complete")
@login_required
def complete(slug: str, key: str):
    version, mine = _enrolled_or_redirect(slug)
    if not EnrolForm().validate_on_submit():
        abort(400)
    lessons = version.lessons
    index = next((i for i, item in enumerate(lessons) if item.key == key), None)
    if index is None:
        abort(404)
    if lesson_type_for(lessons[index].type).completion == Completion.CONTENT:
        abort(403)  # its content reports completion (SCORM); a form cannot claim it
    was_completed = mine.completed_at is not None
    progress.complete_lesson(mine, version, lessons[index])
    if mine.completed_at is not None and not was_completed:
        flash(_("Congratulations! You completed %(title)s and earned %(jp)s JP.",
                title=version.title, jp=mine.jp_awarded), "success")
        return redirect(url_for("dashboard.index"))
    if index + 1 < len(lessons):
        return redirect(url_for("learn.lesson", slug=slug, key=lessons[index + 1].key))
    return redirect(url_for("catalog.course", slug=slug))


def _enrolled_or_redirect(slug: str):
    """The published version and the learner's active enrolment; otherwise send a page
    visitor to the course page to enrol (a form post gets 403)."""
    try:
        version = courses.published_version(slug)
    except CourseNotFound:
        abort(404)
    mine = enrollment.get_enrollment(current_user, version.course)
    if not enrollment.is_active(mine):
        if request.method != "GET":
            abort(403)
        flash(_("Enrol in the course to open its lessons."), "info")
        abort(redirect(url_for("catalog.course", slug=slug)))
    return version, mine
