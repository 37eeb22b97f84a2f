"""Accounts: ASN learners, authors and administrators."""
from __future__ import annotations

import datetime as dt
import enum

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, String, false, func
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

    unit: Mapped[Unit | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to log in inactive users
        return self.active

    def has_role(self, *roles: Role | str) -> bool:
        """Tell whether the user holds one of `roles`; admins hold every role."""
        wanted = {Role(r) for r in roles}
        return self.role == Role.ADMIN or self.role in wanted

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class AnonymousUser:
    """The visitor who is not logged in: holds no role, keeps the session's language."""

    is_authenticated = False
    is_active = False
    is_anonymous = True
    locale = None
    role = None

    def get_id(self) -> None:
        return None

    def has_role(self, *roles) -> bool:
        return False
