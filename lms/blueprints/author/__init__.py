"""Authors' area (/author): courses, packages, versions, question banks and grading.

One blueprint split by concern; each module adds its views to ``bp`` when imported.
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import select

from lms.access import role_required
from lms.database import db
from lms.models import Course, Quiz, Role
from lms.services import authoring
from lms.services import quizzes as quizzes_service

bp = Blueprint("author", __name__, url_prefix="/author")

#: Authors and admins; the right to a given course is checked per course.
author_required = role_required(Role.AUTHOR)


@bp.get("/")
@author_required
def index():
    courses = authoring.my_courses(current_user)
    quizzes = quizzes_service.by_version([v.id for _c, v in courses if v is not None])
    return render_template("author/index.html", courses=courses, quizzes=quizzes)


def authored_course(slug: str) -> Course:
    """The course, if the current user may author it; 404 otherwise (no existence leak)."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or not authoring.can_author(current_user, course):
        abort(404)
    return course


def authored_quiz(slug: str, key: str) -> tuple[Course, Quiz]:
    """The course (if the user may author it) and the latest version's quiz with that key."""
    course = authored_course(slug)
    quiz = db.session.scalar(select(Quiz).join(Quiz.version).where(
        Quiz.key == key, Quiz.version.has(course_id=course.id)).order_by(Quiz.id.desc()).limit(1))
    if quiz is None:
        abort(404)
    return course, quiz


from lms.blueprints.author import grading, packages, questions, versions  # noqa: E402,F401
