"""Organisation units: create, rename, move and list the tree in one indexed query.

Each unit stores its materialised path (ancestors' ids then its own), so a subtree is one
indexed prefix match and moving a subtree is one UPDATE. Functions given an ``actor`` write
an audit entry in the same transaction (admin pages); without one (demo seed, tests) they
do not.
"""
from __future__ import annotations

import re

from sqlalchemy import String, case, func, literal, select, update

from lms.database import db
from lms.errors import ValidationFailed
from lms.i18n import N_
from lms.models import Unit, UnitKind, User
from lms.models.orgs import PATH_WIDTH

#: Codes are what CSV files and reports name units by: short, upper case, no spaces.
CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")
#: Longest path the column holds (a tree about 44 levels deep).
MAX_PATH = 400


def create_unit(*, code: str, name: str, kind: UnitKind | str, parent: Unit | None = None,
                actor: User | None = None) -> Unit:
    """Add a unit under `parent` (None makes an agency at the root) and commit."""
    code, name = code.strip().upper(), name.strip()
    problems = _new_unit_problems(code, name, kind, parent)
    if problems:
        raise ValidationFailed(problems)
    unit = Unit(code=code, name=name, kind=UnitKind(kind), parent=parent)
    db.session.add(unit)
    db.session.flush()  # the path needs our id
    unit.path = _path_for(unit, parent)
    if actor is not None:
        _audit(actor, "unit.created", unit, name=name, kind=unit.kind.value,
               parent=parent.code if parent else "")
    db.session.commit()
    return unit


def _new_unit_problems(code: str, name: str, kind, parent: Unit | None) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not code or not name:
        problems["code" if not code else "name"] = N_("Code and name are required.")
    elif not CODE_PATTERN.match(code):
        problems["code"] = N_("A code has up to 40 letters, digits, dots, dashes or underscores.")
    elif db.session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        problems["code"] = N_("A unit with this code already exists.")
    if len(name) > 200:
        problems["name"] = N_("The name is too long (200 characters at most).")
    try:
        kind = UnitKind(kind)
    except ValueError:
        problems["kind"] = N_("Unknown kind of unit.")
        return problems
    if (parent is None) != (kind == UnitKind.INSTANSI):
        problems["kind"] = N_("An agency (instansi) sits at the top of the tree; every other unit "
                              "sits under a parent unit.")
    return problems


def _path_for(unit: Unit, parent: Unit | None) -> str:
    return (parent.path if parent else "") + f"{unit.id:0{PATH_WIDTH}d}/"


def rename_unit(unit: Unit, name: str, *, actor: User | None = None) -> None:
    """Give the unit a new name (its code stays: files and reports refer to it) and commit."""
    name = name.strip()
    if not name:
        raise ValidationFailed({"name": N_("Code and name are required.")})
    if len(name) > 200:
        raise ValidationFailed({"name": N_("The name is too long (200 characters at most).")})
    old = unit.name
    unit.name = name
    if actor is not None and old != name:
        _audit(actor, "unit.renamed", unit, old=old, new=name)
    db.session.commit()


def move_unit(unit: Unit, new_parent: Unit, *, actor: User | None = None) -> None:
    """Put `unit` and its whole subtree under `new_parent` and commit.

    The paths of the subtree (and the unit's parent_id) change in one UPDATE, so readers
    never see half a move. Refused: agencies (they stay at the root), a move under the unit
    itself or one of its descendants (that would cut the subtree off the tree).
    """
    if unit.parent_id is None:
        raise ValidationFailed({"parent_id": N_("An agency (instansi) stays at the top of the tree.")})
    if new_parent.path.startswith(unit.path):
        raise ValidationFailed({"parent_id": N_("A unit cannot move under itself or one of its sub-units.")})
    if new_parent.id == unit.parent_id:
        return
    old_path, new_path = unit.path, _path_for(unit, new_parent)
    deepest = db.session.scalar(select(func.max(func.length(Unit.path)))
                                .where(Unit.path.startswith(old_path)))
    if deepest - len(old_path) + len(new_path) > MAX_PATH:
        raise ValidationFailed({"parent_id": N_("The tree would become too deep.")})
    old_parent_code = unit.parent.code
    db.session.execute(
        update(Unit).where(Unit.path.startswith(old_path)).values(
            path=literal(new_path, String) + func.substr(Unit.path, len(old_path) + 1, type_=String),
            parent_id=case((Unit.id == unit.id, new_parent.id), else_=Unit.parent_id))
        .execution_options(synchronize_session="fetch"))
    db.session.refresh(unit)
    if actor is not None:
        _audit(actor, "unit.moved", unit, old_parent=old_parent_code, new_parent=new_parent.code)
    db.session.commit()


def _audit(actor: User, action: str, unit: Unit, **details) -> None:
    from lms.services import audit  # audit reads pages through courses; import late

    audit.record(actor, action, "unit", unit.code, unit=unit, **details)


def tree() -> list[Unit]:
    """Every unit in depth-first order (parents before their children), one query."""
    return list(db.session.scalars(select(Unit).order_by(Unit.path)))


def subtree(unit: Unit) -> list[Unit]:
    """The unit and its descendants in depth-first order, one indexed query."""
    return list(db.session.scalars(select(Unit).where(Unit.path.startswith(unit.path))
                                   .order_by(Unit.path)))


def subtree_ids(unit: Unit) -> list[int]:
    """Ids of the unit and all its descendants, via the indexed path prefix."""
    return list(db.session.scalars(select(Unit.id).where(Unit.path.startswith(unit.path))))


def is_within(unit: Unit | None, root: Unit | None) -> bool:
    """Tell whether `unit` is `root` or one of its descendants (None is inside nothing)."""
    return unit is not None and root is not None and unit.path.startswith(root.path)


def get_by_code(code: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == code.strip().upper()))


def by_code() -> dict[str, Unit]:
    """Every unit keyed by code, in one query (CSV imports look codes up row by row)."""
    return {unit.code: unit for unit in db.session.scalars(select(Unit))}


def get(unit_id: int | None) -> Unit | None:
    return db.session.get(Unit, unit_id) if unit_id is not None else None
