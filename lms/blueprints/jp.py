"""The JP ledger: a learner's yearly credits, experiential learning, and its approval
(by unit admins and admins under /admin/jp, by supervisors under /me/jp/approvals)."""
from __future__ import annotations

import datetime as dt

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.access import role_required
from lms.database import db
from lms.forms.certificates import DecisionForm
from lms.forms.experiential import ExperientialForm
from lms.models import JpEntry, Role
from lms.services import jp_ledger, jp_rules

bp = Blueprint("jp", __name__)


@bp.route("/me/jp", methods=["GET", "POST"])
@login_required
def ledger():
    year = request.args.get("year", dt.date.today().year, type=int)
    form = ExperientialForm()
    if form.validate_on_submit():
        upload = form.evidence.data
        data = upload.read(int(current_app.config["EVIDENCE_MAX_BYTES"]) + 1)
        try:
            jp_ledger.record_experiential(
                current_user, kind=form.kind.data, title=form.title.data, organiser=form.organiser.data,
                start_on=form.start_on.data, end_on=form.end_on.data, measure=form.amount,
                competency=form.competency.data, evidence=data, evidence_name=upload.filename or "",
                reference_number=form.reference_number.data or "")
        except jp_ledger.LedgerError as exc:
            form.evidence.errors = [*form.evidence.errors, str(exc.message)]
        else:
            flash(_("Recorded. It counts once your supervisor or unit admin approves it."), "success")
            return redirect(url_for("jp.ledger"))
    return render_template("jp/ledger.html", ledger=jp_ledger.year_of(current_user, year), form=form,
                           kind_label=jp_rules.kind_label, unit_labels=jp_rules.UNITS, exporters=_own_exporters(),
                           waiting=jp_ledger.waiting_for_supervisor(current_user)), \
        400 if form.errors else 200


@bp.get("/jp/rules")
@login_required
def rules():
    """The JP conversion rules in force, for learners, supervisors and admins alike."""
    return render_template("jp/rules.html", rules=jp_rules.enabled_rules(),
                           target=int(current_app.config["JP_TARGET"]))


@bp.get("/me/jp/approvals")
@login_required
def approvals():
    """A supervisor's list: their direct reports' entries waiting for a decision."""
    return render_template("jp/pending.html", entries=jp_ledger.pending_for_supervisor(current_user),
                           form=DecisionForm(), kind_label=jp_rules.kind_label, unit_labels=jp_rules.UNITS, as_supervisor=True)


@bp.post("/me/jp/approvals/<int:entry_id>/<any(approve, reject):decision>")
@login_required
def decide_as_supervisor(entry_id: int, decision: str):
    return _decide(entry_id, decision, "jp.approvals")


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
    return render_template("jp/pending.html", entries=jp_ledger.pending_for(current_user), form=DecisionForm(),
                           kind_label=jp_rules.kind_label, unit_labels=jp_rules.UNITS, as_supervisor=False)


@bp.post("/admin/jp/<int:entry_id>/<any(approve, reject):decision>")
@role_required(Role.UNIT_ADMIN)
def decide(entry_id: int, decision: str):
    return _decide(entry_id, decision, "jp.pending")


def _decide(entry_id: int, decision: str, back: str):
    """Shared by both lists: someone who may not review the entry gets 404 (no oracle)."""
    entry = db.session.get(JpEntry, entry_id)
    if entry is None or not jp_ledger.can_review(current_user, entry):
        abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        jp_ledger.decide(entry, current_user, decision == "approve", form.note.data or "")
    except jp_ledger.LedgerError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        flash(_("Decision saved."), "success")
    return redirect(url_for(back))


def _own_exporters():
    """Training-history exporters offered for the learner's own download."""
    from lms.services import training_history

    return training_history.exporters()
