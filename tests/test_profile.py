"""The learner's profile: ASN data, language, password."""
from __future__ import annotations

import pytest

from lms.database import db
from lms.errors import ValidationFailed
from lms.models import User
from lms.services import accounts, orgs


def test_profile_saves_asn_data(lms_app, lms_client, lms_auth, lms_user):
    with lms_app.app_context():
        agency = orgs.create_unit(code="smg", name="Pemerintah Kota Semarang", kind="instansi")
        opd = orgs.create_unit(code="SMG-DUKCAPIL", name="Disdukcapil", kind="opd", parent=agency)
        opd_id, agency_id = opd.id, agency.id
    user = lms_user()
    lms_auth.login(user)
    page = lms_client.get("/profile").get_data(as_text=True)
    assert "III/a - Penata Muda" in page and "\u2003Disdukcapil" in page  # indented tree
    response = lms_client.submit("/profile", {"name": "Siti R.", "golongan": "III/b",
                                              "jabatan": "Analis Kependudukan",
                                              "unit_id": str(opd_id), "locale": "id"})
    assert response.status_code == 302
    with lms_app.app_context():
        row = db.session.get(User, user.id)
        assert (row.name, row.golongan, row.jabatan, row.unit.code) == \
            ("Siti R.", "III/b", "Analis Kependudukan", "SMG-DUKCAPIL")
    # Once set, the unit is the administrators' to change: a forged post cannot move oneself.
    page = lms_client.get("/profile").get_data(as_text=True)
    assert 'name="unit_id"' not in page and "Disdukcapil" in page
    lms_client.submit("/profile", {"name": "Siti R.", "golongan": "III/b", "unit_id": str(agency_id),
                                   "locale": "id"})
    with lms_app.app_context():
        assert db.session.get(User, user.id).unit.code == "SMG-DUKCAPIL"
        with pytest.raises(ValidationFailed):
            accounts.update_profile(db.session.get(User, user.id), name="Siti", golongan=None,
                                    jabatan=None, unit_id=agency_id, locale=None)


def test_profile_rejects_unknown_choices(lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user())
    response = lms_client.submit("/profile", {"name": "X", "golongan": "V/z", "unit_id": "999",
                                              "locale": "id"})
    assert response.status_code == 400
    assert "Bukan pilihan yang valid" in response.get_data(as_text=True)


def test_change_password(lms_client, lms_auth, lms_user):
    user = lms_user()
    lms_auth.login(user)
    wrong = lms_client.submit("/profile/password", {"current_password": "nope-nope-1",
                                                    "new_password": "Baru-Sekali-9", "confirm": "Baru-Sekali-9"},
                              form_page="/profile")
    assert wrong.status_code == 400 and "Kata sandi saat ini salah" in wrong.get_data(as_text=True)
    ok = lms_client.submit("/profile/password", {"current_password": user.password,
                                                 "new_password": "Baru-Sekali-9", "confirm": "Baru-Sekali-9"},
                           form_page="/profile")
    assert ok.status_code == 302
    lms_auth.logout()
    assert lms_auth.login(user.email, "Baru-Sekali-9").status_code == 302


def test_unit_tree_paths_make_subtrees_one_query(lms_app):
    with lms_app.app_context():
        root = orgs.create_unit(code="PLG", name="Pemkot Palembang", kind="instansi")
        opd = orgs.create_unit(code="PLG-BKPSDM", name="BKPSDM", kind="opd", parent=root)
        sub = orgs.create_unit(code="PLG-BKPSDM-1", name="Bidang Diklat", kind="sub_unit", parent=opd)
        other = orgs.create_unit(code="SBG", name="Pemkot Sibolga", kind="instansi")
        assert [u.code for u in orgs.tree()] == ["PLG", "PLG-BKPSDM", "PLG-BKPSDM-1", "SBG"]
        assert sorted(orgs.subtree_ids(opd)) == sorted([opd.id, sub.id])
        assert (root.depth, opd.depth, sub.depth, other.depth) == (0, 1, 2, 0)
