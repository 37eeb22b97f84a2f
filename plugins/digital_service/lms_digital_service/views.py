"""Administrators' page: recent webhook deliveries, their status, and "retry now"."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from lms.plugin import db

from lms_digital_service import webhooks
from lms_digital_service.i18n import _, _n
from lms_digital_service.models import DELIVERED, FAILED, PENDING, STATUSES, WebhookDelivery

bp = Blueprint("digital_service", __name__, url_prefix="/p/digital_service",
               template_folder="templates", static_folder="static")

#: Rows shown on the page, newest first.
PAGE_SIZE = 50


@bp.before_request
@login_required
def admins_only():
    if not current_user.has_role("admin"):
        abort(403)


def safe_url(url: str) -> str:
    """The receiver's address without credentials, query or fragment (they may hold tokens)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


@bp.get("/webhooks")
def webhooks_page():
    status = request.args.get("status", "")
    query = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(PAGE_SIZE)
    if status in STATUSES:
        query = query.where(WebhookDelivery.status == status)
    else:
        status = ""
    counts = dict(db.session.execute(select(WebhookDelivery.status, func.count())
                                     .group_by(WebhookDelivery.status)).all())
    settings = webhooks.current_settings()
    labels = {PENDING: _("Pending"), DELIVERED: _("Delivered"), FAILED: _("Failed")}
    return render_template("digital_service/webhooks.html", ds_=_, ds_n=_n,
                           deliveries=list(db.session.scalars(query)), counts=counts,
                           status=status, labels=labels, statuses=STATUSES,
                           receiver=safe_url(settings.url) if settings.enabled else "",
                           settings=settings, aware=webhooks.aware)


@bp.post("/webhooks/<int:delivery_id>/retry")
def retry(delivery_id: int):
    if not webhooks.current_settings().enabled:
        flash(_("Webhook delivery is off: set DIGITAL_SERVICE_WEBHOOK_URL first."), "error")
    elif webhooks.retry_now(delivery_id):
        flash(_("Delivery #%(id)d will be attempted again now.", id=delivery_id), "success")
    else:
        flash(_("Delivery #%(id)d cannot be retried (already delivered, or not found).",
                id=delivery_id), "error")
    return redirect(url_for("digital_service.webhooks_page", status=request.args.get("status") or None))
