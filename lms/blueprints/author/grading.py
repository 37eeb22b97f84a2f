"""Quiz results for authors: attempts and statistics, CSV export, marking essays."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.blueprints.author import author_required, authored_quiz, bp
from lms.database import db
from lms.forms.quizzes import GradeForm
from lms.models import Attempt, Course
from lms.services import attempts, authoring, quiz_reports


@bp.get("/courses/<slug>/quizzes/<key>")
@author_required
def quiz_report(slug: str, key: str):
    course, quiz = authored_quiz(slug, key)
    finished = quiz_reports.finished_attempts(course, key)
    return render_template("author/quiz_report.html", course=course, quiz=quiz, attempts=finished,
                           stats=quiz_reports.question_stats(finished))


@bp.get("/courses/<slug>/quizzes/<key>/attempts.csv")
@author_required
def quiz_csv(slug: str, key: str):
    course, _quiz = authored_quiz(slug, key)
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
