"""The course catalog, course pages, and enrolling or leaving a course."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.forms.courses import CatalogFilterForm, EnrolForm
from lms.services import assets, courses, enrollment, progress, quizzes
from lms.services.courses import CatalogFilters, CourseNotFound

bp = Blueprint("catalog", __name__, url_prefix="/courses")


@bp.get("")
def index():
    form = CatalogFilterForm(request.args)
    form.fill_choices(courses.category_choices())
    filters = CatalogFilters(**form.data) if form.validate() else CatalogFilters()
    page = courses.catalog(filters, page=request.args.get("page", 1, type=int))
    return render_template("catalog/index.html", form=form, page=page,
                           enrolled=enrollment.statuses_for(current_user, page.items),
                           covers=assets.stored_covers(page.items))


@bp.get("/<slug>")
def course(slug: str):
    version = _published_or_404(slug)
    mine = enrollment.get_enrollment(current_user, version.course)
    keys = progress.done_keys(mine) if mine else frozenset()
    denial = None
    if current_user.is_authenticated and not enrollment.is_active(mine):
        denial = enrollment.denial_for(current_user, version.course)
    section_quizzes = quizzes.by_section(version)
    scores = quizzes.best_scores(current_user.id, version.course_id,
                                 [q for qs in section_quizzes.values() for q in qs]) if mine else {}
    return render_template("catalog/course.html", version=version, course=version.course,
                           enrollment=mine, active=enrollment.is_active(mine), done=keys,
                           denial=denial, form=EnrolForm(), section_quizzes=section_quizzes,
                           scores=scores, has_cover=bool(assets.stored_covers([version])))


@bp.get("/<slug>/cover")
def cover(slug: str):
    """The published version's cover image, public like the course page that shows it;
    only a cover stored as one of the version's assets (never a remote URL)."""
    version = _published_or_404(slug, with_lessons=False)
    if not (version.cover_image or "").startswith("assets/"):
        abort(404)
    return assets.send(version, version.cover_image, public=True)


@bp.post("/<slug>/enrol")
@login_required
def enrol(slug: str):
    version = _published_or_404(slug, with_lessons=False)
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            enrollment.enroll_self(current_user, version.course, form.key.data or "")
        except enrollment.EnrollmentDenied as exc:
            flash(str(exc.message), "error")
            return redirect(url_for("catalog.course", slug=slug))
        flash(_("You are enrolled in %(title)s.", title=version.title), "success")
        return redirect(url_for("learn.resume", slug=slug))
    abort(400)


@bp.post("/<slug>/leave")
@login_required
def leave(slug: str):
    version = _published_or_404(slug, with_lessons=False)
    if not EnrolForm().validate_on_submit():
        abort(400)
    try:
        enrollment.unenroll(current_user, version.course)
    except enrollment.EnrollmentDenied as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("You left %(title)s. Your progress is kept if you come back.", title=version.title), "info")
    return redirect(url_for("catalog.course", slug=slug))


def _published_or_404(slug: str, with_lessons: bool = True):
    try:
        return courses.published_version(slug, with_lessons=with_lessons)
    except CourseNotFound:
        abort(404)
