"""Authentication hardening (issue #11): lockout with backoff, revocable sessions, session
fixation, password reset links, password policy, TOTP two-factor and cookie flags."""
from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from sqlalchemy import select

from lms.database import db
from lms.mail import sent_messages
from lms.models import AuditEntry, Notification, User
from lms.models.users import RecoveryCode
from lms.services import accounts, notifications, tokens, two_factor

FAILED = "Setelah beberapa kali gagal, akun dikunci sementara"
GENERIC = "Email/NIP atau kata sandi salah."


def _user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def _update(app, user_id: int, **values) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        for key, value in values.items():
            setattr(user, key, value)
        db.session.commit()


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _flashed_error(response) -> str:
    """The page's error message (what a person reads), without the rest of the page."""
    found = re.search(r'class="flash flash-error"[^>]*>(.*?)<', response.get_data(as_text=True), re.S)
    return found.group(1).strip() if found else ""


def _signed_in(client) -> bool:
    return client.get("/profile").status_code == 200


# -------------------------------------------------------------------------------- lockout


def test_five_failures_lock_the_account_even_for_the_right_password(lms_app, lms_auth, lms_user):
    user = lms_user()
    for _ in range(5):
        response = lms_auth.login(user.email, "salah-sekali-1")
        assert response.status_code == 401 and FAILED in response.get_data(as_text=True)
    locked = _user(lms_app, user.id)
    assert locked.failed_logins == 5 and accounts._aware(locked.locked_until) > dt.datetime.now(dt.timezone.utc)
    response = lms_auth.login(user.email, user.password)
    assert response.status_code == 401 and GENERIC in response.get_data(as_text=True)
    entry, = _audit(lms_app, "user.locked")
    assert entry.target_id == str(user.id) and entry.details["failures"] == 5 and entry.details["seconds"] == 60


def test_the_lock_doubles_with_each_further_failure_up_to_the_maximum(lms_app, lms_auth, lms_user):
    user = lms_user()
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    _update(lms_app, user.id, failed_logins=5, locked_until=past)  # the first lock has run out
    lms_auth.login(user.email, "salah-sekali-1")
    assert [e.details["seconds"] for e in _audit(lms_app, "user.locked")] == [120]
    _update(lms_app, user.id, failed_logins=40, locked_until=past)
    lms_auth.login(user.email, "salah-sekali-1")
    assert [e.details["seconds"] for e in _audit(lms_app, "user.locked")] == [120, 3600]
    with lms_app.app_context():
        assert [accounts.lockout_seconds(n) for n in (4, 5, 6, 7, 12, 13)] == [0, 60, 120, 240, 3600, 3600]


def test_a_success_resets_the_count(lms_app, lms_client, lms_auth, lms_user):
    user = lms_user()
    for _ in range(4):
        lms_auth.login(user.email, "salah-sekali-1")
    assert lms_auth.login(user.email, user.password).status_code == 302
    assert _user(lms_app, user.id).failed_logins == 0


def test_unknown_locked_and_wrong_look_identical_and_cost_one_hash(lms_app, lms_auth, lms_user, monkeypatch):
    user = lms_user()
    hashes = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda *a: hashes.append(1) or real(*a))
    answers = []
    for login, password in [("nobody@example.go.id", "salah-sekali-1"), (user.email, "salah-sekali-1")]:
        response = lms_auth.login(login, password)
        answers.append((response.status_code, _flashed_error(response)))
    _update(lms_app, user.id, failed_logins=5,
            locked_until=dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5))
    response = lms_auth.login(user.email, user.password)
    answers.append((response.status_code, _flashed_error(response)))
    assert len(set(answers)) == 1 and answers[0][0] == 401 and GENERIC in answers[0][1]
    assert len(hashes) == 3  # one password hash each: the dummy one for the unknown account


def test_admin_unlocks_and_a_password_reset_lifts_the_lock(lms_app, lms_client, lms_auth, lms_user):
    admin, user = lms_user(role="admin"), lms_user()
    lock = {"failed_logins": 7, "locked_until": dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)}
    _update(lms_app, user.id, **lock)
    lms_auth.login(admin)
    page = lms_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Buka kunci masuk" in page
    response = lms_client.submit(f"/admin/users/{user.id}/unlock", form_page=f"/admin/users/{user.id}")
    assert response.status_code == 302
    unlocked = _user(lms_app, user.id)
    assert unlocked.failed_logins == 0 and unlocked.locked_until is None
    assert [e.actor_id for e in _audit(lms_app, "user.unlocked")] == [admin.id]
    _update(lms_app, user.id, **lock)
    lms_client.submit(f"/admin/users/{user.id}/reset-password", form_page=f"/admin/users/{user.id}")
    assert _user(lms_app, user.id).locked_until is None


@pytest.mark.lms_config(LOGIN_RATE_LIMIT="3 per minute")
def test_sign_in_is_rate_limited_per_address(lms_client, lms_auth, lms_user):
    user = lms_user()
    assert lms_auth.login(user.email, "salah-sekali-1").status_code == 401  # page + post: 2 hits
    token = lms_client.csrf_token("/login")
    response = lms_client.post("/login", data={"login": user.email, "password": user.password, "csrf_token": token})
    assert response.status_code == 429 and not _signed_in(lms_client)


# ------------------------------------------------------------------------------- sessions


def test_logout_ends_every_copy_of_the_session_and_remember_cookie(lms_app, lms_auth, lms_user):
    user = lms_user()
    client = lms_app.test_client()
    client.submit("/login", {"login": user.email, "password": user.password, "remember": "y"})
    session_cookie = client.get_cookie("session").value
    remember = client.get_cookie("remember_token").value
    epoch = _user(lms_app, user.id).session_epoch
    assert remember.startswith(f"{user.id}:{epoch}|")  # the alternative id, signed
    copy, remembered = lms_app.test_client(), lms_app.test_client()
    copy.set_cookie("session", session_cookie)
    remembered.set_cookie("remember_token", remember)
    assert _signed_in(copy) and _signed_in(remembered)
    response = client.submit("/logout", form_page="/")
    assert any(h.startswith("remember_token=;") for h in response.headers.getlist("Set-Cookie"))
    assert not _signed_in(client)
    for replay in (lms_app.test_client(), lms_app.test_client()):
        replay.set_cookie("session", session_cookie)
        assert not _signed_in(replay)
        replay = lms_app.test_client()
        replay.set_cookie("remember_token", remember)
        assert not _signed_in(replay)
    assert not _signed_in(copy) and not _signed_in(remembered)


def test_a_password_change_signs_out_other_devices_but_not_this_one(lms_app, lms_user):
    user = lms_user()
    here, elsewhere = lms_app.test_client(), lms_app.test_client()
    for client in (here, elsewhere):
        client.submit("/login", {"login": user.email, "password": user.password})
    response = here.submit("/profile/password", {"current_password": user.password,
                                                 "new_password": "Sandi-Baru-2026", "confirm": "Sandi-Baru-2026"},
                           form_page="/profile")
    assert response.status_code == 302
    assert _signed_in(here) and not _signed_in(elsewhere)


def test_choosing_an_own_password_keeps_the_session(lms_app, lms_client, lms_auth, lms_user):
    user = lms_user()
    _update(lms_app, user.id, must_change_password=True)
    lms_auth.login(user)
    response = lms_client.submit("/password/new", {"new_password": "Milik-Saya-2026", "confirm": "Milik-Saya-2026"})
    assert response.status_code == 302 and _signed_in(lms_client)


def test_deactivation_ends_sessions_and_api_tokens(lms_app, lms_client, lms_auth, lms_user):
    admin, user = lms_user(role="admin"), lms_user()
    learner = lms_app.test_client()
    learner.submit("/login", {"login": user.email, "password": user.password})
    with lms_app.app_context():
        _token, secret = tokens.create(db.session.get(User, user.id), name="hr", write=False, days=30)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert learner.get("/api/v1/me", headers=bearer).status_code == 200
    epoch = _user(lms_app, user.id).session_epoch
    lms_auth.login(admin)
    lms_client.submit(f"/admin/users/{user.id}/deactivate", form_page=f"/admin/users/{user.id}")
    assert _user(lms_app, user.id).session_epoch != epoch
    assert not _signed_in(learner)
    assert lms_app.test_client().get("/api/v1/me", headers=bearer).status_code == 401


def test_the_api_session_cookie_is_revoked_the_same_way(lms_app, lms_user):
    user = lms_user()
    client, other = lms_app.test_client(), lms_app.test_client()
    client.submit("/login", {"login": user.email, "password": user.password})
    assert client.get("/api/v1/me").status_code == 200
    other.submit("/login", {"login": user.email, "password": user.password})
    other.submit("/logout", form_page="/")
    assert client.get("/api/v1/me").status_code == 401


def test_a_session_from_before_epochs_is_refused_cleanly(lms_app, lms_client, lms_auth, lms_user):
    user = lms_user()
    lms_auth.login(user)
    with lms_client.session_transaction() as session:  # what a cookie from before looked like
        session["_user_id"] = str(user.id)
    response = lms_client.get("/profile")
    assert response.status_code == 302 and "/login" in response.location
    with lms_app.app_context():
        assert accounts.load_user(str(user.id)) is None
        assert accounts.load_user(f"{user.id}:wrong") is None
        assert accounts.load_user("x:y") is None and accounts.load_user("") is None


def test_the_user_loader_is_one_primary_key_lookup(lms_app, lms_user, lms_queries):
    user = lms_user()
    epoch = _user(lms_app, user.id).session_epoch
    with lms_app.app_context():
        with lms_queries() as q:
            assert accounts.load_user(f"{user.id}:{epoch}").id == user.id
        queries = [s for s in q.statements if not s.startswith("BEGIN")]  # SQLite's transaction start
        assert len(queries) == 1 and "WHERE users.id = " in queries[0]


# ------------------------------------------------------------------------ session fixation


def test_signing_in_starts_a_new_session(lms_client, lms_user):
    user = lms_user()
    lms_client.get("/login")
    with lms_client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
        session["lang"] = "en"
        planted_csrf = session["csrf_token"]
    before = lms_client.get_cookie("session").value
    response = lms_client.submit("/login", {"login": user.email, "password": user.password})
    assert response.status_code == 302
    after = lms_client.get_cookie("session").value
    assert after != before
    with lms_client.session_transaction() as session:
        assert "planted" not in session and session["lang"] == "en"
        assert session["csrf_token"] != planted_csrf  # a new CSRF secret, made at sign-in
        assert session["_user_id"].startswith(f"{user.id}:")


# --------------------------------------------------------------------------- password reset


def _reset_link(app) -> str:
    with app.app_context():
        notifications.send_due()
    body = sent_messages(app)[-1].body
    return re.search(r"http://[^\s]+/reset/[^\s]+", body).group(0).split("127.0.0.1:5000", 1)[1]


def test_forgot_password_answers_the_same_and_mails_a_working_single_use_link(lms_app, lms_client, lms_auth, lms_user):
    user = lms_user()
    assert "Lupa kata sandi?" in lms_client.get("/login").get_data(as_text=True)
    answers = []
    for login in (user.nip, "199001012015011999"):
        response = lms_client.submit("/password/forgot", {"login": login})
        assert response.status_code == 302
        answers.append((response.location, _info(lms_client.get(response.location))))
    assert answers[0] == answers[1] and "Jika ada akun dengan email atau NIP ini" in answers[0][1]
    with lms_app.app_context():
        notes = list(db.session.scalars(select(Notification)))
        assert [(n.user_id, n.kind) for n in notes] == [(user.id, "password_reset")]
    link = _reset_link(lms_app)
    assert sent_messages(lms_app)[-1].to == user.email
    page = lms_client.get(link)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    weak = lms_client.submit(link, {"new_password": "password123", "confirm": "password123"})
    assert weak.status_code == 400 and "terlalu umum" in weak.get_data(as_text=True)
    done = lms_client.submit(link, {"new_password": "Sandi-Baru-2026", "confirm": "Sandi-Baru-2026"})
    assert done.status_code == 302 and done.location.endswith("/login")
    assert lms_client.get(link).status_code == 400  # spent
    assert lms_auth.login(user.email, user.password).status_code == 401
    assert lms_auth.login(user.email, "Sandi-Baru-2026").status_code == 302
    assert [e.target_id for e in _audit(lms_app, "user.password_reset_by_link")] == [str(user.id)]


def _info(response) -> str:
    found = re.search(r'class="flash flash-info"[^>]*>(.*?)<', response.get_data(as_text=True), re.S)
    return found.group(1).strip() if found else ""


def test_a_reset_ends_sessions_and_lifts_a_lock(lms_app, lms_client, lms_user):
    user = lms_user()
    elsewhere = lms_app.test_client()
    elsewhere.submit("/login", {"login": user.email, "password": user.password})
    _update(lms_app, user.id, failed_logins=6,
            locked_until=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
    lms_client.submit("/password/forgot", {"login": user.email})
    link = _reset_link(lms_app)
    lms_client.submit(link, {"new_password": "Sandi-Baru-2026", "confirm": "Sandi-Baru-2026"})
    assert not _signed_in(elsewhere)
    assert _user(lms_app, user.id).locked_until is None


def test_reset_links_expire_and_die_with_any_password_change(lms_app, lms_client, lms_user):
    user = lms_user()
    with lms_app.app_context():
        token = accounts.reset_token(db.session.get(User, user.id))
    assert lms_client.get(f"/reset/{token}").status_code == 200
    assert lms_client.get(f"/reset/{token}x").status_code == 400  # forged
    lms_app.config["PASSWORD_RESET_MAX_AGE"] = -1
    assert lms_client.get(f"/reset/{token}").status_code == 400  # expired
    lms_app.config["PASSWORD_RESET_MAX_AGE"] = 3600
    with lms_app.app_context():
        accounts.change_password(db.session.get(User, user.id), user.password, "Lain-Lagi-2026")
    assert lms_client.get(f"/reset/{token}").status_code == 400


def test_reset_mails_per_account_are_limited(lms_app, lms_client, lms_user):
    user = lms_user()
    for _ in range(5):
        lms_client.submit("/password/forgot", {"login": user.email})
    with lms_app.app_context():
        assert len(list(db.session.scalars(select(Notification)))) == accounts.RESET_MAILS_PER_WINDOW == 3


# --------------------------------------------------------------------------- password policy


@pytest.mark.parametrize("password, message", [
    ("Password123!", "terlalu umum"),
    ("bismillah2026", "terlalu umum"),
    ("Rahmawati-2026", "tidak boleh memuat nama"),
    ("siti.rahma-99", "email atau NIP"),
    ("x199204202019032011", "email atau NIP"),
])
def test_the_password_policy_refuses_guessable_passwords(lms_client, password, message):
    response = lms_client.submit("/register", {
        "name": "Siti Rahmawati", "email": "siti.rahma@semarangkota.go.id", "nip": "199204202019032011",
        "password": password, "confirm": password})
    assert response.status_code == 400 and message in response.get_data(as_text=True)


# ------------------------------------------------------------------------------ two-factor


def test_totp_matches_the_rfc_6238_test_vectors():
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    assert two_factor.code_at(secret, 59 // 30) == "287082"
    assert two_factor.code_at(secret, 1111111109 // 30) == "081804"
    assert two_factor.code_at(secret, 2000000000 // 30) == "279037"
    now = 1111111109
    assert two_factor.matching_step(secret, "081804", now) == now // 30
    assert two_factor.matching_step(secret, two_factor.code_at(secret, now // 30 - 1), now) == now // 30 - 1
    assert two_factor.matching_step(secret, two_factor.code_at(secret, now // 30 + 2), now) is None


def _enrol(app, client, user) -> tuple[str, list[str]]:
    """Enrol through the pages; returns the secret (read as a person would) and the codes."""
    page = client.get("/profile/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="token-secret">([A-Z2-7]+)</code>', page).group(1)
    qr = client.get("/profile/two-factor/qr.png")
    assert qr.status_code == 200 and qr.mimetype == "image/png" and qr.data.startswith(b"\x89PNG")
    wrong = client.submit("/profile/two-factor", {"code": "000000" if two_factor.code_at(
        secret, two_factor.current_step()) != "000000" else "111111"})
    assert wrong.status_code == 400
    # The step before the current one, so the sign-in right after can use the current code.
    response = client.submit("/profile/two-factor",
                             {"code": two_factor.code_at(secret, two_factor.current_step() - 1)})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def test_enrolment_shows_the_secret_once_and_keeps_it_encrypted(lms_app, lms_client, lms_auth, lms_user):
    user = lms_user()
    lms_auth.login(user)
    secret, codes = _enrol(lms_app, lms_client, user)
    stored = _user(lms_app, user.id)
    assert stored.two_factor_enabled and secret not in stored.totp_secret
    with lms_app.app_context():
        hashes = list(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert len(hashes) == 10 and not set(codes) & set(hashes)
    after = lms_client.get("/profile/two-factor").get_data(as_text=True)
    assert secret not in after and "Verifikasi dua langkah aktif" in after
    assert lms_client.get("/profile/two-factor/qr.png").status_code == 404
    assert [e.action for e in _audit(lms_app, "user.two_factor_enabled")] == ["user.two_factor_enabled"]


def _password_step(client, user):
    return client.submit("/login", {"login": user.email, "password": user.password})


def test_sign_in_asks_for_the_second_factor_and_refuses_a_reused_code(lms_app, lms_client, lms_auth, lms_user):
    user = lms_user(role="author")
    lms_auth.login(user)
    secret, _codes = _enrol(lms_app, lms_client, user)
    lms_auth.logout()
    response = _password_step(lms_client, user)
    assert response.status_code == 302 and response.location.endswith("/login/two-factor")
    assert not _signed_in(lms_client)
    assert lms_client.submit("/login/two-factor", {"code": "12345"}).status_code == 401
    code = two_factor.code_at(secret, two_factor.current_step())
    assert lms_client.submit("/login/two-factor", {"code": code}).status_code == 302
    assert _signed_in(lms_client)
    assert _user(lms_app, user.id).failed_logins == 0
    lms_auth.logout()
    _password_step(lms_client, user)
    assert lms_client.submit("/login/two-factor", {"code": code}).status_code == 401  # replayed
    assert not _signed_in(lms_client)


def test_a_recovery_code_works_once(lms_app, lms_client, lms_auth, lms_user):
    user = lms_user()
    lms_auth.login(user)
    _secret, codes = _enrol(lms_app, lms_client, user)
    lms_auth.logout()
    _password_step(lms_client, user)
    assert lms_client.submit("/login/two-factor", {"code": codes[3].upper()}).status_code == 302
    lms_auth.logout()
    _password_step(lms_client, user)
    assert lms_client.submit("/login/two-factor", {"code": codes[3]}).status_code == 401
    with lms_app.app_context():
        assert two_factor.remaining_recovery_codes(db.session.get(User, user.id)) == 9


def test_second_factor_failures_count_toward_the_lockout(lms_app, lms_client, lms_auth, lms_user):
    user = lms_user()
    lms_auth.login(user)
    secret, _codes = _enrol(lms_app, lms_client, user)
    lms_auth.logout()
    _password_step(lms_client, user)
    for _ in range(5):
        assert lms_client.submit("/login/two-factor", {"code": "abcdefghij"}).status_code == 401
    assert accounts._aware(_user(lms_app, user.id).locked_until) > dt.datetime.now(dt.timezone.utc)
    code = two_factor.code_at(secret, two_factor.current_step())
    assert lms_client.submit("/login/two-factor", {"code": code}).status_code == 401
    assert not _signed_in(lms_client)


def test_the_second_step_expires(lms_app, lms_client, lms_auth, lms_user):
    user = lms_user()
    lms_auth.login(user)
    _enrol(lms_app, lms_client, user)
    lms_auth.logout()
    _password_step(lms_client, user)
    with lms_client.session_transaction() as session:
        session["two_factor_pending"] = {**session["two_factor_pending"], "until": int(time.time()) - 1}
    response = lms_client.get("/login/two-factor")
    assert response.status_code == 302 and response.location.endswith("/login")


def test_turning_two_factor_off_needs_a_code_or_the_password(lms_app, lms_client, lms_auth, lms_user):
    user = lms_user()
    lms_auth.login(user)
    _enrol(lms_app, lms_client, user)
    lms_client.submit("/profile/two-factor/disable", {"disable-code": "", "disable-password": "salah-sekali-1"},
                      form_page="/profile/two-factor")
    assert _user(lms_app, user.id).two_factor_enabled
    lms_client.submit("/profile/two-factor/disable", {"disable-password": user.password},
                      form_page="/profile/two-factor")
    off = _user(lms_app, user.id)
    assert not off.two_factor_enabled and off.totp_secret is None


@pytest.mark.lms_config(TWO_FACTOR_REQUIRED_ROLES="admin")
def test_roles_that_require_two_factor_enrol_first(lms_app, lms_client, lms_auth, lms_user):
    admin, learner = lms_user(role="admin"), lms_user()
    lms_auth.login(learner)
    assert lms_client.get("/profile").status_code == 200  # optional for learners
    lms_auth.logout()
    lms_auth.login(admin)
    response = lms_client.get("/admin/users")
    assert response.status_code == 302 and response.location.endswith("/profile/two-factor")
    refused = lms_client.get("/api/v1/me")  # nor through the API with the session cookie
    assert refused.status_code == 403 and refused.json["error"]["code"] == "two_factor_required"
    _enrol(lms_app, lms_client, admin)
    assert lms_client.get("/admin/users").status_code == 200
    assert lms_client.get("/api/v1/me").status_code == 200


def test_an_admin_can_turn_off_someones_lost_two_factor(lms_app, lms_client, lms_auth, lms_user):
    admin, user = lms_user(role="admin"), lms_user()
    lms_auth.login(user)
    _enrol(lms_app, lms_client, user)
    lms_auth.logout()
    lms_auth.login(admin)
    lms_client.submit(f"/admin/users/{user.id}/reset-two-factor", form_page=f"/admin/users/{user.id}")
    assert not _user(lms_app, user.id).two_factor_enabled
    assert [e.actor_id for e in _audit(lms_app, "user.two_factor_disabled")] == [admin.id]


# ------------------------------------------------------------------------------- cookies


def test_production_cookies_are_secure_httponly_and_lax_with_lifetimes():
    import config

    prod = config.ProductionConfig
    assert prod.SESSION_COOKIE_SECURE and prod.SESSION_COOKIE_HTTPONLY and prod.SESSION_COOKIE_SAMESITE == "Lax"
    assert prod.REMEMBER_COOKIE_SECURE and prod.REMEMBER_COOKIE_HTTPONLY and prod.REMEMBER_COOKIE_SAMESITE == "Lax"
    assert prod.PERMANENT_SESSION_LIFETIME == dt.timedelta(hours=12)
    assert prod.REMEMBER_COOKIE_DURATION == dt.timedelta(days=14)
    assert prod.TWO_FACTOR_REQUIRED_ROLES == ["admin"] and config.TestingConfig.TWO_FACTOR_REQUIRED_ROLES == []


@pytest.mark.lms_config(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
def test_the_cookies_sent_carry_the_flags(lms_app, lms_user):
    user = lms_user()
    client = lms_app.test_client()
    response = client.submit("/login", {"login": user.email, "password": user.password, "remember": "y"},
                             base_url="https://localhost", headers={"Referer": "https://localhost/login"})
    cookies = {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}
    for name in ("session", "remember_token"):
        flags = cookies[name].lower()
        assert "secure" in flags and "httponly" in flags and "samesite=lax" in flags
    assert "expires=" in cookies["remember_token"].lower()
