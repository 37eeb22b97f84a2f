"""Personal access tokens: how scripts (an HR export, a reporting job) call the API."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import db
from lms.models.users import User


class ApiToken(db.Model):
    """A bearer token a user made on their profile page.

    Only the SHA-256 of the secret is stored (the secret is shown once, when it is made):
    tokens are 256-bit random, so a fast hash is enough and lookups stay one index probe.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    #: Hex SHA-256 of the whole token string.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The token's first characters, shown in lists so people can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    #: Space-separated: "read" or "read write".
    scopes: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())
