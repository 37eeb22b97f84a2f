"""The question bank of a course's latest version: import, export, edit, delete."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from lms.blueprints.author import author_required, authored_course, bp
from lms.forms.quizzes import ConfirmForm, QuestionEditForm, QuestionImportForm
from lms.services import drafts, question_bank
from lms.services.courses import PackageInvalid


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
    course = authored_course(slug)
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
