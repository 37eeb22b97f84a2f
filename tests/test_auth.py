"""Registration, login and logout through the real forms, CSRF included."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.database import db
from lms.models import Role, User

VALID = {"name": "Siti Rahmawati", "email": "Siti@Semarangkota.go.id",
         "nip": "19920420 201903 2 011", "password": "Belajar-ASN-2026", "confirm": "Belajar-ASN-2026"}


def register(client, **changes):
    return client.submit("/register", {**VALID, **changes})


def test_register_creates_a_learner_and_logs_in(lms_app, lms_client, lms_events):
    response = register(lms_client)
    assert response.status_code == 302 and response.location.endswith("/profile")
    with lms_app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "siti@semarangkota.go.id"  # stored lower-cased
        assert user.nip == "199204202019032011"  # spaces dropped
        assert user.role == Role.LEARNER and user.password_hash != VALID["password"]
    assert lms_client.get("/profile").status_code == 200
    assert lms_events.names() == ["user_registered"]
    assert lms_events.calls[0][1]["user"]["email"] == "siti@semarangkota.go.id"


@pytest.mark.parametrize("nip, message", [
    ("1234", "18 digit"),
    ("199213402019032011", "Tanggal lahir"),
    ("199204202019033011", "Digit jenis kelamin"),
])
def test_register_rejects_invalid_nip_with_a_clear_message(lms_app, lms_client, nip, message):
    response = register(lms_client, nip=nip)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with lms_app.app_context():
        assert db.session.scalar(select(User)) is None


def test_register_rejects_duplicate_email_case_insensitively(lms_client, lms_user):
    lms_user(email="siti@semarangkota.go.id")
    response = register(lms_client, email="SITI@semarangkota.go.id")
    assert response.status_code == 400
    assert "Akun dengan email ini sudah ada" in response.get_data(as_text=True)


def test_register_rejects_duplicate_nip(lms_client, lms_user):
    lms_user(nip="199204202019032011")
    response = register(lms_client)
    assert response.status_code == 400
    assert "Akun dengan NIP ini sudah ada" in response.get_data(as_text=True)


@pytest.mark.parametrize("password, confirm, message", [
    ("short1", "short1", "minimal 8 karakter"),
    ("1234567890", "1234567890", "tidak boleh hanya angka"),
    ("Belajar-ASN-2026", "Belajar-ASN-2027", "tidak sama"),
])
def test_register_enforces_the_password_policy(lms_client, password, confirm, message):
    response = register(lms_client, password=password, confirm=confirm)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_registration_can_be_switched_off(lms_app, lms_client):
    lms_app.config["ALLOW_REGISTRATION"] = False
    assert lms_client.get("/register").status_code == 404
    assert "/register" not in lms_client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize("field", ["email", "nip"])
def test_login_with_email_or_nip(lms_client, lms_auth, lms_user, field):
    user = lms_user()
    response = lms_auth.login(getattr(user, field).upper(), user.password)
    assert response.status_code == 302
    assert lms_client.get("/profile").status_code == 200


def test_login_with_wrong_password_is_refused(lms_client, lms_auth, lms_user):
    user = lms_user()
    response = lms_auth.login(user.email, "wrong-password-1")
    assert response.status_code == 401
    assert "Email/NIP atau kata sandi salah" in response.get_data(as_text=True)
    assert lms_client.get("/profile").status_code == 302


def test_unknown_account_gets_the_same_answer(lms_auth):
    response = lms_auth.login("nobody@example.go.id", "whatever-1")
    assert response.status_code == 401


def test_deactivated_user_cannot_log_in(lms_app, lms_auth, lms_user):
    user = lms_user()
    with lms_app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert lms_auth.login(user).status_code == 401


def test_login_redirects_only_within_the_site(lms_client, lms_user):
    user = lms_user()
    data = {"login": user.email, "password": user.password}
    inside = lms_client.submit("/login?next=/profile", data, form_page="/login")
    assert inside.location == "/profile"
    lms_client.submit("/logout", form_page="/")
    outside = lms_client.submit("/login?next=https://evil.example/x", data, form_page="/login")
    assert outside.location == "/"


def test_logout_ends_the_session(lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user())
    assert lms_auth.logout().status_code == 302
    assert lms_client.get("/profile").status_code == 302


def test_logout_is_post_only(lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user())
    assert lms_client.get("/logout").status_code == 405


@pytest.mark.parametrize("url", ["/login", "/register", "/logout", "/profile",
                                 "/profile/password", "/language"])
def test_every_form_requires_a_csrf_token(lms_client, lms_auth, lms_user, url):
    lms_auth.login(lms_user())
    response = lms_client.post(url, data={"lang": "en", "login": "x", "password": "y"})
    assert response.status_code == 400
    assert "Formulir Anda kedaluwarsa" in response.get_data(as_text=True)


def test_pages_require_login(lms_client):
    response = lms_client.get("/profile")
    assert response.status_code == 302 and "/login?next=" in response.location


def test_roles_include_the_learners_abilities(lms_app, lms_user):
    admin, author = lms_user("admin"), lms_user("author")
    with lms_app.app_context():
        admin_row, author_row = db.session.get(User, admin.id), db.session.get(User, author.id)
        assert admin_row.has_role("author", "unit_admin")
        assert author_row.has_role("author") and not author_row.has_role("admin")
        assert not author_row.has_role(Role.UNIT_ADMIN)


def test_create_admin_command(lms_app, lms_runner):
    result = lms_runner.invoke(args=["lms", "create-admin", "--email", "Kepala@bkpsdm.go.id",
                                     "--name", "Kepala BKPSDM", "--password", "Rahasia-Admin-1"])
    assert result.exit_code == 0, result.output
    with lms_app.app_context():
        user = db.session.scalar(select(User))
        assert user.role == Role.ADMIN and user.email == "kepala@bkpsdm.go.id"


def test_create_admin_fails_with_one_readable_line(lms_runner, lms_user):
    lms_user(email="ada@bkpsdm.go.id")
    result = lms_runner.invoke(args=["lms", "create-admin", "--email", "ada@bkpsdm.go.id",
                                     "--name", "X", "--password", "Rahasia-Admin-1"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["Error: email: Akun dengan email ini sudah ada."]
