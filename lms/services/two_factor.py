"""Two-factor sign-in with TOTP (RFC 6238) and single-use recovery codes.

TOTP is built on the standard library (HMAC-SHA1, 30-second steps, 6 digits, one step of
clock drift either way). A code is accepted once: the step it matched is stored and any
step up to it is refused afterwards, with a conditional UPDATE so two simultaneous
requests cannot both use it. The secret is kept encrypted (Fernet, key from
TWO_FACTOR_ENCRYPTION_KEY or derived from SECRET_KEY) and never shown after enrolment.
Recovery codes are kept as keyed hashes (HMAC with the same key): a copy of the database
alone reveals neither.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from lms.database import db
from lms.models import User
from lms.models.users import RecoveryCode
from lms.services import audit

STEP_SECONDS = 30
DIGITS = 6
#: Steps of clock drift accepted either side of the current one.
WINDOW = 1
SECRET_BYTES = 20  # 160 bits, as RFC 4226 recommends
RECOVERY_CODES = 10
#: Recovery codes use the same easy-to-read alphabet as temporary passwords: 10 letters, ~50 bits.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10


# ----------------------------------------------------------------------------- TOTP


def new_secret() -> str:
    """A random base32 secret (no padding), as authenticator apps expect."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def _key_bytes(secret: str) -> bytes:
    padded = secret.upper() + "=" * (-len(secret) % 8)
    return base64.b32decode(padded)


def code_at(secret: str, step: int) -> str:
    """The RFC 6238 code for one 30-second step (HOTP with the step as counter)."""
    digest = hmac.new(_key_bytes(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10 ** DIGITS).zfill(DIGITS)


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The step within the window whose code this is, or None (constant-time comparisons)."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    base = current_step(now)
    found = None
    for step in range(base - WINDOW, base + WINDOW + 1):
        if hmac.compare_digest(code_at(secret, step), code):
            found = step
    return found


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    issuer = str(current_app.config.get("TWO_FACTOR_ISSUER") or "ASN LMS")
    label = quote(f"{issuer}:{user.email}")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1",
                       "digits": DIGITS, "period": STEP_SECONDS}, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"


# ------------------------------------------------------------------------ encryption


def _raw_key() -> bytes:
    configured = current_app.config.get("TWO_FACTOR_ENCRYPTION_KEY")
    material = str(configured) if configured else f"lms-two-factor:{current_app.config['SECRET_KEY']}"
    return hashlib.sha256(material.encode()).digest()


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_raw_key()))


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(stored: str) -> str | None:
    """The plain secret, or None if it was encrypted with another key (re-enrolment needed)."""
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except (InvalidToken, ValueError):
        return None


# ------------------------------------------------------------------------ enrolment


def pending_secret(user: User) -> str:
    """The secret being enrolled: made (and stored encrypted) on first call, reused after.

    So reloading the enrolment page shows the same QR code the phone may already have.
    """
    if user.two_factor_enabled:
        raise ValueError("two-factor is already enabled")
    secret = decrypt(user.totp_secret) if user.totp_secret else None
    if secret is None:
        secret = new_secret()
        user.totp_secret = encrypt(secret)
        db.session.commit()
    return secret


def confirm(user: User, code: str) -> list[str] | None:
    """Turn two-factor on if `code` matches the pending secret; returns the recovery codes
    (shown once), or None for a wrong code. Commits."""
    secret = decrypt(user.totp_secret) if user.totp_secret and not user.two_factor_enabled else None
    step = matching_step(secret, code) if secret else None
    if step is None:
        return None
    user.totp_enabled_at = dt.datetime.now(dt.timezone.utc)
    user.totp_last_step = step
    codes = _replace_recovery_codes(user)
    audit.record(user, "user.two_factor_enabled", "user", user.id, unit=user.unit, email=user.email)
    db.session.commit()
    return codes


def disable(user: User, actor: User | None = None) -> None:
    """Turn two-factor off and forget the secret and recovery codes. Commits."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(actor or user, "user.two_factor_disabled", "user", user.id, unit=user.unit,
                 email=user.email)
    db.session.commit()


def regenerate_recovery_codes(user: User) -> list[str]:
    """New recovery codes; the old ones stop working. Commits."""
    codes = _replace_recovery_codes(user)
    audit.record(user, "user.recovery_codes_regenerated", "user", user.id, unit=user.unit)
    db.session.commit()
    return codes


def remaining_recovery_codes(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode)
                             .where(RecoveryCode.user_id == user.id)) or 0


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_code_hash(user.id, code)) for code in codes)
    return codes


def _new_recovery_code() -> str:
    text = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    return f"{text[:5]}-{text[5:]}"


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _code_hash(user_id: int, code: str) -> str:
    message = f"{user_id}:{_normalise_recovery(code)}".encode()
    return hmac.new(_raw_key(), message, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------- checking


def verify(user: User, code: str, now: float | None = None) -> bool:
    """Accept a current TOTP code (each step once) or an unused recovery code (then spent).

    Commits what it consumes; a False answer changes nothing.
    """
    if not user.two_factor_enabled or not code or len(code) > 40:
        return False
    secret = decrypt(user.totp_secret) if user.totp_secret else None
    step = matching_step(secret, code, now) if secret else None
    if step is not None:
        return _claim_step(user, step)
    return _spend_recovery_code(user, code)


def _claim_step(user: User, step: int) -> bool:
    """Record `step` as used unless it (or a later one) already was: replay refused."""
    result = db.session.execute(
        update(User).where(User.id == user.id,
                           or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def _spend_recovery_code(user: User, code: str) -> bool:
    if len(_normalise_recovery(code)) != RECOVERY_LENGTH:
        return False
    result = db.session.execute(
        delete(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                   RecoveryCode.code_hash == _code_hash(user.id, code))
        .execution_options(synchronize_session=False))
    if result.rowcount == 1:
        audit.record(user, "user.recovery_code_used", "user", user.id, unit=user.unit)
    db.session.commit()
    return result.rowcount == 1


def required_for(user: User) -> bool:
    """Whether this user's role must use two-factor (TWO_FACTOR_REQUIRED_ROLES)."""
    roles = current_app.config.get("TWO_FACTOR_REQUIRED_ROLES") or []
    if isinstance(roles, str):
        roles = [part.strip() for part in roles.split(",")]
    role = getattr(user.role, "value", user.role)
    return role in {str(r).strip().lower() for r in roles if r}
