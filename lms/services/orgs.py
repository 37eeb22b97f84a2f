"""Organisation units: create, move and list the tree in one indexed query."""
from __future__ import annotations

from sqlalchemy import select

from lms.database import db
from lms.errors import ValidationFailed
from lms.i18n import N_
from lms.models import Unit, UnitKind
from lms.models.orgs import PATH_WIDTH


def create_unit(*, code: str, name: str, kind: UnitKind | str, parent: Unit | None = None) -> Unit:
    """Add a unit under `parent` (None makes an agency at the root) and commit."""
    code = code.strip().upper()
    if not code or not name.strip():
        raise ValidationFailed({"code": N_("Code and name are required.")})
    if db.session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise ValidationFailed({"code": N_("A unit with this code already exists.")})
    unit = Unit(code=code, name=name.strip(), kind=UnitKind(kind), parent=parent)
    db.session.add(unit)
    db.session.flush()  # the path needs our id
    unit.path = _path_for(unit, parent)
    db.session.commit()
    return unit


def _path_for(unit: Unit, parent: Unit | None) -> str:
    return (parent.path if parent else "") + f"{unit.id:0{PATH_WIDTH}d}/"


def tree() -> list[Unit]:
    """Every unit in depth-first order (parents before their children), one query."""
    return list(db.session.scalars(select(Unit).order_by(Unit.path)))


def subtree_ids(unit: Unit) -> list[int]:
    """Ids of the unit and all its descendants, via the indexed path prefix."""
    return list(db.session.scalars(select(Unit.id).where(Unit.path.startswith(unit.path))))


def get_by_code(code: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == code.strip().upper()))
