"""The audit log at /admin/audit: admins read every entry, unit admins their subtree's."""
from __future__ import annotations

import datetime as dt

from flask import Response, render_template, request
from flask_login import current_user

from lms.blueprints.admin import admin_required, bp
from lms.forms.admin import AuditFilterForm
from lms.services import audit as audit_log

#: Prefixes offered as one-click filters (any prefix can be typed).
COMMON_PREFIXES = ("user.", "unit.", "assignment.")


@bp.get("/audit")
@admin_required
def audit():
    form = AuditFilterForm(request.args)
    action = (form.action.data or "").strip() if form.validate() else ""
    page = audit_log.page(current_user, request.args.get("page", 1, type=int), action=action)
    return render_template("admin/audit.html", form=form, page=page, prefixes=COMMON_PREFIXES)


@bp.get("/audit.csv")
@admin_required
def audit_csv():
    """Every entry the reader may see (of the ?action= prefix, like the page), as CSV (UTC)."""
    stamp = dt.date.today().strftime("%Y%m%d")
    action = request.args.get("action", "").strip()[:60]
    return Response(audit_log.export_csv(current_user, action), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="audit-{stamp}.csv"',
        "Cache-Control": "no-store"})
