"""A course's home for its authors: versions and what a draft changes, preview, publish,
restore, discard, and who else may author it."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.blueprints.author import author_required, authored_course, bp
from lms.database import db
from lms.forms.author import CoAuthorForm
from lms.forms.quizzes import ConfirmForm
from lms.models import Course, CourseVersion, Section
from lms.registry import lesson_type_for
from lms.services import assets, authoring, quizzes, versions
from lms.services.authoring import CoAuthorError
from lms.services.versions import VersionError


@bp.get("/courses/<slug>/")
@author_required
def course(slug: str):
    """Versions newest first; the draft's changes against the published version."""
    course = authored_course(slug)
    draft, published = versions.draft_of(course), versions.published_of(course)
    return render_template(
        "author/course.html", course=course, versions=versions.versions_of(course),
        draft=draft, published=published, diff=versions.diff(published, draft) if draft else None,
        confirm=ConfirmForm(), co_author=CoAuthorForm())


@bp.get("/courses/<slug>/versions/<int:number>/")
@bp.get("/courses/<slug>/versions/<int:number>/<key>")
@author_required
def preview(slug: str, number: int, key: str | None = None):
    """A version as learners would read it, without enrolling or recording progress."""
    course = authored_course(slug)
    version = _version(course, number)
    lessons = version.lessons
    if not lessons:
        return render_template("author/preview.html", course=course, version=version, lesson=None)
    index = 0 if key is None else next((i for i, item in enumerate(lessons) if item.key == key), None)
    if index is None:
        abort(404)
    current = lessons[index]
    return render_template(
        "author/preview.html", course=course, version=version, lesson=current,
        body=lesson_type_for(current.type).render(current),
        quizzes=quizzes.by_section(version),
        previous=lessons[index - 1] if index > 0 else None,
        next=lessons[index + 1] if index + 1 < len(lessons) else None)


@bp.get("/courses/<slug>/versions/<int:number>/assets/<path:path>")
@author_required
def preview_asset(slug: str, number: int, path: str):
    """Assets of any version, so a draft's images show in its preview."""
    version = _version(authored_course(slug), number)
    return assets.send(version, f"assets/{path}")


@bp.post("/courses/<slug>/publish")
@author_required
def publish(slug: str):
    return _confirmed_action(slug, versions.publish_draft,
                             lambda version: _("Version %(n)d is published.", n=version.number))


@bp.post("/courses/<slug>/versions/<int:number>/restore")
@author_required
def restore(slug: str, number: int):
    return _confirmed_action(slug, lambda course: versions.restore(course, number),
                             lambda copy: _("Version %(old)d is published again as version %(new)d.",
                                            old=number, new=copy.number))


@bp.post("/courses/<slug>/draft/discard")
@author_required
def discard(slug: str):
    return _confirmed_action(slug, versions.discard_draft,
                             lambda number: _("Draft version %(n)d is discarded.", n=number))


@bp.post("/courses/<slug>/authors")
@author_required
def add_co_author(slug: str):
    form = CoAuthorForm()
    if not form.validate_on_submit():
        authored_course(slug)
        flash(_("Enter the email or NIP of an author."), "error")
        return redirect(url_for("author.course", slug=slug))
    return _confirmed_action(slug, lambda course: authoring.add_co_author(course, form.login.data),
                             lambda user: _("%(name)s can now author this course.", name=user.name),
                             confirmed=True)


@bp.post("/courses/<slug>/authors/<int:user_id>/remove")
@author_required
def remove_co_author(slug: str, user_id: int):
    return _confirmed_action(slug, lambda course: authoring.remove_co_author(course, user_id),
                             lambda user: _("%(name)s is no longer an author of this course.", name=user.name))


def _confirmed_action(slug: str, action, success, confirmed: bool = False):
    """Run a course action from a confirmed form; flash its result or its refusal, back to
    the course page. Refusals (VersionError, CoAuthorError) carry a message for the author."""
    course = authored_course(slug)
    if not confirmed and not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        result = action(course)
    except (VersionError, CoAuthorError) as exc:
        flash(str(exc), "error")
    else:
        flash(success(result), "success")
    return redirect(url_for("author.course", slug=slug))


def _version(course: Course, number: int) -> CourseVersion:
    version = db.session.scalar(
        select(CourseVersion).where(CourseVersion.course_id == course.id, CourseVersion.number == number)
        .options(selectinload(CourseVersion.sections).selectinload(Section.lessons)))
    if version is None:
        abort(404)
    return version
