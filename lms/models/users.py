"""Accounts: ASN learners, authors and administrators."""
from __future__ import annotations

import datetime as dt
import enum
import secrets

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String, event, false, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import db, str_enum
from lms.models.orgs import Unit


class Role(str, enum.Enum):
    """What a user may do; each role includes the learner's abilities."""

    LEARNER = "learner"
    AUTHOR = "author"
    UNIT_ADMIN = "unit_admin"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased so the unique index is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: 18-digit NIP; empty for accounts that are not ASN (e.g. an external author).
    nip: Mapped[str | None] = mapped_column(String(18), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.LEARNER, index=True)
    golongan: Mapped[str | None] = mapped_column(String(20))
    jabatan: Mapped[str | None] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Someone else chose the password (an admin, a CSV import): the next sign-in must replace
    #: it before any other page opens (lms.blueprints.auth.require_own_password).
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: Part of every session and remember-me cookie ("<id>:<epoch>"); replacing it ends every
    #: session of the account at once (logout, password change, deactivation). Not a secret:
    #: the cookies are signed, it only has to change.
    session_epoch: Mapped[str] = mapped_column(String(32), default=lambda: new_epoch(),
                                               server_default="0")
    #: Failed sign-ins since the last success; from LOGIN_LOCKOUT_THRESHOLD on, the account
    #: is locked until `locked_until` (kept here so every worker and server sees it).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: TOTP secret, encrypted (lms.services.two_factor); set at enrolment, in force once confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: Last 30-second step a code was accepted for: the same code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    #: The person's direct supervisor (atasan langsung): approves experiential learning and
    #: answers the follow-up survey about the person's work after a training.
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                      index=True)

    #: The position (jabatan) from the competency catalogue, beside the free-text `jabatan`:
    #: its required competencies make the person's gap (lms.services.competencies).
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id", ondelete="SET NULL"),
                                                    index=True)

    unit: Mapped[Unit | None] = relationship()
    position: Mapped["Position | None"] = relationship()  # noqa: F821
    supervisor: Mapped[User | None] = relationship(remote_side=[id], foreign_keys=[supervisor_id])

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to log in inactive users
        return self.active

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    def get_id(self) -> str:
        """Flask-Login's id for the session and remember-me cookies: "<id>:<epoch>".

        lms.services.accounts.load_user refuses a cookie whose epoch is no longer the
        account's, so bumping the epoch signs out every device with no extra query.
        """
        return f"{self.id}:{self.session_epoch}"

    def end_sessions(self) -> None:
        """Make every existing session and remember-me cookie of this account invalid."""
        self.session_epoch = new_epoch()

    def has_role(self, *roles: Role | str) -> bool:
        """Tell whether the user holds one of `roles`; admins hold every role."""
        wanted = {Role(r) for r in roles}
        return self.role == Role.ADMIN or self.role in wanted

    def __repr__(self) -> str:
        return f"<User {self.email}>"


def new_epoch() -> str:
    return secrets.token_hex(8)


@event.listens_for(User.password_hash, "set", active_history=True)
def _password_replaced(user: User, value, old, _initiator) -> None:
    """A new password (own change, reset link, admin reset, import) ends every session and
    lifts a lockout, whichever code path sets it."""
    if value != old:
        user.session_epoch = new_epoch()
        user.failed_logins = 0
        user.locked_until = None


@event.listens_for(User.active, "set", active_history=True)
def _deactivated(user: User, value, old, _initiator) -> None:
    """Deactivation ends every session at once (the loader refuses inactive users anyway)."""
    if old is True and not value:
        user.session_epoch = new_epoch()


class RecoveryCode(db.Model):
    """A single-use two-factor recovery code; only its keyed hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))


class AnonymousUser:
    """The visitor who is not logged in: holds no role, keeps the session's language."""

    is_authenticated = False
    is_active = False
    is_anonymous = True
    locale = None
    role = None
    two_factor_enabled = False

    def get_id(self) -> None:
        return None

    def has_role(self, *roles) -> bool:
        return False
