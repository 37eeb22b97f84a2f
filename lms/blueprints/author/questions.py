"""The question bank of a course's latest version: import, export, edit, delete."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.blueprints.author import author_required, authored_course, bp
from lms.forms.quizzes import ConfirmForm, QuestionEditForm, QuestionImportConfirmForm, QuestionImportForm
from lms.i18n import translate
from lms.services import drafts, question_bank, question_import
from lms.services.courses import PackageInvalid
from lms.services.question_import import samples

#: Problems listed on the dry run's page; the count of the rest follows.
MAX_PROBLEMS_SHOWN = 200


@bp.get("/courses/<slug>/questions")
@author_required
def bank(slug: str):
    course = authored_course(slug)
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
    """"Check the file" is the dry run (report, then confirm); a plain submit imports at once.
    Either way a file with any problem writes nothing."""
    course = authored_course(slug)
    version = drafts.latest_version(course) or abort(404)
    form = QuestionImportForm()
    form.fill_quizzes(question_bank.quizzes_of(version))
    if not form.validate_on_submit():
        flash(_("Choose a question file."), "error")
        return redirect(url_for("author.bank", slug=slug))
    upload = form.file.data
    data = upload.read(question_import.MAX_BYTES + 1)
    filename, fmt, quiz = upload.filename or "", form.format.data or None, form.quiz.data or None
    if form.check.data:
        plan = question_import.check(course, filename, data, fmt, quiz)
        confirm = None
        if plan.ok:
            confirm = QuestionImportConfirmForm(formdata=None, data={
                "digest": question_import.stash(current_user, course, data), "filename": plan.file,
                "format": plan.format, "quiz": quiz or ""})
        return _report(course, version, plan, confirm)
    try:
        draft, plan = question_import.run(course, filename, data, fmt, quiz)
    except question_import.ImportRefused as exc:
        return _report(course, version, question_import.Plan(filename, problems=exc.problems)), 400
    _imported(draft, plan)
    return redirect(url_for("author.bank", slug=slug))


@bp.post("/courses/<slug>/questions/import/confirm")
@author_required
def bank_import_confirm(slug: str):
    """Import the checked file, all or nothing (it is checked again: the bank may have changed)."""
    course = authored_course(slug)
    version = drafts.latest_version(course) or abort(404)
    form = QuestionImportConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    data = question_import.unstash(current_user, course, form.digest.data or "")
    if data is None:
        flash(_("The checked file is no longer available. Check it again."), "error")
        return redirect(url_for("author.bank", slug=slug))
    try:
        draft, plan = question_import.run(course, form.filename.data or "", data, form.format.data or None,
                                          form.quiz.data or None)
    except question_import.ImportRefused as exc:
        return _report(course, version, question_import.Plan(form.filename.data or "", problems=exc.problems)), 400
    question_import.drop_stash(current_user, course)
    _imported(draft, plan)
    return redirect(url_for("author.bank", slug=slug))


def _imported(draft, plan) -> None:
    flash(_("%(added)d question(s) added, %(updated)d updated in draft version %(n)d.",
            added=plan.added, updated=plan.updated, n=draft.number), "success")


def _report(course, version, plan, confirm=None):
    """The dry run's page: every problem by row and column (or line), or a preview to confirm."""
    problems = [(p.file, _where(p), translate(p.message)) for p in plan.problems[:MAX_PROBLEMS_SHOWN]]
    preview = [(entry, question_import.describe(entry)) for entry in plan.entries[:question_import.PREVIEW]]
    return render_template("author/question_import.html", course=course, version=version, plan=plan,
                           problems=problems, more_problems=len(plan.problems) - len(problems),
                           preview=preview, confirm=confirm)


def _where(problem) -> str:
    """A problem's place in the visitor's language: "row 3, column jawaban", "line 7"."""
    if problem.row is not None:
        return (_("row %(n)d, column %(column)s", n=problem.row, column=problem.column) if problem.column
                else _("row %(n)d", n=problem.row))
    if problem.line is not None:
        return _("line %(n)d", n=problem.line)
    return problem.where or problem.column


@bp.get("/questions/template.<any(xlsx, csv, txt):fmt>")
@author_required
def question_template(fmt: str):
    """Example files to fill in: CSV and XLSX spreadsheets, Aiken text."""
    files = {"csv": (samples.csv_template, "text/csv; charset=utf-8"),
             "xlsx": (samples.xlsx_template,
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
             "txt": (samples.aiken_template, "text/plain; charset=utf-8")}
    make, mimetype = files[fmt]
    name = "contoh-soal-aiken.txt" if fmt == "txt" else f"contoh-soal.{fmt}"
    return Response(make(), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/courses/<slug>/questions/export.<fmt>")
@author_required
def bank_export(slug: str, fmt: str):
    if fmt not in ("gift", "yaml"):
        abort(404)
    course = authored_course(slug)
    version = drafts.latest_version(course) or abort(404)
    mimetype = "text/plain" if fmt == "gift" else "application/yaml"
    return Response(question_bank.export(version, fmt), mimetype=f"{mimetype}; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{slug}-v{version.number}.{fmt}"'})


@bp.route("/courses/<slug>/questions/<key>/edit", methods=["GET", "POST"])
@author_required
def bank_edit(slug: str, key: str):
    course = authored_course(slug)
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
    course = authored_course(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        draft = question_bank.delete_question(course, key)
    except question_bank.BankError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Question deleted from draft version %(n)d.", n=draft.number), "success")
    return redirect(url_for("author.bank", slug=slug))
