"""Authors' pages: their courses, quiz attempts and statistics, grading essays."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.access import role_required
from sqlalchemy import select

from lms.database import db
from lms.forms.quizzes import (ConfirmForm, GradeForm, PackageUploadForm, QuestionEditForm,
                               QuestionImportForm)
from lms.packages.archive import Limits
from lms.models import Attempt, Course, Quiz, Role
from lms.services import attempts, authoring, courses, drafts, packages, question_bank, quiz_reports
from lms.services.courses import PackageInvalid
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


@bp.route("/import", methods=["GET", "POST"])
@author_required
def upload():
    """Upload a course package: validated whole, imported as a draft version."""
    form = PackageUploadForm()
    if form.validate_on_submit():
        data = form.package.data.read(Limits().max_archive_bytes + 1)
        try:
            version = packages.import_upload(data, form.package.data.filename or "", current_user)
        except PackageInvalid as exc:
            return render_template("author/problems.html", course=None, problems=exc.problems), 400
        except packages.NotYourCourse as exc:
            flash(_("The course %(slug)s belongs to other authors.", slug=str(exc)), "error")
            return render_template("author/upload.html", form=form), 403
        flash(_("%(title)s imported as draft version %(n)d. Check it, then publish.",
                title=version.title, n=version.number), "success")
        return redirect(url_for("author.bank", slug=version.course.slug))
    return render_template("author/upload.html", form=form), 400 if form.errors else 200


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


@bp.get("/courses/<slug>/questions")
@author_required
def bank(slug: str):
    course = _authored_course(slug)
    version = drafts.latest_version(course)
    if version is None:
        abort(404)
    form = QuestionImportForm()
    form.fill_quizzes(question_bank.quizzes_of(version))
    return render_template("author/bank.html", course=course, version=version, form=form,
                           questions=question_bank.questions_of(version), confirm=ConfirmForm())


@bp.post("/courses/<slug>/questions/import")
@author_required
def bank_import(slug: str):
    course = _authored_course(slug)
    form = QuestionImportForm()
    form.fill_quizzes(question_bank.quizzes_of(drafts.latest_version(course)))
    if not form.validate_on_submit():
        flash(_("Choose a question file."), "error")
        return redirect(url_for("author.bank", slug=slug))
    upload = form.file.data
    try:
        text = upload.read(question_bank.MAX_FILE_CHARS * 4 + 1).decode("utf-8")
        version, added, updated = question_bank.import_file(course, upload.filename or "", text,
                                                            form.quiz.data or None)
    except UnicodeDecodeError:
        flash(_("The file is not UTF-8 text."), "error")
    except PackageInvalid as exc:
        return render_template("author/problems.html", course=course, problems=exc.problems), 400
    except question_bank.BankError as exc:
        flash(str(exc), "error")
    else:
        flash(_("%(added)d question(s) added, %(updated)d updated in draft version %(n)d.",
                added=added, updated=updated, n=version.number), "success")
    return redirect(url_for("author.bank", slug=slug))


@bp.get("/courses/<slug>/questions/export.<fmt>")
@author_required
def bank_export(slug: str, fmt: str):
    if fmt not in ("gift", "yaml"):
        abort(404)
    course = _authored_course(slug)
    version = drafts.latest_version(course) or abort(404)
    mimetype = "text/plain" if fmt == "gift" else "application/yaml"
    return Response(question_bank.export(version, fmt), mimetype=f"{mimetype}; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{slug}-v{version.number}.{fmt}"'})


@bp.route("/courses/<slug>/questions/<key>/edit", methods=["GET", "POST"])
@author_required
def bank_edit(slug: str, key: str):
    course = _authored_course(slug)
    version = drafts.latest_version(course) or abort(404)
    question = next((q for q in question_bank.questions_of(version) if q.key == key), None) or abort(404)
    form = QuestionEditForm(data={"definition": question_bank.question_yaml(question)})
    problems = []
    if form.validate_on_submit():
        try:
            draft = question_bank.update_question(course, key, form.definition.data)
        except PackageInvalid as exc:
            problems = exc.problems
        else:
            flash(_("Question saved in draft version %(n)d.", n=draft.number), "success")
            return redirect(url_for("author.bank", slug=slug))
    return render_template("author/edit_question.html", course=course, question=question, form=form,
                           problems=problems), 400 if problems or form.errors else 200


@bp.post("/courses/<slug>/questions/<key>/delete")
@author_required
def bank_delete(slug: str, key: str):
    course = _authored_course(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        draft = question_bank.delete_question(course, key)
    except question_bank.BankError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Question deleted from draft version %(n)d.", n=draft.number), "success")
    return redirect(url_for("author.bank", slug=slug))


@bp.post("/courses/<slug>/publish")
@author_required
def publish(slug: str):
    course = _authored_course(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    version = drafts.latest_version(course)
    if version is None or version.status.value != "draft":
        flash(_("There is no draft to publish."), "error")
    else:
        courses.publish(version)
        flash(_("Version %(n)d is published.", n=version.number), "success")
    return redirect(url_for("author.bank", slug=slug))


def _authored_course(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or not authoring.can_author(current_user, course):
        abort(404)
    return course


def _authored_quiz(slug: str, key: str) -> tuple[Course, Quiz]:
    """The course (if the user may author it) and the latest version's quiz with that key."""
    course = _authored_course(slug)
    quiz = db.session.scalar(select(Quiz).join(Quiz.version).where(
        Quiz.key == key, Quiz.version.has(course_id=course.id)).order_by(Quiz.id.desc()).limit(1))
    if quiz is None:
        abort(404)
    return course, quiz
