"""jp_year_totals, the per-person-and-year rollup of approved JP the JP report reads.

It must always equal the ledger's approved entries summed per (user, year) and competency:
after certificates are issued, revoked and re-issued, external training approved or
rejected, entries edited, moved or deleted; after `flask lms rebuild-jp-totals`; after the
core_0011 migration on a database with a ledger; and when two approvals for one person
commit at the same moment (PostgreSQL).
"""
from __future__ import annotations

import datetime as dt
import threading
import time

import flask_migrate
import pytest
from sqlalchemy import delete, insert, select, text, update

from lms.database import db
from lms.models import Certificate, JpEntry, JpSource, JpStatus, JpYearTotal, User
from lms.services import certificates, jp_ledger, jp_reports
from lms.testing import empty_database

PDF = b"%PDF-1.4\n% bukti\n"
KINDS = {"teknis": 1, "manajerial": 2, "sosial-kultural": 3}


def rollup(app) -> dict[tuple[int, int], tuple]:
    """jp_year_totals as {(user, year): (total, teknis, manajerial, sosial-kultural, other)}."""
    with app.app_context():
        t = JpYearTotal
        return {(r.user_id, r.year): (r.jp_total, r.jp_teknis, r.jp_manajerial, r.jp_sosial_kultural, r.jp_other)
                for r in db.session.scalars(select(t))}


def from_ledger(app) -> dict[tuple[int, int], tuple]:
    """The same figures summed in Python from the approved entries (None: no entry of a kind)."""
    sums: dict[tuple[int, int], list] = {}
    with app.app_context():
        for e in db.session.scalars(select(JpEntry).where(JpEntry.status == JpStatus.APPROVED)):
            row = sums.setdefault((e.user_id, e.year), [0, None, None, None, None])
            row[0] += e.jp
            slot = KINDS.get(e.competency, 4)
            row[slot] = (row[slot] or 0) + e.jp
    return {key: tuple(row) for key, row in sums.items()}


def check(app, expected: dict) -> None:
    """The rollup is what the test expects and what the ledger says."""
    assert rollup(app) == expected
    assert from_ledger(app) == expected


def record(app, user_id: int, jp: int, *, end_on: dt.date, competency: str = "teknis") -> int:
    """External training recorded by the learner (pending) through the ledger service."""
    with app.app_context():
        entry = jp_ledger.record_external(db.session.get(User, user_id), title="Bimtek", organiser="BPSDM",
                                          start_on=end_on, end_on=end_on, jp=jp, competency=competency,
                                          evidence=PDF, evidence_name="bukti.pdf")
        return entry.id


def decide(app, entry_id: int, reviewer_id: int, approve: bool) -> None:
    with app.app_context():
        jp_ledger.decide(db.session.get(JpEntry, entry_id), db.session.get(User, reviewer_id), approve,
                         "" if approve else "Bukti tidak sah")


def this_year() -> int:
    return dt.date.today().year


# ------------------------------------------------------------------- the ledger services


def test_certificates_issued_revoked_and_reissued(lms_app, lms_client, lms_auth, lms_user, lms_course):
    lms_course("teknis", lessons=1, jp=3, competency="teknis")
    lms_course("manajerial", lessons=1, jp=5, competency="manajerial")
    learner = lms_user()
    admin = lms_user("admin", nip=None)
    lms_auth.login(learner)
    for slug in ("teknis", "manajerial"):
        lms_client.submit(f"/courses/{slug}/enrol", form_page=f"/courses/{slug}")
        lms_client.submit(f"/learn/{slug}/pelajaran-1/complete", form_page=f"/learn/{slug}/pelajaran-1")
    with lms_app.app_context():
        first, second = db.session.scalars(select(Certificate).order_by(Certificate.id)).all()
        year = first.completed_on.year
    check(lms_app, {(learner.id, year): (8, 3, 5, None, None)})

    with lms_app.app_context():  # re-issue: the old credit is voided, the new one counts
        replacement = certificates.reissue(db.session.get(Certificate, first.id), db.session.get(User, admin.id),
                                           "Gelar belum tercantum")
    check(lms_app, {(learner.id, year): (8, 3, 5, None, None)})

    with lms_app.app_context():
        certificates.revoke(db.session.get(Certificate, second.id), db.session.get(User, admin.id), "Dicabut")
    check(lms_app, {(learner.id, year): (3, 3, None, None, None)})

    with lms_app.app_context():
        certificates.revoke(db.session.get(Certificate, replacement.id), db.session.get(User, admin.id), "Dicabut")
    check(lms_app, {})  # nothing approved left: no row, the report counts 0


def test_external_training_counts_once_approved_per_year_and_kind(lms_app, lms_user):
    learner, other = lms_user(), lms_user()
    admin = lms_user("admin", nip=None)
    year = this_year()
    now, last_year = dt.date(year, 1, 15), dt.date(year - 1, 6, 1)
    pending = record(lms_app, learner.id, 7, end_on=now)
    check(lms_app, {})  # pending does not count

    decide(lms_app, pending, admin.id, True)
    check(lms_app, {(learner.id, year): (7, 7, None, None, None)})

    rejected = record(lms_app, learner.id, 30, end_on=now, competency="manajerial")
    decide(lms_app, rejected, admin.id, False)
    check(lms_app, {(learner.id, year): (7, 7, None, None, None)})

    for jp, end_on, kind in ((4, now, "sosial-kultural"), (2, now, ""), (11, last_year, "manajerial")):
        decide(lms_app, record(lms_app, learner.id, jp, end_on=end_on, competency=kind), admin.id, True)
    decide(lms_app, record(lms_app, other.id, 5, end_on=now), admin.id, True)
    check(lms_app, {(learner.id, year): (13, 7, None, 4, 2), (learner.id, year - 1): (11, None, 11, None, None),
                    (other.id, year): (5, 5, None, None, None)})


def test_any_orm_change_to_an_entry_is_followed(lms_app, lms_user):
    """Edits, moves to another year or person, and deletes, made straight through the ORM."""
    ani, budi = lms_user(), lms_user()
    with lms_app.app_context():
        entries = [JpEntry(user_id=ani.id, year=2026, source=JpSource.EXTERNAL, status=JpStatus.APPROVED, jp=jp,
                           title="Pelatihan", competency="teknis", start_on=dt.date(2026, 3, 1),
                           end_on=dt.date(2026, 3, 1)) for jp in (6, 4)]
        db.session.add_all(entries)
        db.session.commit()
        ids = [e.id for e in entries]
    check(lms_app, {(ani.id, 2026): (10, 10, None, None, None)})

    with lms_app.app_context():
        entry = db.session.get(JpEntry, ids[0])
        entry.jp, entry.competency = 9, "manajerial"
        db.session.commit()
    check(lms_app, {(ani.id, 2026): (13, 4, 9, None, None)})

    with lms_app.app_context():
        db.session.get(JpEntry, ids[0]).year = 2025
        db.session.commit()
    check(lms_app, {(ani.id, 2026): (4, 4, None, None, None), (ani.id, 2025): (9, None, 9, None, None)})

    with lms_app.app_context():
        db.session.get(JpEntry, ids[0]).user_id = budi.id
        db.session.commit()
    check(lms_app, {(ani.id, 2026): (4, 4, None, None, None), (budi.id, 2025): (9, None, 9, None, None)})

    with lms_app.app_context():
        db.session.delete(db.session.get(JpEntry, ids[1]))
        db.session.get(JpEntry, ids[0]).status = JpStatus.REJECTED
        db.session.commit()
    check(lms_app, {})


def test_rollup_is_current_inside_the_transaction(lms_app, lms_user):
    """Read before commit (autoflush), the rollup already holds the change; a rollback undoes both."""
    ani = lms_user()
    with lms_app.app_context():
        db.session.add(JpEntry(user_id=ani.id, year=2026, source=JpSource.EXTERNAL, status=JpStatus.APPROVED, jp=5,
                               title="Pelatihan", start_on=dt.date(2026, 3, 1), end_on=dt.date(2026, 3, 1)))
        assert db.session.scalar(select(JpYearTotal.jp_total).where(JpYearTotal.user_id == ani.id)) == 5
        db.session.rollback()
    check(lms_app, {})


# ------------------------------------------------------------------ repair and migration


def test_rebuild_command_repairs_a_tampered_table(lms_app, lms_runner, lms_user):
    ani, budi = lms_user(name="Ani"), lms_user(name="Budi")
    admin = lms_user("admin", nip=None)
    year = this_year()
    for user, jp, end_on in ((ani, 25, dt.date(year, 2, 1)), (budi, 8, dt.date(year, 2, 1)),
                             (ani, 3, dt.date(year - 1, 2, 1))):
        decide(lms_app, record(lms_app, user.id, jp, end_on=end_on), admin.id, True)
    right = rollup(lms_app)
    assert right == from_ledger(lms_app) and len(right) == 3
    with lms_app.app_context():  # damage it behind the application's back
        db.session.execute(update(JpYearTotal).where(JpYearTotal.user_id == ani.id).values(jp_total=1))
        db.session.execute(delete(JpYearTotal).where(JpYearTotal.user_id == budi.id))
        db.session.execute(insert(JpYearTotal).values(user_id=budi.id, year=year - 1, jp_total=99))
        db.session.commit()
        report = jp_reports.report(jp_reports.Scope(None), year)
        assert (report.total.people, report.total.reached, report.total.jp) == (2, 0, 1)  # it reads the rollup

    result = lms_runner.invoke(args=["lms", "rebuild-jp-totals", "--year", str(year)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"jp_year_totals rebuilt for {year}: 2 rows"
    assert rollup(lms_app) == {**right, (ani.id, year - 1): (1, 3, None, None, None),
                               (budi.id, year - 1): (99, None, None, None, None)}  # other years untouched

    result = lms_runner.invoke(args=["lms", "rebuild-jp-totals"])
    assert result.exit_code == 0 and result.output.strip() == "jp_year_totals rebuilt: 3 rows"
    assert rollup(lms_app) == right
    with lms_app.app_context():
        report = jp_reports.report(jp_reports.Scope(None), year)
        assert (report.total.people, report.total.reached, report.total.jp) == (2, 1, 33)


def test_migration_fills_the_rollup_from_the_existing_ledger(lms_app, lms_user):
    with lms_app.app_context():
        empty_database(db)
        flask_migrate.upgrade(revision="core_0010")
        # Plain SQL with the columns users had at core_0010 (the model has gained some since).
        for n in range(3):
            db.session.execute(text("INSERT INTO users (email, name, password_hash, role, active, "
                                    "must_change_password) VALUES (:email, 'Pegawai', 'x', 'learner', "
                                    ":yes, :no)"), {"email": f"pegawai{n}@example.go.id", "yes": True, "no": False})
        db.session.commit()
        ani, budi, citra = db.session.execute(text("SELECT id FROM users ORDER BY id")).all()  # rows with .id
    rows = [(ani.id, 2026, "approved", 12, "teknis"), (ani.id, 2026, "approved", 10, "manajerial"),
            (ani.id, 2026, "pending", 30, "teknis"), (ani.id, 2026, "rejected", 15, "teknis"),
            (ani.id, 2025, "approved", 4, "sosial-kultural"), (budi.id, 2026, "approved", 8, ""),
            (budi.id, 2026, "approved", 1, "lainnya"), (citra.id, 2026, "rejected", 9, "teknis")]
    with lms_app.app_context():  # Core, as the ledger stood before core_0011 (no rollup to keep)
        db.session.execute(insert(JpEntry.__table__), [
            {"user_id": u, "year": y, "source": JpSource.EXTERNAL, "status": JpStatus(s), "jp": jp, "title": "Pelatihan",
             "organiser": "", "competency": c, "start_on": dt.date(y, 3, 1), "end_on": dt.date(y, 3, 1),
             "decision_note": ""} for u, y, s, jp, c in rows])
        db.session.commit()
        flask_migrate.upgrade(revision="heads")
    check(lms_app, {(ani.id, 2026): (22, 12, 10, None, None), (ani.id, 2025): (4, None, None, 4, None),
                    (budi.id, 2026): (9, None, None, None, 9)})


# ------------------------------------------------------------------------ concurrency


def _waiting_for_a_lock(app) -> bool:
    with app.app_context(), db.engine.connect() as conn:
        return bool(conn.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'")))


@pytest.mark.parametrize("earlier", [0, 5], ids=["first-row", "row-exists"])
def test_two_approvals_for_one_person_at_once_are_both_counted(lms_app, lms_user, earlier):
    """Two reviewers approve two entries of one learner at the same moment (PostgreSQL, READ
    COMMITTED). The first approval has recomputed the learner's total but not committed when
    the second one recomputes: without the lock on the learner the second would sum the
    ledger without the first entry (or collide on the rollup's primary key). It must wait,
    then count both."""
    if not lms_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite serialises writing transactions (BEGIN IMMEDIATE)")
    learner, first_admin, second_admin = lms_user(), lms_user("admin", nip=None), lms_user("admin", nip=None)
    year = this_year()
    if earlier:  # the learner already has a row in the rollup
        decide(lms_app, record(lms_app, learner.id, earlier, end_on=dt.date(year, 1, 2)), first_admin.id, True)
    first_id, second_id = (record(lms_app, learner.id, jp, end_on=dt.date(year, 2, 1)) for jp in (7, 9))
    first_flushed, errors = threading.Event(), []

    def first():
        """Approve, flush (the rollup is recomputed, the transaction stays open), wait until
        the second approval is blocked, then commit."""
        try:
            with lms_app.app_context():
                entry = db.session.get(JpEntry, first_id)
                entry.status, entry.decided_by_id = JpStatus.APPROVED, first_admin.id
                db.session.flush()
                first_flushed.set()
                deadline = time.monotonic() + 30
                while not _waiting_for_a_lock(lms_app):
                    assert time.monotonic() < deadline, "the second approval never waited"
                    time.sleep(0.02)
                db.session.commit()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            first_flushed.set()

    def second():
        try:
            assert first_flushed.wait(30)
            decide(lms_app, second_id, second_admin.id, True)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    total = earlier + 16
    check(lms_app, {(learner.id, year): (total, total, None, None, None)})
