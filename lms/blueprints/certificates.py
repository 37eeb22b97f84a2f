"""Certificates: public verification, the holder's downloads, revocation by admins."""
from __future__ import annotations

import json

from flask import (Blueprint, Response, abort, flash, jsonify, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from lms.access import role_required
from lms.database import db
from lms.extensions import csrf
from lms.forms import Form
from lms.forms.certificates import CredentialForm, ReasonForm
from lms.models import Certificate, Course, Role
from lms.services import (authoring, certificate_archive, certificate_lifecycle, certificates, orgs,
                          user_admin)

bp = Blueprint("certificates", __name__)

#: A presented credential larger than this is refused before parsing.
MAX_CREDENTIAL_BYTES = 1_000_000


# ------------------------------------------------------------------ public verification


@bp.get("/verify/<code>")
def verify(code: str):
    """Anyone may check a certificate; it shows no more than the certificate itself."""
    found = certificates.by_code(code)
    replacement = db.session.get(Certificate, found.replaced_by_id) if found and found.replaced_by_id else None
    state = certificate_lifecycle.state(found) if found else None
    return render_template("certificates/verify.html", certificate=found, replacement=replacement,
                           state=state, form=CredentialForm()), 200 if found else 404


@bp.route("/verify", methods=["GET", "POST"])
def verify_credential():
    """Check a presented signed credential (pasted or uploaded)."""
    form = CredentialForm()
    result = certificate = None
    if form.validate_on_submit():
        document = form.document.data or ""
        if form.file.data:
            document = form.file.data.read(MAX_CREDENTIAL_BYTES + 1)
        result, certificate = certificates.check_credential(document)
    return render_template("certificates/verify_credential.html", form=form, result=result,
                           certificate=certificate), 400 if form.errors else 200


@bp.post("/api/v1/credentials/verify")
@csrf.exempt
def api_verify():
    """JSON API: POST a credential, get its signature check and the certificate's status."""
    raw = request.get_data(cache=False)
    if len(raw) > MAX_CREDENTIAL_BYTES:
        return jsonify(error={"code": "too_large", "message": "credential over 1 MB", "details": {}}), 413
    result, certificate = certificates.check_credential(raw)
    body = {"valid": bool(result.valid and certificate is not None
                          and certificate.status.value == "valid"),
            "signature": {"valid": result.valid, "reason": result.reason},
            "certificate": _public(certificate)}
    return jsonify(body)


def _public(certificate: Certificate | None) -> dict | None:
    """What the verify endpoints reveal: exactly what is printed on the certificate."""
    if certificate is None:
        return None
    view = certificates.public_view(certificate)
    return {**view, "revoked_at": view["revoked_at"].isoformat() if view["revoked_at"] else None}


# ------------------------------------------------------------------ the holder's copies


@bp.get("/me/certificates")
@login_required
def mine():
    items = certificates.of_user(current_user)
    today = certificate_lifecycle.today()
    return render_template("certificates/mine.html", items=items, form=Form(),
                           states={c.id: certificate_lifecycle.state(c, today) for c in items},
                           renewable={c.id for c in items if certificate_lifecycle.can_recertify(c, today)})


@bp.post("/me/certificates/<number>/renew")
@login_required
def renew(number: str):
    """Recertification: the holder of an expiring certificate takes the course again."""
    certificate = certificates.by_number(number)
    if certificate is None or certificate.user_id != current_user.id:
        abort(404)
    if not Form().validate_on_submit():
        abort(400)
    try:
        enrollment = certificate_lifecycle.start_recertification(current_user, certificate)
    except certificates.CertificateError:
        flash(_("This certificate cannot be renewed yet."), "error")
        return redirect(url_for("certificates.mine"))
    flash(_("Take the course again to receive a renewed certificate. Your current certificate "
            "stays valid until it expires."), "success")
    return redirect(url_for("catalog.course", slug=enrollment.course.slug))


@bp.get("/me/certificates/<number>.pdf")
@login_required
def download_pdf(number: str):
    certificate = _readable(number)
    return Response(certificates.download(certificate), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="sertifikat-{certificate.number}.pdf"',
        "Cache-Control": "private, max-age=3600"})


@bp.get("/me/certificates/<number>.json")
@login_required
def download_credential(number: str):
    certificate = _readable(number)
    if certificate.status.value != "valid":
        abort(404)
    body = json.dumps(certificates.credential(certificate), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="kredensial-{certificate.number}.json"'})


def _readable(number: str) -> Certificate:
    """The holder's own certificate (admins may read any); anyone else gets 404."""
    certificate = certificates.by_number(number)
    if certificate is None or not (certificate.user_id == current_user.id or current_user.role == Role.ADMIN):
        abort(404)
    return certificate


# ------------------------------------------------------------------ administration


@bp.get("/admin/certificates")
@role_required(Role.ADMIN)
def admin_list():
    q = (request.args.get("q") or "").strip()[:100]
    query = select(Certificate).order_by(Certificate.issued_at.desc()).limit(100)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        query = query.where(or_(Certificate.number.ilike(like), Certificate.holder_nip.ilike(like),
                                Certificate.holder_name.ilike(like)))
    return render_template("certificates/admin_list.html", items=db.session.scalars(query).all(), q=q)


@bp.get("/admin/certificates/<number>")
@role_required(Role.ADMIN)
def admin_detail(number: str):
    certificate = certificates.by_number(number) or abort(404)
    return render_template("certificates/admin_detail.html", certificate=certificate,
                           events=certificates.history(certificate), form=ReasonForm())


@bp.post("/admin/certificates/<number>/<any(revoke, reissue):action>")
@role_required(Role.ADMIN)
def change(number: str, action: str):
    """Revoke, or re-issue from the current profile; both need a reason and are audited."""
    certificate = certificates.by_number(number) or abort(404)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Give a reason."), "error")
        return redirect(url_for("certificates.admin_detail", number=number))
    try:
        if action == "revoke":
            certificates.revoke(certificate, current_user, form.reason.data)
            flash(_("Certificate %(n)s revoked.", n=number), "success")
        else:
            number = certificates.reissue(certificate, current_user, form.reason.data).number
            flash(_("Certificate %(old)s replaced by %(new)s.", old=certificate.number, new=number), "success")
    except certificates.CertificateError as exc:
        flash(str(exc), "error")
    return redirect(url_for("certificates.admin_detail", number=number))


# ------------------------------------------------------------------ bulk download (ZIP)


def _year() -> int | None:
    """?year=YYYY, or None for every year; anything else is refused (400)."""
    raw = (request.args.get("year") or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        abort(400)
    return int(raw)


def _zip(scope: certificate_archive.ArchiveScope) -> Response:
    return Response(stream_with_context(certificate_archive.stream(scope)), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{scope.filename()}"',
                             "Cache-Control": "private, no-store"})


@bp.get("/admin/units/<int:unit_id>/certificates.zip")
@role_required(Role.UNIT_ADMIN)
def unit_archive(unit_id: int):
    """Every certificate of the people of a unit and its sub-units (?year= of issue): admins,
    and unit admins of that unit's subtree; any other unit is 404."""
    unit = orgs.get(unit_id)
    if unit is None or not user_admin.can_see_unit(current_user, unit):
        abort(404)
    return _zip(certificate_archive.ArchiveScope(unit=unit, year=_year()))


@bp.get("/author/courses/<slug>/certificates.zip")
@role_required(Role.AUTHOR)
def course_archive(slug: str):
    """Every certificate of a course (?year= of issue): its authors and admins."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or not authoring.can_author(current_user, course):
        abort(404)
    return _zip(certificate_archive.ArchiveScope(course=course, year=_year()))
