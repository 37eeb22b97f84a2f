"""The JP ledger: a learner's yearly credits, external training, and its approval."""
from __future__ import annotations

import datetime as dt

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.access import role_required
from lms.database import db
from lms.forms.certificates import DecisionForm, ExternalTrainingForm
from lms.models import JpEntry, Role
from lms.services import jp_ledger

bp = Blueprint("jp", __name__)


@bp.route("/me/jp", methods=["GET", "POST"])
@login_required
def ledger():
    year = request.args.get("year", dt.date.today().year, type=int)
    form = ExternalTrainingForm()
    if form.validate_on_submit():
        upload = form.evidence.data
        data = upload.read(int(current_app.config["EVIDENCE_MAX_BYTES"]) + 1)
        try:
            jp_ledger.record_external(
                current_user, title=form.title.data, organiser=form.organiser.data,
                start_on=form.start_on.data, end_on=form.end_on.data, jp=form.jp.data,
                competency=form.competency.data, evidence=data, evidence_name=upload.filename or "")
        except jp_ledger.LedgerError as exc:
            form.evidence.errors = [*form.evidence.errors, str(exc.message)]
        else:
            flash(_("Training recorded. It counts once your unit admin approves it."), "success")
            return redirect(url_for("jp.ledger"))
    return render_template("jp/ledger.html", ledger=jp_ledger.year_of(current_user, year), form=form), \
        400 if form.errors else 200


@bp.get("/me/jp/<int:entry_id>/evidence")
@login_required
def evidence(entry_id: int):
    entry = db.session.get(JpEntry, entry_id)
    if entry is None or entry.evidence_path is None or not (
            entry.user_id == current_user.id or jp_ledger.can_review(current_user, entry)):
        abort(404)
    data, mimetype = jp_ledger.evidence(entry)
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="bukti-{entry.id}.{mimetype.rsplit("/", 1)[-1]}"',
        "X-Content-Type-Options": "nosniff"})


@bp.get("/admin/jp")
@role_required(Role.UNIT_ADMIN)
def pending():
    return render_template("jp/pending.html", entries=jp_ledger.pending_for(current_user), form=DecisionForm())


@bp.post("/admin/jp/<int:entry_id>/<any(approve, reject):decision>")
@role_required(Role.UNIT_ADMIN)
def decide(entry_id: int, decision: str):
    entry = db.session.get(JpEntry, entry_id)
    if entry is None or not jp_ledger.can_review(current_user, entry):
        abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        jp_ledger.decide(entry, current_user, decision == "approve", form.note.data or "")
    except jp_ledger.LedgerError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Decision saved."), "success")
    return redirect(url_for("jp.pending"))
