"""The course catalog, course pages, and enrolling or leaving a course."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from lms import fragments
from lms.forms.courses import CatalogFilterForm, EnrolForm
from lms.services import assets, competencies, courses, enrollment, progress, quizzes
from lms.services.courses import CatalogFilters, CourseNotFound
from lms.templating import label

bp = Blueprint("catalog", __name__, url_prefix="/courses")


#: Query strings longer than this are rendered without the fragment cache.
_CACHED_QUERY_LIMIT = 300


@bp.get("")
def index():
    """The catalog: the search form, cards and pager are the same for every visitor of one
    query string, so they are rendered once per process and publish (lms/fragments.py);
    only the visitor's enrolment badges are read and filled in."""
    query = request.query_string
    if len(query) > _CACHED_QUERY_LIMIT:
        html, course_ids = _results()
    else:
        html, course_ids = fragments.cached("catalog", query, _results, scope=courses.CATALOG)
    statuses = enrollment.statuses_for_courses(current_user, course_ids)
    badges = {f"badge-{course_id}": Markup('<span class="badge badge-mine">%s</span>')
              % label("enrolment", status) for course_id, status in statuses.items()}
    return render_template("catalog/index.html", results=fragments.fill(html, badges))


def _results() -> tuple[str, tuple[int, ...]]:
    """(HTML of the form, cards and pager, course ids of the cards) for this query string."""
    form = CatalogFilterForm(request.args)
    categories, tags = competencies.catalog_filter_choices()
    form.fill_choices(categories, tags, competencies.spbe_domain_choices())
    filters = CatalogFilters(**form.data) if form.validate() else CatalogFilters()
    page = courses.catalog_cards(filters, page=request.args.get("page", 1, type=int))
    html = render_template("catalog/_results.html", form=form, page=page,
                           badge=lambda course_id: fragments.slot(f"badge-{course_id}"))
    return html, tuple(card.course_id for card in page.items)


@bp.get("/<slug>")
def course(slug: str):
    """A course page: the version's own row (its course and category can change), the
    cached outline, and the visitor's enrolment, progress and best scores."""
    version = _published_or_404(slug, with_lessons=False)
    outline = courses.published_outline(slug)
    mine, keys = (progress.enrollment_and_done(current_user.id, version.course_id)
                  if current_user.is_authenticated else (None, frozenset()))
    denial = None
    if current_user.is_authenticated and not enrollment.is_active(mine):
        denial = enrollment.denial_for(current_user, version.course)
    scores = quizzes.best_scores(current_user.id, version.course_id, outline.quizzes) if mine else {}
    required = outline.required_keys
    return render_template("catalog/course.html", version=version, course=version.course,
                           outline=outline, enrollment=mine, active=enrollment.is_active(mine),
                           done=keys, required_total=len(required), required_done=len(required & keys),
                           denial=denial, form=EnrolForm(), scores=scores,
                           has_cover=bool(assets.stored_covers([version])))


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
