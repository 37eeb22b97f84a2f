"""Learning a course: resume, lesson pages with previous/next, marking lessons complete."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.forms.courses import EnrolForm
from lms.lessons import Completion
from lms.registry import lesson_type_for
from lms.services import assets, authoring, courses, enrollment, progress
from lms.services.courses import CourseNotFound

bp = Blueprint("learn", __name__, url_prefix="/learn")


@bp.get("/<slug>")
@login_required
def resume(slug: str):
    outline, mine, done = _learner_outline(slug)
    return redirect(url_for("learn.lesson", slug=slug, key=outline.resume_key(mine.last_lesson_key, done)))


@bp.get("/<slug>/<key>")
@login_required
def lesson(slug: str, key: str):
    """A lesson page: the outline is shared and cached, only the learner's part is read."""
    outline, mine, before = _learner_outline(slug)
    current = outline.lesson(key)
    if current is None:
        abort(404)
    lesson_type = lesson_type_for(current.type)
    done = progress.open_lesson(mine, outline, current, before)
    previous, after = outline.neighbours(current)
    required = outline.required_keys
    return render_template(
        "learn/lesson.html", version=outline, lesson=current, enrollment=mine, done=done,
        body=lesson_type.render(current), completion=lesson_type.completion,
        previous=previous, next=after, required_total=len(required),
        required_done=len(required & done), section_quizzes=outline.quizzes_after(current),
        form=EnrolForm())


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


def _learner_outline(slug: str):
    """The published outline, the learner's active enrolment and the lessons they completed
    (one query once the outline is cached); otherwise the enrol redirect, as below."""
    try:
        outline = courses.published_outline(slug)
    except CourseNotFound:
        abort(404)
    mine, done = progress.enrollment_and_done(current_user.id, outline.course_id)
    if not enrollment.is_active(mine):
        if request.method != "GET":
            abort(403)
        flash(_("Enrol in the course to open its lessons."), "info")
        abort(redirect(url_for("catalog.course", slug=slug)))
    return outline, mine, done


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
