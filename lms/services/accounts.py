"""Accounts: registration, authentication, passwords and profiles."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from lms import events
from lms.asn import GOLONGAN, InvalidNIP, normalise_nip, parse_nip
from lms.database import db
from lms.errors import ValidationFailed
from lms.i18n import N_, Message
from lms.models import Role, Unit, User

#: Hash compared when no user matches, so a missing account costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="pbkdf2:sha256:1000")


def load_user(user_id: str) -> User | None:
    """Flask-Login loader: the active user with this id, or None."""
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


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


def password_problem(password: str, *, email: str = "", nip: str = "") -> str | None:
    """Return why a password is too weak (an untranslated msgid), or None."""
    if len(password) < current_app.config["PASSWORD_MIN_LENGTH"]:
        return Message(N_("Password must be at least %(n)d characters."),
                       n=current_app.config["PASSWORD_MIN_LENGTH"])
    if password.isdigit():
        return N_("Password cannot be digits only.")
    lowered = password.lower()
    if (email and lowered == email.lower()) or (nip and password == nip):
        return N_("Password cannot be your email or NIP.")
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
    if weak := password_problem(password, email=email, nip=nip or ""):
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


def authenticate(login: str, password: str) -> User | None:
    """Return the active user whose email or NIP and password match, else None."""
    login = login.strip()
    key = normalise_nip(login) if normalise_nip(login).isdigit() else login.lower()
    user = db.session.scalar(select(User).where(or_(User.email == key, User.nip == key)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = dt.datetime.now(dt.timezone.utc)
    db.session.commit()
    return user


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
    if weak := password_problem(new, email=user.email, nip=user.nip or ""):
        raise ValidationFailed({"new_password": weak})
    user.password_hash = hash_password(new)
    user.must_change_password = False
    db.session.commit()


def set_own_password(user: User, new: str) -> None:
    """Replace a password someone else chose (admin, import) with the user's own, and commit.

    No current password is asked: the user has just signed in with the temporary one.
    """
    if weak := password_problem(new, email=user.email, nip=user.nip or ""):
        raise ValidationFailed({"new_password": weak})
    if check_password_hash(user.password_hash, new):
        raise ValidationFailed({"new_password": N_("Choose a password different from the one you were given.")})
    user.password_hash = hash_password(new)
    user.must_change_password = False
    db.session.commit()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))
