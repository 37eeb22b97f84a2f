"""Authors' pages: their courses, quiz attempts and statistics, grading essays."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.database import db
from lms.forms.quizzes import GradeForm
from lms.models import Attempt, Course, Quiz, Role
from lms.services import attempts, authoring, quiz_reports
from lms.services import quizzes as quizzes_service

bp = Blueprint("author", __name__, url_prefix="/author")


def author_required(view):
    """Authors and admins only (course-level rights are checked per course)."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.has_role(Role.AUTHOR):
            abort(403)
        return view(*args, **kwargs)
    return wrapped


@bp.get("/")
@author_required
def index():
    courses = authoring.my_courses(current_user)
    quizzes = quizzes_service.by_version([v.id for _c, v in courses if v is not None])
    return render_template("author/index.html", courses=courses, quizzes=quizzes)


@bp.get("/courses/<slug>/quizzes/<key>")
@author_required
def quiz_report(slug: str, key: str):
    course, quiz = _authored_quiz(slug, key)
    finished = quiz_reports.finished_attempts(course, key)
    return render_template("author/quiz_report.html", course=course, quiz=quiz, attempts=finished,
                           stats=quiz_reports.question_stats(finished))


@bp.get("/courses/<slug>/quizzes/<key>/attempts.csv")
@author_required
def quiz_csv(slug: str, key: str):
    course, _quiz = _authored_quiz(slug, key)
    body = quiz_reports.attempts_csv(quiz_reports.finished_attempts(course, key))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{slug}-{key}-attempts.csv"'})


@bp.route("/attempts/<uid>/questions/<int:slot>/grade", methods=["GET", "POST"])
@author_required
def grade(uid: str, slot: int):
    attempt = db.session.scalar(select(Attempt).where(Attempt.uid == uid))
    if attempt is None or not authoring.can_author(current_user, db.session.get(Course, attempt.course_id)):
        abort(404)
    question = next((q for q in attempt.questions if q.slot == slot), None)
    if question is None or attempt.state.value == "open":
        abort(404)
    form = GradeForm(data={"percent": 100 * question.fraction if question.fraction is not None else None,
                           "feedback": question.feedback})
    if form.validate_on_submit():
        attempts.grade_manually(question, float(form.percent.data) / 100, form.feedback.data or "",
                                current_user)
        flash(_("Mark saved."), "success")
        return redirect(url_for("author.quiz_report", slug=attempt.quiz.version.course.slug,
                                key=attempt.quiz_key))
    return render_template("author/grade.html", attempt=attempt, question=question, form=form), \
        400 if form.errors else 200


def _authored_quiz(slug: str, key: str) -> tuple[Course, Quiz]:
    """The course (if the user may author it) and the latest version's quiz with that key."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or not authoring.can_author(current_user, course):
        abort(404)
    quiz = db.session.scalar(select(Quiz).join(Quiz.version).where(
        Quiz.key == key, Quiz.version.has(course_id=course.id)).order_by(Quiz.id.desc()).limit(1))
    if quiz is None:
        abort(404)
    return course, quiz
