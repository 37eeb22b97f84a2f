"""Personal access tokens: made and revoked by their owner, checked on every API call."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select

from lms.database import db
from lms.errors import ValidationFailed
from lms.i18n import N_
from lms.models import ApiToken, User

#: Every token starts with this, so leaked tokens are easy to spot (secret scanners, logs).
PREFIX = "lms_pat_"
#: Lifetimes a person may choose, in days.
LIFETIMES = (7, 30, 90, 365)
#: Active tokens one person may hold at once.
MAX_ACTIVE = 20
#: last_used_at is written at most this often per token, so reads stay reads.
TOUCH_EVERY = dt.timedelta(minutes=5)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(user: User, *, name: str, write: bool, days: int) -> tuple[ApiToken, str]:
    """Make a token; returns it with its secret, which is never stored nor shown again."""
    name = (name or "").strip()
    problems = {}
    if not name or len(name) > 100:
        problems["name"] = N_("Give the token a name of 1 to 100 characters.")
    if days not in LIFETIMES:
        problems["days"] = N_("Choose one of the offered lifetimes.")
    if len(active_of(user)) >= MAX_ACTIVE:
        problems["name"] = N_("You have too many active tokens; revoke one you no longer use.")
    if problems:
        raise ValidationFailed(problems)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=digest(secret), prefix=secret[:12],
                     scopes="read write" if write else "read",
                     expires_at=utcnow() + dt.timedelta(days=days))
    db.session.add(token)
    db.session.commit()
    return token, secret


def of_user(user: User) -> list[ApiToken]:
    """The person's tokens, newest first (revoked and expired ones too, for the record)."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.id.desc())))


def active_of(user: User) -> list[ApiToken]:
    return [token for token in of_user(user) if is_active(token)]


def is_active(token: ApiToken, now: dt.datetime | None = None) -> bool:
    return token.revoked_at is None and _aware(token.expires_at) > (now or utcnow())


def revoke(user: User, token_id: int) -> bool:
    """Revoke one of `user`'s tokens; False when it is not theirs (or does not exist)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        return False
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    return True


def revoke_all(user: User) -> int:
    """Revoke every active token of `user` (e.g. when an administrator resets the password)."""
    tokens = active_of(user)
    for token in tokens:
        token.revoked_at = utcnow()
    return len(tokens)


def authenticate(secret: str) -> ApiToken | None:
    """The active token whose secret this is, with its active owner; else None."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    now = utcnow()
    if token is None or not is_active(token, now) or not token.user.active:
        return None
    last = _aware(token.last_used_at)
    if last is None or now - last > TOUCH_EVERY:
        token.last_used_at = now
        db.session.commit()
    return token
