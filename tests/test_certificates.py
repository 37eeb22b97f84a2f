"""E-certificates and the JP ledger, end to end: issue, PDF + QR, verify, revoke, credential."""
from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from lms.database import db
from lms.models import Certificate, CertificateEvent, JpEntry, JpStatus, User
from lms.services import orgs

PDF_EVIDENCE = b"%PDF-1.4\n% bukti pelatihan\n"


@pytest.fixture
def completed(lms_app, lms_client, lms_auth, lms_user, lms_course):
    """A learner (logged in) who completed a 3-JP course; returns (learner, certificate number)."""
    course = lms_course("bersertifikat", lessons=1, jp=3, title="Tata Naskah Dinas Elektronik")
    learner = lms_user(name="Siti Rahmawati")
    lms_auth.login(learner)
    lms_client.submit("/courses/bersertifikat/enrol", form_page="/courses/bersertifikat")
    key = course.lesson_keys[0]
    lms_client.submit(f"/learn/bersertifikat/{key}/complete", form_page=f"/learn/bersertifikat/{key}")
    with lms_app.app_context():
        return learner, db.session.scalar(select(Certificate.number))


def certificate(app, number: str) -> Certificate:
    with app.app_context():
        return db.session.scalar(select(Certificate).where(Certificate.number == number))


def as_admin(client, auth, make_user):
    auth.logout()
    auth.login(make_user("admin"))


# ------------------------------------------------------------------ issue


def test_completion_issues_exactly_one_certificate_and_credits_jp(lms_app, lms_client, completed):
    learner, number = completed
    assert re.fullmatch(r"LMS-\d{4}-\d{6}", number)
    cert = certificate(lms_app, number)
    assert len(cert.code) >= 32  # 24 random bytes: 192 bits
    assert (cert.holder_name, cert.holder_nip, cert.jp) == ("Siti Rahmawati", learner.nip, 3)
    lms_client.submit("/learn/bersertifikat/pelajaran-1/complete", form_page="/learn/bersertifikat/pelajaran-1")
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
        entry = db.session.scalar(select(JpEntry))
        assert (entry.status, entry.jp, entry.certificate_id) == (JpStatus.APPROVED, 3, cert.id)
    assert "<strong>3</strong> / 20 JP" in lms_client.get("/me").get_data(as_text=True)
    assert number in lms_client.get("/me/certificates").get_data(as_text=True)


def test_pdf_has_the_data_and_a_qr_code_to_the_verify_page(lms_app, lms_client, completed):
    _learner, number = completed
    response = lms_client.get(f"/me/certificates/{number}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    page = PdfReader(io.BytesIO(response.data)).pages[0]
    text = page.extract_text()
    assert number in text and "Siti Rahmawati" in text and "Tata Naskah Dinas Elektronik" in text
    import zxingcpp

    decoded = [r.text for img in page.images for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(img.data)))]
    assert len(decoded) == 1 and decoded[0].endswith(f"/verify/{certificate(lms_app, number).code}")
    verify = lms_client.get("/verify/" + decoded[0].rsplit("/", 1)[-1]).get_data(as_text=True)
    assert "Sertifikat sah" in verify or "Valid certificate" in verify


def test_pdf_is_rendered_once_and_its_hash_published(lms_app, lms_client, completed, monkeypatch):
    _learner, number = completed
    from lms.certificates.pdf import ClassicTemplate

    calls = []
    original = ClassicTemplate.render
    monkeypatch.setattr(ClassicTemplate, "render", lambda self, data: calls.append(1) or original(self, data))
    first = lms_client.get(f"/me/certificates/{number}.pdf").data
    second = lms_client.get(f"/me/certificates/{number}.pdf").data
    assert first == second and calls == [1]
    import hashlib

    cert = certificate(lms_app, number)
    assert cert.pdf_sha256 == hashlib.sha256(first).hexdigest()
    assert cert.pdf_sha256 in lms_client.get(f"/verify/{cert.code}").get_data(as_text=True)


@pytest.mark.lms_config(CERT_PRERENDER=True)
def test_the_pdf_is_rendered_by_a_background_job_at_issuance(lms_app, lms_client, completed):
    """With CERT_PRERENDER the job (eager in tests) stores the PDF before anyone asks."""
    from lms.storage import storage

    _learner, number = completed
    cert = certificate(lms_app, number)
    assert cert.pdf_sha256
    with lms_app.app_context():
        stored = storage().read(f"certificates/{cert.code}.pdf")
    assert lms_client.get(f"/me/certificates/{number}.pdf").data == stored


@pytest.mark.parametrize("who, status", [("anonymous", 302), ("other", 404), ("admin", 200)])
def test_only_the_holder_and_admins_download(lms_client, lms_auth, lms_user, completed, who, status):
    _learner, number = completed
    lms_auth.logout()
    if who != "anonymous":
        lms_auth.login(lms_user("learner" if who == "other" else "admin"))
    assert lms_client.get(f"/me/certificates/{number}.pdf").status_code == status
    assert lms_client.get(f"/me/certificates/{number}.json").status_code == status


# ------------------------------------------------------------------ verification


def test_verify_page_is_public_and_reveals_only_the_certificate(lms_app, lms_client, lms_auth, completed):
    learner, number = completed
    code = certificate(lms_app, number).code
    lms_auth.logout()
    page = lms_client.get(f"/verify/{code}").get_data(as_text=True)
    assert "Siti Rahmawati" in page and learner.nip in page and "Tata Naskah Dinas Elektronik" in page
    assert learner.email not in page
    missing = lms_client.get("/verify/" + "x" * 32)
    assert missing.status_code == 404 and "Tidak ada sertifikat dengan kode ini" in missing.get_data(as_text=True)


@pytest.mark.lms_config(VERIFY_RATE_LIMIT="3 per minute")
def test_verify_is_rate_limited(lms_client):
    statuses = [lms_client.get(f"/verify/kode{n}").status_code for n in range(4)]
    assert statuses == [404, 404, 404, 429]


def test_revocation_with_reason_audit_and_jp_voided(lms_app, lms_client, lms_auth, lms_user, completed, lms_events):
    learner, number = completed
    as_admin(lms_client, lms_auth, lms_user)
    page = f"/admin/certificates/{number}"
    assert lms_client.submit(page + "/revoke", {"reason": ""}, form_page=page).status_code == 302
    assert certificate(lms_app, number).status.value == "valid"  # no reason, no revocation
    lms_client.submit(page + "/revoke", {"reason": "Peserta tidak mengikuti evaluasi"}, form_page=page)
    cert = certificate(lms_app, number)
    assert (cert.status.value, cert.revoked_reason) == ("revoked", "Peserta tidak mengikuti evaluasi")
    verify = lms_client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert "Sertifikat dicabut" in verify and "Peserta tidak mengikuti evaluasi" in verify
    with lms_app.app_context():
        assert db.session.scalar(select(JpEntry.status)) == JpStatus.REJECTED
        actions = db.session.scalars(select(CertificateEvent.action).order_by(CertificateEvent.id)).all()
        assert actions == ["issued", "revoked"]
    assert lms_events.names()[-1] == "certificate_revoked"
    assert "Peserta tidak mengikuti evaluasi" in lms_client.get(page).get_data(as_text=True)


def test_reissue_replaces_the_certificate_and_keeps_the_jp(lms_app, lms_client, lms_auth, lms_user, completed):
    learner, number = completed
    with lms_app.app_context():  # the learner's name was misspelt; it is corrected first
        db.session.get(User, learner.id).name = "Siti Rahmawati, S.Kom."
        db.session.commit()
    as_admin(lms_client, lms_auth, lms_user)
    page = f"/admin/certificates/{number}"
    response = lms_client.submit(page + "/reissue", {"reason": "Gelar belum tercantum"}, form_page=page)
    new_number = response.location.rsplit("/", 1)[-1]
    old, new = certificate(lms_app, number), certificate(lms_app, new_number)
    assert (old.status.value, old.replaced_by_id) == ("revoked", new.id)
    assert (new.status.value, new.holder_name) == ("valid", "Siti Rahmawati, S.Kom.")
    assert f"/verify/{new.code}" in lms_client.get(f"/verify/{old.code}").get_data(as_text=True)
    with lms_app.app_context():
        approved = db.session.scalars(select(JpEntry).where(JpEntry.status == JpStatus.APPROVED)).all()
        assert [(e.certificate_id, e.jp) for e in approved] == [(new.id, 3)]


@pytest.mark.parametrize("role, status", [("learner", 403), ("unit_admin", 403), ("author", 403), ("admin", 200)])
def test_certificate_administration_is_for_admins(lms_client, lms_auth, lms_user, completed, role, status):
    _learner, number = completed
    lms_auth.logout()
    lms_auth.login(lms_user(role))
    assert lms_client.get("/admin/certificates").status_code == status
    assert lms_client.get(f"/admin/certificates/{number}").status_code == status


# ------------------------------------------------------------------ signed credential


def test_signed_credential_verifies_and_detects_tampering_and_revocation(lms_app, lms_client, lms_auth,
                                                                        lms_user, completed):
    _learner, number = completed
    document = lms_client.get(f"/me/certificates/{number}.json").json
    assert "OpenBadgeCredential" in document["type"] and document["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    ok = lms_client.post("/api/v1/credentials/verify", json=document).json
    assert ok["valid"] is True and ok["certificate"]["number"] == number
    tampered = json.loads(json.dumps(document))
    tampered["credentialSubject"]["achievement"]["lms:jp"] = 30
    bad = lms_client.post("/api/v1/credentials/verify", json=tampered).json
    assert bad["valid"] is False and bad["signature"]["valid"] is False and bad["certificate"] is None
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from lms.certificates.credential import sign

    forged = sign({k: v for k, v in tampered.items() if k != "proof"}, Ed25519PrivateKey.generate())
    assert lms_client.post("/api/v1/credentials/verify", json=forged).json["valid"] is False
    as_admin(lms_client, lms_auth, lms_user)
    page = f"/admin/certificates/{number}"
    lms_client.submit(page + "/revoke", {"reason": "Dicabut"}, form_page=page)
    revoked = lms_client.post("/api/v1/credentials/verify", json=document).json
    assert revoked["valid"] is False and revoked["signature"]["valid"] is True
    assert revoked["certificate"]["status"] == "revoked"
    form = lms_client.submit("/verify", {"document": json.dumps(document)}).get_data(as_text=True)
    assert "sertifikat sudah dicabut" in form.lower() or "was revoked" in form


# ------------------------------------------------------------------ JP ledger


def external(client, evidence=PDF_EVIDENCE, name="sertifikat.pdf", **fields):
    data = {"title": "Bimtek SPBE", "organiser": "Kementerian PANRB", "start_on": "2026-03-02",
            "end_on": "2026-03-04", "jp": "12", "competency": "teknis", **fields,
            "evidence": (io.BytesIO(evidence), name)}
    data["csrf_token"] = client.csrf_token("/me/jp")
    return client.post("/me/jp", data=data, content_type="multipart/form-data")


@pytest.fixture
def units(lms_app):
    with lms_app.app_context():
        root = orgs.create_unit(code="SMG", name="Pemkot Semarang", kind="instansi")
        ids = {code: orgs.create_unit(code=code, name=code, kind="opd", parent=root).id
               for code in ("DUKCAPIL", "DINKES")}
        from lms.models import Unit
        return {code: db.session.get(Unit, uid) for code, uid in ids.items()}


def test_external_training_counts_after_approval_by_the_unit_admin(lms_app, lms_client, lms_auth, lms_user, units):
    learner = lms_user(unit=units["DUKCAPIL"])
    lms_auth.login(learner)
    assert external(lms_client).status_code == 302
    assert "<strong>0</strong> / 20 JP" in lms_client.get("/me/jp?year=2026").get_data(as_text=True)
    with lms_app.app_context():
        entry_id = db.session.scalar(select(JpEntry.id))
    lms_auth.logout()
    outsider = lms_user("unit_admin", unit=units["DINKES"])
    lms_auth.login(outsider)
    assert "Bimtek SPBE" not in lms_client.get("/admin/jp").get_data(as_text=True)
    token = lms_client.csrf_token("/admin/jp")
    assert lms_client.post(f"/admin/jp/{entry_id}/approve", data={"csrf_token": token}).status_code == 404
    assert lms_client.get(f"/me/jp/{entry_id}/evidence").status_code == 404
    lms_auth.logout()
    lms_auth.login(lms_user("unit_admin", unit=units["DUKCAPIL"]))
    assert lms_client.get(f"/me/jp/{entry_id}/evidence").data == PDF_EVIDENCE
    lms_client.submit(f"/admin/jp/{entry_id}/reject", {"note": ""}, form_page="/admin/jp")
    with lms_app.app_context():
        assert db.session.scalar(select(JpEntry.status)) == JpStatus.PENDING  # a rejection needs a note
    lms_client.submit(f"/admin/jp/{entry_id}/approve", {"note": "Sesuai"}, form_page="/admin/jp")
    lms_auth.logout()
    lms_auth.login(learner)
    assert "<strong>12</strong> / 20 JP" in lms_client.get("/me/jp?year=2026").get_data(as_text=True)


@pytest.mark.parametrize("evidence, name", [(b"MZ\x90\x00 program", "sertifikat.pdf"),
                                            (b"<html><script>", "bukti.png"), (b"", "kosong.pdf")])
def test_evidence_is_checked_by_content_and_nothing_is_kept_when_refused(lms_app, lms_client, lms_auth, lms_user,
                                                                         evidence, name):
    lms_auth.login(lms_user())
    response = external(lms_client, evidence=evidence, name=name)
    assert response.status_code == 400
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(JpEntry)) == 0
    import os

    root = os.path.join(lms_app.config["STORAGE_DIR"], "evidence")
    assert not os.path.exists(root) or not any(files for _d, _s, files in os.walk(root))


def test_training_dates_and_jp_are_checked(lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user())
    assert external(lms_client, start_on="2026-03-05", end_on="2026-03-01").status_code == 400
    assert external(lms_client, jp="0").status_code == 400
    assert external(lms_client, end_on="2999-01-01").status_code == 400
