"""Organisation units: instansi (agency) -> OPD / unit kerja -> sub-units, as a tree."""
from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import db, str_enum

#: Digits per id in a materialised path; keeps lexical order equal to tree order.
PATH_WIDTH = 8


class UnitKind(str, enum.Enum):
    INSTANSI = "instansi"
    OPD = "opd"
    SUB_UNIT = "sub_unit"


class Unit(db.Model):
    """A node of the organisation tree; `path` makes subtree queries one indexed LIKE."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[UnitKind] = mapped_column(str_enum(UnitKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    #: "00000001/00000007/": ancestors' ids then our own; set by services.orgs.
    path: Mapped[str] = mapped_column(String(400), index=True, default="")

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent")

    @property
    def depth(self) -> int:
        """0 for an agency at the root, 1 for its OPD, and so on."""
        return max(self.path.count("/") - 1, 0)

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"
