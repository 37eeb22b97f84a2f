"""The audit log: entries commit with their change, unit admins read only their subtree."""
from __future__ import annotations

from sqlalchemy import func, select

from lms.database import db
from lms.models import User
from lms.models.audit import AuditEntry
from lms.services import audit, orgs


def test_entries_follow_their_transaction_and_scope(lms_app, lms_user):
    admin_id, unit_admin_id = lms_user("admin").id, lms_user("unit_admin").id
    with lms_app.app_context():
        agency = orgs.create_unit(code="PEMKOT", name="Pemkot", kind="instansi")
        dinas = orgs.create_unit(code="DISKOMINFO", name="Diskominfo", kind="opd", parent=agency)
        other = orgs.create_unit(code="DINKES", name="Dinkes", kind="opd", parent=agency)
        admin, unit_admin = db.session.get(User, admin_id), db.session.get(User, unit_admin_id)
        unit_admin.unit = dinas
        db.session.commit()
        audit.record(admin, "user.created", "user", 7, unit=dinas, email="a@b.id")
        db.session.rollback()  # the change failed: no entry either
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
        audit.record(admin, "user.created", "user", 7, unit=dinas, email="a@b.id")
        audit.record(admin, "unit.renamed", "unit", "DINKES", unit=other)
        audit.record(admin, "settings.changed")
        db.session.commit()
        assert audit.page(admin).total == 3
        mine = audit.page(unit_admin)
        assert [e.action for e in mine.items] == ["user.created"] and mine.total == 1
        assert audit.page(admin, action="unit.").total == 1
        lines = audit.export_csv(unit_admin).splitlines()
        assert lines[0].startswith("time_utc,actor,action") and len(lines) == 2
        assert "email=a@b.id" in lines[1] and admin.email in lines[1]


def test_the_action_filter_takes_wildcards_literally_and_applies_to_the_export(lms_app, lms_user):
    admin_id = lms_user("admin").id
    with lms_app.app_context():
        admin = db.session.get(User, admin_id)
        audit.record(admin, "user.created")
        audit.record(admin, "unit.renamed")
        db.session.commit()
        assert audit.page(admin, action="u%").total == 0 and audit.page(admin, action="u_er").total == 0
        assert audit.page(admin, action="user").total == 1
        lines = audit.export_csv(admin, "unit.").splitlines()
        assert len(lines) == 2 and "unit.renamed" in lines[1]
