"""Accounts: registration, authentication, passwords and profiles."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from lms import events
from lms.asn import GOLONGAN, InvalidNIP, normalise_nip, parse_nip
from lms.database import db
from lms.errors import ValidationFailed
from lms.i18n import N_, Message
from lms.models import Notification, Role, Unit, User
from lms.services import audit
from lms.services.common_passwords import WORDS as COMMON_PASSWORDS

log = logging.getLogger(__name__)

#: Hash compared when no user matches, so a missing account costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="pbkdf2:sha256:1000")


def load_user(user_id: str) -> User | None:
    """Flask-Login loader for "<id>:<epoch>" (User.get_id): the active user, or None.

    On every request's path, so exactly one primary-key lookup. A cookie whose epoch the
    account no longer has (logout, password change, deactivation) is refused, and so is a
    plain "<id>" from before epochs existed: that person simply signs in again.
    """
    key, sep, epoch = user_id.partition(":")
    if not sep or not key.isdigit() or not epoch:
        return None
    user = db.session.get(User, int(key))
    if user is None or not user.active:
        return None
    return user if hmac.compare_digest(user.session_epoch.encode(), epoch.encode()) else None


def hash_password(password: str) -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD")
    return generate_password_hash(password, method=method) if method else generate_password_hash(password)


#: Letters and digits nobody confuses when reading a password aloud or off paper (no 0/o, 1/l/i).
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
#: 16 characters of a 31-letter alphabet: 79 bits of randomness, typed as xxxx-xxxx-xxxx-xxxx.
TEMPORARY_LENGTH = 16
#: PBKDF2 rounds for generated temporary passwords only. A slow KDF protects passwords people choose
#: (guessable); a 79-bit random secret cannot be guessed even at billions of tries per second,
#: so a cheap salted PBKDF2 is as safe here and lets a CSV import hash 10,000 of them in well
#: under a second instead of the many minutes scrypt would take. The person must replace it
#: at first sign-in, and their own password gets the slow default hash (hash_password).
TEMPORARY_HASH_ITERATIONS = 100
#: Bytes at or above this are skipped so every letter is equally likely (no modulo bias).
_UNBIASED_LIMIT = 256 - 256 % len(TEMPORARY_ALPHABET)


def generate_temporary_password() -> str:
    """A random password to hand to a person once, grouped in fours so it is easy to type.

    Drawn from os.urandom bytes by rejection sampling: as strong as secrets.choice and
    fast enough for 10,000 accounts in one import.
    """
    chars: list[str] = []
    while len(chars) < TEMPORARY_LENGTH:
        chars += [TEMPORARY_ALPHABET[b % len(TEMPORARY_ALPHABET)]
                  for b in secrets.token_bytes(TEMPORARY_LENGTH + 4) if b < _UNBIASED_LIMIT]
    text = "".join(chars[:TEMPORARY_LENGTH])
    return "-".join(text[i:i + 4] for i in range(0, TEMPORARY_LENGTH, 4))


def hash_temporary_password(password: str) -> str:
    """Hash a password from generate_temporary_password (cheap on purpose, see above).

    Werkzeug's "pbkdf2:sha256:N$salt$hex" format, so check_password_hash verifies it; built
    here with a random hex salt because werkzeug's salt generator costs more than the hash.
    """
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), TEMPORARY_HASH_ITERATIONS)
    return f"pbkdf2:sha256:{TEMPORARY_HASH_ITERATIONS}${salt}${digest.hex()}"


#: Name parts and e-mail local parts shorter than this are too common to refuse (e.g. "Siti").
_PERSONAL_MIN = 4


def password_problem(password: str, *, email: str = "", nip: str = "", name: str = "") -> str | None:
    """Return why a password is too weak (an untranslated msgid), or None.

    Refused: shorter than PASSWORD_MIN_LENGTH, digits only, containing the person's email
    (or its part before @), NIP or a part of their name, or one of the common passwords
    attackers try first (also with digits or symbols added at the end).
    """
    if len(password) < current_app.config["PASSWORD_MIN_LENGTH"]:
        return Message(N_("Password must be at least %(n)d characters."),
                       n=current_app.config["PASSWORD_MIN_LENGTH"])
    if password.isdigit():
        return N_("Password cannot be digits only.")
    lowered = password.lower()
    local = email.lower().partition("@")[0]
    if (email and email.lower() in lowered) or (len(local) >= _PERSONAL_MIN and local in lowered) \
            or (nip and nip in password):
        return N_("Password cannot be your email or NIP.")
    if any(len(part) >= _PERSONAL_MIN and part in lowered for part in re.split(r"[\W_]+", name.lower())):
        return N_("Password cannot contain your name.")
    if lowered in COMMON_PASSWORDS or lowered.rstrip("0123456789!@#$%^&*.,-_+=?~ ") in COMMON_PASSWORDS:
        return N_("This password is too common; choose one that is harder to guess.")
    return None


def register_user(*, name: str, email: str, password: str, nip: str | None = None,
                  role: Role = Role.LEARNER, unit: Unit | None = None,
                  golongan: str | None = None, jabatan: str | None = None) -> User:
    """Create an account after checking every rule; fires user_registered after commit."""
    email = email.strip().lower()
    nip = normalise_nip(nip) if nip else None
    problems = _registration_problems(name, email, password, nip)
    if problems:
        raise ValidationFailed(problems)
    user = User(name=name.strip(), email=email, nip=nip, role=role, unit=unit,
                golongan=golongan or None, jabatan=(jabatan or "").strip() or None,
                password_hash=hash_password(password))
    db.session.add(user)
    events.enqueue("user_registered", user=user)
    try:
        events.commit()
    except IntegrityError:  # a concurrent registration took the email or NIP first
        db.session.rollback()
        raise ValidationFailed({"email": N_("An account with this email or NIP already exists.")}) from None
    return user


def _registration_problems(name: str, email: str, password: str, nip: str | None) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not name.strip():
        problems["name"] = N_("Name is required.")
    if nip:
        try:
            parse_nip(nip)
        except InvalidNIP as exc:
            problems["nip"] = exc.message
    if weak := password_problem(password, email=email, nip=nip or "", name=name):
        problems["password"] = weak
    taken = db.session.execute(
        select(User.email, User.nip).where(or_(User.email == email, User.nip == nip) if nip
                                           else User.email == email)
    ).all()
    if any(row.email == email for row in taken):
        problems["email"] = N_("An account with this email already exists.")
    if nip and any(row.nip == nip for row in taken):
        problems["nip"] = N_("An account with this NIP already exists.")
    return problems


def find_by_login(login: str) -> User | None:
    """The account whose email or NIP this is (NIP spaces ignored, email in any case)."""
    login = login.strip()
    key = normalise_nip(login) if normalise_nip(login).isdigit() else login.lower()
    return db.session.scalar(select(User).where(or_(User.email == key, User.nip == key)))


def authenticate(login: str, password: str) -> User | None:
    """Return the active, unlocked user whose email or NIP and password match, else None.

    Every refusal looks the same to the caller (unknown, wrong password, locked,
    deactivated) and costs one password hash, so neither the answer nor its timing tells
    whether the account exists. A wrong password counts toward the lockout. The failure
    count is reset here only when no second factor follows (else: login_succeeded).
    """
    user = find_by_login(login)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    matches = check_password_hash(user.password_hash, password)
    if is_locked(user) or not user.active:
        return None
    if not matches:
        record_failure(user)
        return None
    if not user.two_factor_enabled:
        login_succeeded(user)
    return user


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite returns naive UTC
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment


def is_locked(user: User, now: dt.datetime | None = None) -> bool:
    until = _aware(user.locked_until)
    return until is not None and until > (now or dt.datetime.now(dt.timezone.utc))


def lockout_seconds(failures: int) -> int:
    """Lock length after `failures` failures: 0 below the threshold, then BASE doubling to MAX."""
    config = current_app.config
    over = failures - int(config["LOGIN_LOCKOUT_THRESHOLD"])
    if over < 0:
        return 0
    return min(int(config["LOGIN_LOCKOUT_BASE_SECONDS"]) * 2 ** min(over, 30),
               int(config["LOGIN_LOCKOUT_MAX_SECONDS"]))


def record_failure(user: User) -> None:
    """Count a failed sign-in (password or second factor) and lock the account when due.

    The count is incremented in the database (UPDATE ... RETURNING), so simultaneous
    attempts on several workers all count. Commits.
    """
    failures = db.session.execute(
        update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins).execution_options(synchronize_session=False)).scalar_one()
    seconds = lockout_seconds(failures)
    if seconds:
        until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)
        db.session.execute(update(User).where(User.id == user.id).values(locked_until=until)
                           .execution_options(synchronize_session=False))
        audit.record(None, "user.locked", "user", user.id, unit=user.unit, email=user.email,
                     failures=failures, seconds=seconds)
        log.warning("account %s locked for %ss after %s failed sign-ins", user.id, seconds, failures)
    db.session.commit()


def login_succeeded(user: User) -> None:
    """Forget earlier failures and note the sign-in time. Commits."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = dt.datetime.now(dt.timezone.utc)
    db.session.commit()


def unlock(actor: User, user: User) -> None:
    """An administrator lifts a lockout (the person proved who they are another way). Commits."""
    user.failed_logins = 0
    user.locked_until = None
    audit.record(actor, "user.unlocked", "user", user.id, unit=user.unit, email=user.email)
    db.session.commit()


def end_sessions(user: User) -> None:
    """Sign the account out everywhere: every session and remember-me cookie stops working."""
    user.end_sessions()
    db.session.commit()


# ------------------------------------------------------------------- password reset

#: Salt of reset links, so no other signed value of the app can pass for one.
RESET_SALT = "lms-password-reset"
PASSWORD_RESET = "password_reset"
#: Reset mails one account receives per RESET_WINDOW at most (no mail-bombing someone).
RESET_MAILS_PER_WINDOW = 3
RESET_WINDOW = dt.timedelta(hours=1)


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _reset_fingerprint(user: User) -> str:
    """Changes with the password and the session epoch: a used link (or any password change,
    or signing out everywhere) kills every link sent before."""
    return hashlib.sha256(f"{user.password_hash}:{user.session_epoch}".encode()).hexdigest()[:32]


def reset_token(user: User) -> str:
    return _reset_serializer().dumps({"u": user.id, "f": _reset_fingerprint(user)})


def user_for_reset_token(token: str) -> User | None:
    """The active account a reset link is for, or None when it is forged, expired or spent."""
    try:
        data = _reset_serializer().loads(token, max_age=int(current_app.config["PASSWORD_RESET_MAX_AGE"]))
    except BadSignature:  # SignatureExpired is a BadSignature too
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.session.get(User, data["u"])
    if user is None or not user.active:
        return None
    return user if hmac.compare_digest(_reset_fingerprint(user), str(data.get("f"))) else None


def request_password_reset(login: str) -> bool:
    """Queue a reset link for the account with this email or NIP; True if one was queued.

    The caller answers the same either way. Commits; the outbox sends it in the background.
    """
    from lms.services import notifications

    user = find_by_login(login) if login and len(login) <= 254 else None
    if user is None or not user.active or not user.email or _recent_reset_mails(user) >= RESET_MAILS_PER_WINDOW:
        return False
    link = notifications._site_url(f"/reset/{reset_token(user)}")
    minutes = int(current_app.config["PASSWORD_RESET_MAX_AGE"]) // 60
    params = {"name": user.name, "url": link, "minutes": minutes}
    notifications.queue(user, PASSWORD_RESET, (N_("Reset your password"), {}), [
        (N_("Hello %(name)s,"), params),
        (N_("Someone (hopefully you) asked to reset the password of your account. Choose a new "
            "password here within %(minutes)s minutes: %(url)s"), params),
        (N_("If you did not ask for this, ignore this message: your password stays as it is."), params),
    ])
    db.session.commit()
    notifications.kick()
    return True


def _recent_reset_mails(user: User) -> int:
    since = dt.datetime.now(dt.timezone.utc) - RESET_WINDOW
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.kind == PASSWORD_RESET,
        Notification.created_at >= since)) or 0


def reset_password(user: User, new: str) -> None:
    """Set the password chosen through a reset link. Ends every session, lifts a lockout
    (User.password_hash event) and thereby spends the link. Commits."""
    if weak := password_problem(new, email=user.email, nip=user.nip or "", name=user.name):
        raise ValidationFailed({"new_password": weak})
    user.password_hash = hash_password(new)
    user.must_change_password = False
    audit.record(user, "user.password_reset_by_link", "user", user.id, unit=user.unit, email=user.email)
    db.session.commit()


def update_profile(user: User, *, name: str, golongan: str | None, jabatan: str | None,
                   unit_id: int | None, locale: str | None) -> None:
    """Save the fields a learner may edit about themself.

    The unit is theirs to pick only while they have none (right after registering): after
    that it decides which unit admins manage them and whose JP report counts them, so only
    administrators move people between units (/admin/units).
    """
    if user.unit_id is not None and unit_id != user.unit_id:
        raise ValidationFailed({"unit_id": N_("Your unit is managed by your administrators; ask them to move you.")})
    if golongan and golongan not in GOLONGAN:
        raise ValidationFailed({"golongan": N_("Unknown golongan.")})
    if unit_id is not None and db.session.get(Unit, unit_id) is None:
        raise ValidationFailed({"unit_id": N_("Unknown unit.")})
    user.name = name.strip()
    user.golongan = golongan or None
    user.jabatan = (jabatan or "").strip() or None
    user.unit_id = unit_id
    user.locale = locale or None
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one and the policy."""
    if not check_password_hash(user.password_hash, current):
        raise ValidationFailed({"current_password": N_("Current password is wrong.")})
    if weak := password_problem(new, email=user.email, nip=user.nip or "", name=user.name):
        raise ValidationFailed({"new_password": weak})
    user.password_hash = hash_password(new)  # ends every session (User.password_hash event)
    user.must_change_password = False
    db.session.commit()


def set_own_password(user: User, new: str) -> None:
    """Replace a password someone else chose (admin, import) with the user's own, and commit.

    No current password is asked: the user has just signed in with the temporary one.
    """
    if weak := password_problem(new, email=user.email, nip=user.nip or "", name=user.name):
        raise ValidationFailed({"new_password": weak})
    if check_password_hash(user.password_hash, new):
        raise ValidationFailed({"new_password": N_("Choose a password different from the one you were given.")})
    user.password_hash = hash_password(new)
    user.must_change_password = False
    db.session.commit()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))
