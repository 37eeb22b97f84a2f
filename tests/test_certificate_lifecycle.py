"""Certificate lifecycle: validity and expiry, reminders, recertification, electronic signing,
and the bulk ZIP download of a unit's or a course's certificates (docs/certificates.md)."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile

import pytest
from pypdf import PdfReader, PdfWriter
from sqlalchemy import func, select

from lms.database import db
from lms.models import (
    Attempt,
    AttemptState,
    Certificate,
    CertificateReminder,
    CertificateStatus,
    CourseVersion,
    Enrollment,
    JpEntry,
    JpStatus,
    Notification,
    Quiz,
    User,
)
from lms.packages.manifest import parse_manifest
from lms.plugin import hookimpl
from lms.services import certificate_lifecycle as lifecycle
from lms.services import orgs
from lms.testing import course_manifest

SLUG = "berlaku"


def import_course(app, slug=SLUG, months=24, **options):
    """Import and publish a one-lesson course whose certificates last `months`."""
    from lms.services import courses

    manifest, bodies = course_manifest(slug, lessons=1, jp=4, title="Keamanan Informasi", **options)
    if months is not None:
        manifest["certificate"] = {"valid_for_months": months}
    spec, problems = parse_manifest(manifest)
    assert not problems, problems
    with app.app_context():
        version = courses.import_version(spec, bodies)
        courses.publish(version)
        return version.course_id


def complete(client, slug=SLUG):
    client.submit(f"/courses/{slug}/enrol", form_page=f"/courses/{slug}")
    client.submit(f"/learn/{slug}/pelajaran-1/complete", form_page=f"/learn/{slug}/pelajaran-1")


def in_unit(app, user, unit_id: int):
    """Move a factory user into a unit; returns the user."""
    with app.app_context():
        db.session.get(User, user.id).unit_id = unit_id
        db.session.commit()
    return user


def only_certificate(app) -> Certificate:
    with app.app_context():
        return db.session.scalar(select(Certificate).order_by(Certificate.id.desc()))


def set_expiry(app, number: str, expires_on: dt.date) -> None:
    with app.app_context():
        db.session.scalar(select(Certificate).where(Certificate.number == number)).expires_on = expires_on
        db.session.commit()


@pytest.fixture
def holder(lms_app, lms_client, lms_auth, lms_user):
    """A signed-in learner holding a certificate of a 24-month course."""
    import_course(lms_app)
    learner = lms_user(name="Dewi Lestari")
    lms_auth.login(learner)
    complete(lms_client)
    return learner, only_certificate(lms_app)


# ------------------------------------------------------------------------- validity


def test_add_months_clamps_to_the_end_of_the_month():
    assert lifecycle.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert lifecycle.add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert lifecycle.add_months(dt.date(2026, 11, 24), 24) == dt.date(2028, 11, 24)
    assert lifecycle.add_months(dt.date(2026, 12, 5), 1) == dt.date(2027, 1, 5)


@pytest.mark.parametrize("section, message", [
    ({"valid_for_months": 0}, None), ({"valid_for_months": 241}, "from 1 to 240"),
    ({"valid_for_months": "dua"}, "from 1 to 240"), ({"valid_for_months": True}, "from 1 to 240"),
    ({"valid": 3}, "unknown field"), ("24", "must be a mapping"),
])
def test_manifest_checks_the_certificate_section(section, message):
    manifest, _bodies = course_manifest("cek", lessons=1)
    manifest["certificate"] = section
    spec, problems = parse_manifest(manifest)
    if message is None:
        assert not problems and spec.certificate_validity_months is None
    else:
        assert any(message in str(p) and "certificate" in p.where for p in problems), problems


def test_validity_survives_export_and_a_new_draft(lms_app):
    from lms.services import drafts, packages

    import_course(lms_app, months=36)
    with lms_app.app_context():
        version = packages.find_version(SLUG)
        manifest, _files = packages.export_version(version)
        assert manifest["certificate"] == {"valid_for_months": 36}
        assert parse_manifest(manifest)[0].certificate_validity_months == 36
        assert drafts.copy_version(version).certificate_validity_months == 36


def test_certificate_expires_after_the_validity_and_says_so(lms_app, lms_client, holder):
    _learner, cert = holder
    with lms_app.app_context():
        issued = lifecycle.local_date(cert.issued_at)  # the issuer's time zone (Asia/Jakarta)
    assert cert.expires_on == lifecycle.add_months(issued, 24)
    page = lms_client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert "Berlaku sampai" in page or "Valid until" in page
    api = lms_client.get(f"/api/v1/certificates/{cert.code}").get_json()
    assert (api["state"], api["expires_on"]) == ("valid", cert.expires_on.isoformat())
    mine = lms_client.get("/me/certificates").get_data(as_text=True)
    assert cert.number in mine and str(cert.expires_on.year) in mine

    set_expiry(lms_app, cert.number, dt.date.today() - dt.timedelta(days=1))
    response = lms_client.get(f"/verify/{cert.code}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Sertifikat kedaluwarsa" in page or "Expired certificate" in page
    assert "Sertifikat sah" not in page and "Valid certificate" not in page
    assert lms_client.get(f"/api/v1/certificates/{cert.code}").get_json()["state"] == "expired"


def test_a_course_without_validity_issues_certificates_that_never_expire(lms_app, lms_client, lms_auth, lms_user):
    import_course(lms_app, slug="selamanya", months=None)
    lms_auth.login(lms_user())
    complete(lms_client, "selamanya")
    cert = only_certificate(lms_app)
    assert cert.expires_on is None
    with lms_app.app_context():
        assert lifecycle.state(cert, dt.date(2100, 1, 1)) == "valid"
        assert not lifecycle.can_recertify(cert, dt.date(2100, 1, 1))


def test_browser_editor_sets_the_validity(lms_app, lms_client, lms_auth, lms_user):
    import_course(lms_app, months=None)
    author = lms_user("author")
    with lms_app.app_context():
        from lms.models import Course
        from lms.services import authoring

        authoring.add_author(db.session.get(Course, 1), db.session.get(User, author.id))
    lms_auth.login(author)
    base = f"/author/courses/{SLUG}/edit/course"
    fields = {"title": "Keamanan Informasi", "language": "id", "jp": "4", "competency": "teknis"}
    assert lms_client.submit(base, {**fields, "certificate_months": "300"}).status_code == 400
    assert lms_client.submit(base, {**fields, "certificate_months": "12"}).status_code == 302
    with lms_app.app_context():
        draft = db.session.scalar(select(CourseVersion).order_by(CourseVersion.number.desc()))
        assert (draft.number, draft.certificate_validity_months) == (2, 12)
    assert 'value="12"' in lms_client.get(base).get_data(as_text=True)
    assert lms_client.submit(base, {**fields, "certificate_months": ""}).status_code == 302
    with lms_app.app_context():
        assert db.session.get(CourseVersion, 2).certificate_validity_months is None


# ------------------------------------------------------------------------ reminders


@pytest.mark.lms_config(CERT_EXPIRY_REMINDER_DAYS=[60, 14])
def test_reminders_go_out_once_per_threshold_and_on_expiry(lms_app, holder):
    _learner, cert = holder
    today = dt.date.today()
    set_expiry(lms_app, cert.number, today + dt.timedelta(days=50))
    with lms_app.app_context():
        assert lifecycle.send_expiry_reminders(today - dt.timedelta(days=30)) == 0  # 80 days left
        assert lifecycle.send_expiry_reminders(today) == 1     # 50 days: the 60-day notice
        assert lifecycle.send_expiry_reminders(today) == 0     # exactly once
        assert lifecycle.send_expiry_reminders(today + dt.timedelta(days=20)) == 0  # 30 days left
        assert lifecycle.send_expiry_reminders(today + dt.timedelta(days=40)) == 1  # 10 days: 14
        assert lifecycle.send_expiry_reminders(today + dt.timedelta(days=45)) == 0
        assert lifecycle.send_expiry_reminders(today + dt.timedelta(days=51)) == 1  # expired
        assert lifecycle.send_expiry_reminders(today + dt.timedelta(days=52)) == 0
        kinds = set(db.session.scalars(select(CertificateReminder.kind)))
        assert kinds == {"60", "14", "expired"}
        notes = db.session.scalars(select(Notification).where(Notification.kind == "certificate-expiry")).all()
        assert len(notes) == 3 and all(cert.number in n.subject for n in notes)
        assert any("/me/certificates" in n.body for n in notes)


@pytest.mark.lms_config(CERT_EXPIRY_REMINDER_DAYS=[60, 14])
def test_a_late_run_sends_only_the_most_relevant_notice(lms_app, holder):
    _learner, cert = holder
    today = dt.date.today()
    set_expiry(lms_app, cert.number, today + dt.timedelta(days=5))
    with lms_app.app_context():
        assert lifecycle.send_expiry_reminders(today) == 1
        assert list(db.session.scalars(select(CertificateReminder.kind))) == ["14"]
        # Revoked and long-expired certificates get nothing.
        db.session.get(Certificate, cert.id).expires_on = today - dt.timedelta(days=400)
        db.session.commit()
        assert lifecycle.send_expiry_reminders(today) == 0


def test_the_worker_runs_the_lifecycle_jobs(lms_app):
    from lms.cli.worker import core_periodic_jobs

    names = {job.func.__name__ for job in core_periodic_jobs(lms_app)}
    assert {"send_expiry_reminders", "sign_pending", "render_missing"} <= names


# ------------------------------------------------------------------ recertification


def test_renewal_is_refused_before_the_reminder_window(lms_app, lms_client, holder):
    _learner, cert = holder
    response = lms_client.submit(f"/me/certificates/{cert.number}/renew", form_page="/me/certificates")
    assert response.status_code == 302
    with lms_app.app_context():
        assert db.session.get(Enrollment, cert.enrollment_id).completed_at is not None
    assert "Renew" not in lms_client.get("/me/certificates").get_data(as_text=True).replace("renewed", "")


def test_recertification_issues_a_new_certificate_and_keeps_the_old_one(lms_app, lms_client, holder):
    renew(lms_app, lms_client, holder)


def renew(lms_app, lms_client, holder):
    """The holder renews and completes the course again: (old certificate, new one)."""
    _learner, old = holder
    set_expiry(lms_app, old.number, dt.date.today() + dt.timedelta(days=10))
    mine = lms_client.get("/me/certificates").get_data(as_text=True)
    assert f"/me/certificates/{old.number}/renew" in mine
    response = lms_client.submit(f"/me/certificates/{old.number}/renew", form_page="/me/certificates")
    assert response.status_code == 302 and response.location.endswith(f"/courses/{SLUG}")
    with lms_app.app_context():
        enrollment = db.session.get(Enrollment, old.enrollment_id)
        assert enrollment.completed_at is None and enrollment.cycle_started_at is not None
        assert db.session.get(Certificate, old.id).status == CertificateStatus.VALID  # until renewed
    # A second request changes nothing more (the course is already reopened).
    assert lms_client.submit(f"/me/certificates/{old.number}/renew",
                             form_page="/me/certificates").status_code == 302

    lms_client.submit(f"/learn/{SLUG}/pelajaran-1/complete", form_page=f"/learn/{SLUG}/pelajaran-1")
    with lms_app.app_context():
        certs = db.session.scalars(select(Certificate).order_by(Certificate.id)).all()
        assert len(certs) == 2
        before, after = certs
        assert before.status == CertificateStatus.SUPERSEDED and before.replaced_by_id == after.id
        assert after.status == CertificateStatus.VALID and after.number != before.number
        assert after.expires_on == lifecycle.add_months(lifecycle.today(), 24)
        credits = db.session.scalars(select(JpEntry).order_by(JpEntry.id)).all()
        assert [c.status for c in credits] == [JpStatus.APPROVED, JpStatus.APPROVED]
    page = lms_client.get(f"/verify/{old.code}").get_data(as_text=True)
    assert f"/verify/{after.code}" in page
    assert "Sertifikat sah" not in page and "Valid certificate" not in page
    assert lms_client.get(f"/api/v1/certificates/{old.code}").get_json()["state"] == "superseded"
    assert lms_client.get(f"/me/certificates/{old.number}.pdf").status_code == 200  # history
    return old, after


def test_admin_pages_call_a_renewed_certificate_renewed(lms_app, lms_client, lms_auth, lms_user, holder):
    old, _after = renew(lms_app, lms_client, holder)
    lms_auth.logout()
    lms_auth.login(lms_user("admin"))
    detail = lms_client.get(f"/admin/certificates/{old.number}").get_data(as_text=True)
    assert "Diperbarui" in detail or "Renewed" in detail
    assert "Dicabut" not in detail.split("<dl", 1)[1].split("</dl>", 1)[0]


def test_only_the_holder_may_renew(lms_app, lms_client, lms_auth, lms_user, holder):
    _learner, cert = holder
    set_expiry(lms_app, cert.number, dt.date.today() + dt.timedelta(days=3))
    lms_auth.logout()
    lms_auth.login(lms_user("admin"))
    response = lms_client.submit(f"/me/certificates/{cert.number}/renew", form_page="/me/certificates")
    assert response.status_code == 404
    lms_auth.logout()
    assert lms_client.post(f"/me/certificates/{cert.number}/renew").status_code in (302, 400)


def test_quiz_attempts_of_the_earlier_cycle_no_longer_count(lms_app, lms_user):
    from lms.services import quizzes

    course_id = import_course(lms_app, slug="berkuis", questions=[
        {"id": "tf", "type": "truefalse", "text": "Benar?", "answer": True}])
    learner = lms_user()
    with lms_app.app_context():
        quiz = db.session.scalar(select(Quiz))
        enrollment = Enrollment(user_id=learner.id, course_id=course_id)
        db.session.add(enrollment)
        started = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
        db.session.add(Attempt(uid="a" * 32, user_id=learner.id, course_id=course_id, quiz_key="kuis",
                               quiz_id=quiz.id, number=1, state=AttemptState.GRADED, started_at=started,
                               submitted_at=started, seed=1, score=100.0, points=1.0, max_points=1.0))
        db.session.commit()
        assert quizzes.best_scores(learner.id, course_id, [quiz]) == {"kuis": 100.0}
        enrollment.cycle_started_at = dt.datetime.now(dt.UTC)
        db.session.commit()
        assert quizzes.best_scores(learner.id, course_id, [quiz]) == {}
        from lms.services import attempts

        assert attempts.attempts_of(db.session.get(User, learner.id), enrollment.course, "kuis") == []


# -------------------------------------------------------------------------- signing


class Signer:
    """A stand-in for a TTE provider: adds signature metadata to the PDF with pypdf."""

    def __init__(self, mode="sign"):
        self.mode, self.calls = mode, []

    @hookimpl
    def sign_certificate_pdf(self, certificate, pdf_bytes):
        self.calls.append(certificate.number)
        if self.mode == "fail":
            raise ConnectionError("TTE provider unreachable")
        if self.mode == "skip":
            return None
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes)))
        writer.add_metadata({"/TTESignedBy": "Balai Sertifikasi Elektronik (uji)"})
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()


def test_a_signing_plugin_signs_after_issue_and_the_signed_copy_is_served(
        lms_app, lms_client, lms_auth, lms_user, lms_plugin):
    signer = lms_plugin(Signer(), name="tte-uji")
    import_course(lms_app)
    lms_auth.login(lms_user(name="Rina Marlina"))
    complete(lms_client)
    cert = only_certificate(lms_app)
    assert signer.calls == [cert.number]
    assert (cert.sign_status, cert.signed_by, cert.sign_attempts) == ("signed", "tte-uji", 1)
    assert cert.pdf_sha256 and cert.signed_sha256 and cert.pdf_sha256 != cert.signed_sha256
    download = lms_client.get(f"/me/certificates/{cert.number}.pdf").data
    assert hashlib.sha256(download).hexdigest() == cert.signed_sha256
    assert PdfReader(io.BytesIO(download)).metadata["/TTESignedBy"].startswith("Balai")
    page = lms_client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert cert.pdf_sha256 in page and cert.signed_sha256 in page and "tte-uji" in page
    with lms_app.app_context():
        assert lifecycle.sign_pending() == 0  # nothing left to sign
    assert signer.calls == [cert.number]


def test_a_failing_signer_loses_nothing_and_is_retried(lms_app, lms_client, lms_auth, lms_user, lms_plugin):
    signer = lms_plugin(Signer("fail"), name="tte-uji")
    import_course(lms_app)
    lms_auth.login(lms_user())
    complete(lms_client)
    cert = only_certificate(lms_app)
    assert cert.status == CertificateStatus.VALID and cert.pdf_sha256
    assert (cert.sign_status, cert.sign_attempts) == ("failed", 1)
    assert "unreachable" in cert.sign_error
    original = lms_client.get(f"/me/certificates/{cert.number}.pdf").data
    assert hashlib.sha256(original).hexdigest() == cert.pdf_sha256
    signer.mode = "sign"
    with lms_app.app_context():
        assert lifecycle.sign_pending() == 1
        again = db.session.get(Certificate, cert.id)
        assert (again.sign_status, again.sign_attempts, again.sign_error) == ("signed", 2, None)


@pytest.mark.lms_config(CERT_SIGN_MAX_ATTEMPTS=2)
def test_signing_gives_up_after_the_attempt_limit_and_skips_on_none(lms_app, lms_client, lms_auth, lms_user,
                                                                      lms_plugin):
    signer = lms_plugin(Signer("fail"), name="tte-uji")
    import_course(lms_app)
    lms_auth.login(lms_user())
    complete(lms_client)
    with lms_app.app_context():
        assert lifecycle.sign_pending() == 0  # second attempt, fails
        assert lifecycle.sign_pending() == 0  # limit reached: not called again
    assert len(signer.calls) == 2
    signer.mode = "skip"
    with lms_app.app_context():
        cert = db.session.scalar(select(Certificate))
        lifecycle.reset_signature(cert)
        assert lifecycle.sign_pending() == 0
        assert db.session.get(Certificate, cert.id).sign_status == "skipped"


def test_without_a_signer_nothing_is_signed_and_missing_pdfs_get_rendered(lms_app, holder):
    _learner, cert = holder
    assert cert.pdf_sha256 is None  # CERT_PRERENDER is off in tests
    with lms_app.app_context():
        assert lifecycle.sign_pending() == 0
        assert lifecycle.render_missing() == 1
        assert db.session.get(Certificate, cert.id).pdf_sha256
        assert lifecycle.render_missing() == 0


# ------------------------------------------------------------------------- bulk ZIP


@pytest.fixture
def two_units(lms_app, lms_client, lms_auth, lms_user):
    """Certificates of course SLUG for a learner of unit ALFA/ALFA-SUB and one of BETA."""
    with lms_app.app_context():
        root = orgs.create_unit(code="ROOT", name="Pemkot", kind="instansi")
        alfa = orgs.create_unit(code="ALFA", name="Alfa", kind="opd", parent=root)
        sub = orgs.create_unit(code="ALFA-SUB", name="Sub Alfa", kind="sub_unit", parent=alfa)
        beta = orgs.create_unit(code="BETA", name="Beta", kind="opd", parent=root)
        ids = {"alfa": alfa.id, "sub": sub.id, "beta": beta.id}
    import_course(lms_app)
    for name, unit in (("Ani Alfa", "sub"), ("Bayu Beta", "beta")):
        lms_auth.login(in_unit(lms_app, lms_user(name=name), ids[unit]))
        complete(lms_client)
        lms_auth.logout()
    return ids


def read_zip(response) -> tuple[list[str], list[dict]]:
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.testzip() is None
    rows = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    return archive.namelist(), rows


def test_unit_admin_downloads_the_certificates_of_their_unit_subtree(lms_app, lms_client, lms_auth,
                                                                     lms_user, two_units):
    lms_auth.login(in_unit(lms_app, lms_user("unit_admin"), two_units["alfa"]))
    assert f"/admin/units/{two_units['alfa']}/certificates.zip" in \
        lms_client.get(f"/admin/units/{two_units['alfa']}").get_data(as_text=True)
    response = lms_client.get(f"/admin/units/{two_units['alfa']}/certificates.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.is_streamed
    names, rows = read_zip(response)
    assert [r["holder_name"] for r in rows] == ["Ani Alfa"]
    pdf_name = rows[0]["file"]
    assert pdf_name in names and pdf_name.endswith("-Ani-Alfa.pdf")
    data = zipfile.ZipFile(io.BytesIO(response.data)).read(pdf_name)
    assert data.startswith(b"%PDF-") and hashlib.sha256(data).hexdigest() == rows[0]["pdf_sha256"]
    # Missing PDFs were rendered and kept: their hash is now published.
    with lms_app.app_context():
        assert db.session.scalar(select(Certificate.pdf_sha256).where(Certificate.holder_name == "Ani Alfa"))
    # Another unit is out of reach; a year without certificates gives an empty archive.
    assert lms_client.get(f"/admin/units/{two_units['beta']}/certificates.zip").status_code == 404
    year = dt.date.today().year - 1
    _names, rows = read_zip(lms_client.get(f"/admin/units/{two_units['alfa']}/certificates.zip?year={year}"))
    assert rows == []
    assert lms_client.get(f"/admin/units/{two_units['alfa']}/certificates.zip?year=dua").status_code == 400


@pytest.mark.parametrize("role, status", [("learner", 403), ("author", 403), ("anonymous", 302)])
def test_others_cannot_download_a_units_certificates(lms_app, lms_client, lms_auth, lms_user, two_units,
                                                     role, status):
    if role != "anonymous":
        lms_auth.login(in_unit(lms_app, lms_user(role), two_units["alfa"]))
    assert lms_client.get(f"/admin/units/{two_units['alfa']}/certificates.zip").status_code == status


def test_course_authors_and_admins_download_a_courses_certificates(lms_app, lms_client, lms_auth, lms_user,
                                                                   two_units):
    from lms.models import Course
    from lms.services import authoring

    author, other = lms_user("author"), lms_user("author")
    with lms_app.app_context():
        authoring.add_author(db.session.scalar(select(Course)), db.session.get(User, author.id))
    url = f"/author/courses/{SLUG}/certificates.zip"
    lms_auth.login(other)
    assert lms_client.get(url).status_code == 404
    lms_auth.logout()
    lms_auth.login(in_unit(lms_app, lms_user("unit_admin"), two_units["alfa"]))
    assert lms_client.get(url).status_code == 403
    for who in (author, lms_user("admin")):
        lms_auth.logout()
        lms_auth.login(who)
        assert url in lms_client.get(f"/author/courses/{SLUG}/").get_data(as_text=True)
        _names, rows = read_zip(lms_client.get(url))
        assert sorted(r["holder_name"] for r in rows) == ["Ani Alfa", "Bayu Beta"]


def test_revoked_certificates_are_left_out_and_the_signed_copy_is_used(lms_app, lms_client, lms_auth,
                                                                       lms_user, two_units):
    from lms.services import certificates

    admin = lms_user("admin")
    with lms_app.app_context():
        first = db.session.scalar(select(Certificate).where(Certificate.holder_name == "Bayu Beta"))
        certificates.revoke(first, db.session.get(User, admin.id), "salah data")
    lms_auth.login(admin)
    _names, rows = read_zip(lms_client.get(f"/author/courses/{SLUG}/certificates.zip"))
    assert [r["holder_name"] for r in rows] == ["Ani Alfa"]
    assert db_count(lms_app) == 2


def db_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Certificate))


def test_cron_command_runs_the_lifecycle_jobs(lms_app, lms_runner, holder):
    _learner, cert = holder
    set_expiry(lms_app, cert.number, dt.date.today() + dt.timedelta(days=3))
    result = lms_runner.invoke(args=["lms", "certificate-maintenance"])
    assert result.exit_code == 0, result.output
    assert "1 PDF(s) rendered, 0 signed, 1 expiry reminder(s) queued" in result.output
