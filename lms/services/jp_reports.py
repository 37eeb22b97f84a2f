"""JP compliance: how many ASN of a unit subtree reached the yearly JP target.

The rules (docs/reports.md):

* **Who is counted** ("ASN"): every *active* account with a NIP, whatever its role (an admin
  with a NIP has the same obligation), in the unit or any of its sub-units. Accounts without
  a NIP (an external author) are not civil servants; deactivated accounts have left the
  service. The whole-agency report also counts ASN not yet placed in a unit.
* **JP of the year**: the sum of the person's *approved* JP entries whose ``year`` is the
  report's year, exactly as the learner's dashboard computes it (services.dashboard).
  Pending and rejected entries never count.
* **Reached**: JP of the year >= ``JP_TARGET`` (20 by default).

Everything is aggregated by the database. Per-person totals are read from jp_year_totals
(the approved JP per person and year, kept by the ledger: lms.models.jp_totals) left-joined
to the ASN of the subtree, so no statement aggregates the year's entries; the summary,
distribution, per-sub-unit and per-competency figures are one outer GROUP BY over those
totals that returns a few hundred rows; the people table is the same per-person query
ordered and paginated. The number of queries does not depend on the number of people, and
no Python loop ever walks the people for a total.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, func, select, true

from lms.database import db
from lms.errors import LmsError
from lms.models import Competency, JpYearTotal, Role, Unit, User, jp_totals
from lms.services import orgs
from lms.services.courses import Page

#: JP buckets of the distribution: (lowest, highest or None for "and more").
BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 0), (1, 9), (10, 19), (20, 39), (40, None))
#: People-table orders: ``jp`` (fewest JP first: who needs help), ``-jp``, ``name``, ``unit``.
SORTS = ("jp", "-jp", "name", "unit")
PER_PAGE = 50
#: Digits and slash of one level of a unit path (orgs.PATH_WIDTH + 1).
_LEVEL = 9
FIRST_YEAR, LAST_YEAR = 2000, 2100


class ReportError(LmsError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class UnitNotFound(ReportError):
    """?unit=CODE names no unit."""


class OutOfScope(ReportError):
    """The viewer may not see this unit (a unit admin asking outside their subtree)."""


def current_year() -> int:
    """The year in the agency's time zone (a report opened on 1 January at 06:00 WIB is the new year)."""
    return dt.datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).year


# --------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """Whose people a report counts: a unit's subtree, or (unit None) the whole agency."""

    unit: Unit | None

    @property
    def prefix(self) -> str:
        return self.unit.path if self.unit is not None else ""

    @property
    def code(self) -> str | None:
        return self.unit.code if self.unit is not None else None

    def condition(self):
        """SQL filter on ``User`` that keeps the people of the subtree.

        Written as ``unit_id IN (units whose path starts with the prefix)`` rather than a
        filter on a joined Unit: both databases then read the few units first and reach the
        users through ix_users_unit_id, instead of scanning every user (EXPLAIN, bench/).
        """
        if self.unit is None:
            return true()
        return User.unit_id.in_(select(Unit.id).where(Unit.path.startswith(self.prefix)))


def can_see(viewer: User, unit: Unit) -> bool:
    """Admins see every unit; unit admins their own unit and its sub-units."""
    if viewer.role == Role.ADMIN:
        return True
    return (viewer.role == Role.UNIT_ADMIN and viewer.unit is not None
            and unit.path.startswith(viewer.unit.path))


def scope_for(viewer: User, code: str | None) -> Scope:
    """The scope ``?unit=CODE`` asks for, checked against the viewer's rights.

    Without a code an admin gets the whole agency and a unit admin their own unit.
    """
    if code and code.strip():
        unit = orgs.get_by_code(code)
        if unit is None:
            raise UnitNotFound(_l("Unknown unit: %(code)s", code=code.strip().upper()))
        if not can_see(viewer, unit):
            raise OutOfScope(_l("You cannot see reports of this unit."))
        return Scope(unit)
    if viewer.role == Role.ADMIN:
        return Scope(None)
    if viewer.role != Role.UNIT_ADMIN or viewer.unit is None:
        raise OutOfScope(_l("You cannot see reports of this unit."))
    return Scope(viewer.unit)


def asn_condition():
    """Who has the JP obligation: active accounts with a NIP (see the module docstring)."""
    return and_(User.active.is_(True), User.nip.is_not(None), User.nip != "")


# ------------------------------------------------------------------- per person


def scope_people(scope: Scope) -> Select:
    """Ids of the ASN in scope (for ``IN`` filters)."""
    return select(User.id).where(asn_condition(), scope.condition())


#: Competency kinds reported per person; any other value is summed as "" (unspecified).
KINDS = tuple(c.value for c in Competency)
if set(KINDS) != set(jp_totals.KIND_COLUMNS):  # a new kind needs a column (and a migration)
    raise RuntimeError(f"jp_year_totals has no column for {set(KINDS) ^ set(jp_totals.KIND_COLUMNS)}")


def _kind_columns() -> list:
    """Per-kind JP of the person (``kind_0`` .. ``kind_2``, ``kind_other``), NULL when the
    person has no approved entry of that kind: read from the rollup."""
    columns = [JpYearTotal.__table__.c[jp_totals.KIND_COLUMNS[kind]] for kind in KINDS]
    return ([c.label(f"kind_{n}") for n, c in enumerate(columns)]
            + [JpYearTotal.jp_other.label("kind_other")])


def people_query(scope: Scope, year: int, *, by_kind: bool = False) -> Select:
    """One row per ASN in scope with the approved JP of `year` (0 without entries),
    name, NIP and unit: the same sum as the learner's dashboard (services.dashboard).

    The JP come from ``jp_year_totals`` (lms.models.jp_totals: the ledger's approved entries
    summed per person and year, kept current in the transaction of every ledger change),
    left-joined on its primary key (user_id, year): one narrow row per person instead of an
    aggregate over the year's entries.
    """
    totals = JpYearTotal
    if scope.unit is not None and scope.unit.parent_id is None:
        # An instansi holds nearly everyone: filter on the joined unit's path, so the
        # databases scan the users once instead of reaching 98 % of them through
        # ix_users_unit_id one unit at a time (SQLite: 330 -> 100 ms, bench/README.md).
        in_scope = Unit.path.startswith(scope.prefix)
    else:
        in_scope = scope.condition()
    return (select(User.id.label("user_id"), User.name.label("name"), User.nip.label("nip"),
                   Unit.code.label("unit_code"), Unit.name.label("unit_name"), Unit.path.label("path"),
                   func.coalesce(totals.jp_total, 0).label("jp"), *(_kind_columns() if by_kind else []))
            .select_from(User)
            .outerjoin(Unit, Unit.id == User.unit_id)
            .outerjoin(totals, and_(totals.user_id == User.id, totals.year == year))
            .where(asn_condition(), in_scope))


# ----------------------------------------------------------------------- summary


@dataclass
class Group:
    """Counts for a set of people: a child unit, the people placed directly in the unit, or all."""

    key: str | None
    label: str
    code: str | None = None
    people: int = 0
    reached: int = 0
    jp: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))

    @property
    def percent(self) -> float:
        """Share of people who reached the target, 0-100, one decimal."""
        return round(100 * self.reached / self.people, 1) if self.people else 0.0

    @property
    def below(self) -> int:
        return self.people - self.reached

    def add(self, bucket: int, reached: bool, people: int, jp: int) -> None:
        self.people += people
        self.reached += people if reached else 0
        self.jp += jp
        self.buckets[bucket] += people


@dataclass
class CompetencyRow:
    kind: str
    jp: int = 0
    people: int = 0


@dataclass
class JpReport:
    scope: Scope
    year: int
    target: int
    total: Group
    #: Direct child units (each with its whole subtree), worst compliance first.
    groups: list[Group]
    competencies: list[CompetencyRow]


def bucket_label(index: int) -> str:
    low, high = BUCKETS[index]
    return str(low) if high == low else f"{low}+" if high is None else f"{low}–{high}"


def report(scope: Scope, year: int) -> JpReport:
    """Summary, distribution, per-sub-unit and per-competency figures: two queries
    (the child units, then one grouped statement for everything else)."""
    target = int(current_app.config["JP_TARGET"])
    children = _children(scope)
    total, groups, competencies = _grouped(scope, year, target, children)
    return JpReport(scope, year, target, total, groups, competencies)


def _children(scope: Scope) -> list[Unit]:
    parent = Unit.parent_id == scope.unit.id if scope.unit is not None else Unit.parent_id.is_(None)
    return list(db.session.scalars(select(Unit).where(parent).order_by(Unit.name, Unit.id)))


def _bucket_expression(jp):
    return case(*[(jp <= high, index) for index, (_low, high) in enumerate(BUCKETS) if high is not None],
                else_=len(BUCKETS) - 1)


def grouped_statement(scope: Scope, year: int, target: int) -> Select:
    """People and JP per (child unit, bucket, reached), with JP and people per competency
    kind: the whole summary in one pass over the people and their rollup rows, returning a
    few hundred rows.

    The child a person belongs to is the first level of their unit's path below the scope's
    (a substring of the materialised path), so sub-units are counted with their parent child.
    """
    people = people_query(scope, year, by_kind=True).subquery("people")
    kinds = [c for c in people.c if c.name.startswith("kind_")]
    # Classify in an inner query and group on its columns: PostgreSQL does not recognise two
    # copies of an expression with bound parameters as the same GROUP BY key.
    classified = select(
        func.substr(people.c.path, 1, len(scope.prefix) + _LEVEL).label("child"),
        _bucket_expression(people.c.jp).label("bucket"),
        case((people.c.jp >= target, 1), else_=0).label("reached"),
        people.c.jp, *kinds).subquery("classified")
    per_kind = [f(classified.c[k.name]) for k in kinds for f in (func.sum, func.count)]
    return (select(classified.c.child, classified.c.bucket, classified.c.reached,
                   func.count(), func.coalesce(func.sum(classified.c.jp), 0), *per_kind)
            .group_by(classified.c.child, classified.c.bucket, classified.c.reached))


def _grouped(scope: Scope, year: int, target: int, children: list[Unit]):
    """The scope's totals, one Group per child unit and the competency rows, folded from
    grouped_statement's few rows (never a loop over people)."""
    rows = db.session.execute(grouped_statement(scope, year, target)).all()
    total = Group(scope.prefix, str(scope.unit.name) if scope.unit else str(_l("Whole agency")), scope.code)
    by_key = {u.path: Group(u.path, u.name, u.code) for u in children}
    kinds = [CompetencyRow(kind) for kind in (*KINDS, "")]
    for child, bucket, reached, count, jp, *per_kind in rows:
        total.add(bucket, bool(reached), count, int(jp))
        by_key.setdefault(child, _extra_group(child, scope)).add(bucket, bool(reached), count, int(jp))
        for row, kind_jp, kind_people in zip(kinds, per_kind[::2], per_kind[1::2]):
            row.jp += int(kind_jp or 0)
            row.people += kind_people
    groups = sorted(by_key.values(), key=lambda g: (g.people == 0, g.percent, g.label))
    return total, groups, kinds[:-1] + [kinds[-1]] * bool(kinds[-1].people)


def _extra_group(key: str | None, scope: Scope) -> Group:
    """People placed directly in the scope's unit, or (whole agency) in no unit at all."""
    if key is None:
        return Group(None, str(_l("Without a unit")))
    if scope.unit is not None and key == scope.prefix:
        return Group(key, str(_l("Directly in %(unit)s", unit=scope.unit.name)), scope.unit.code)
    return Group(key, key)  # a unit moved while we read: still counted, never lost


# ------------------------------------------------------------------ people table


@dataclass
class PersonRow:
    user_id: int
    name: str
    nip: str
    unit_code: str | None
    unit_name: str | None
    jp: int
    reached: bool


def _ordered(people, sort: str):
    """ORDER BY for the people table; ties broken by name then id, so pages never overlap."""
    by_name = (people.c.name, people.c.user_id)
    return {"jp": (people.c.jp, *by_name), "-jp": (people.c.jp.desc(), *by_name),
            "unit": (people.c.path.nulls_last(), *by_name)}.get(sort, by_name)


def people_select(scope: Scope, year: int, sort: str, below_only: bool, target: int):
    """The people table as one ordered statement (the page and the exports share it, so a
    CSV lists exactly the people the page counts)."""
    people = people_query(scope, year).subquery("people")
    query = select(people).order_by(*_ordered(people, sort))
    return query.where(people.c.jp < target) if below_only else query


def _row(r, target: int) -> PersonRow:
    return PersonRow(r.user_id, r.name, r.nip or "", r.unit_code, r.unit_name, int(r.jp), int(r.jp) >= target)


def people_page(report_: JpReport, *, sort: str = "jp", page: int = 1, below_only: bool = False,
                per_page: int = PER_PAGE, clamp: bool = True) -> Page:
    """One page of the people table: one query (the total comes from the summary).

    A page past the end shows the last page to people; the API (clamp=False) answers it empty.
    """
    total = report_.total.below if below_only else report_.total.people
    page = min(max(page, 1), max(1, -(-total // per_page))) if clamp else max(page, 1)
    query = people_select(report_.scope, report_.year, sort, below_only, report_.target)
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page([_row(r, report_.target) for r in rows], total, page, per_page)


def all_people(scope: Scope, year: int, *, sort: str = "unit", below_only: bool = False) -> Iterator[PersonRow]:
    """Every row of the people table, streamed in batches (exports and the CLI)."""
    target = int(current_app.config["JP_TARGET"])
    query = people_select(scope, year, sort, below_only, target)
    for r in db.session.execute(query.execution_options(yield_per=1000)):
        yield _row(r, target)


# ----------------------------------------------------------------------- exports


PEOPLE_HEADER = ["nip", "name", "unit_code", "unit_name", "year", "jp", "target", "reached"]
SUMMARY_HEADER = ["unit_code", "unit_name", "asn", "reached", "percent_reached", "jp_total",
                  *[f"jp_{bucket_label(i).replace('–', '_').replace('+', '_plus')}" for i in range(len(BUCKETS))]]


def people_rows(scope: Scope, year: int, *, below_only: bool = False) -> Iterator[list]:
    """The people table as export rows (header first), in unit then name order."""
    target = int(current_app.config["JP_TARGET"])
    yield PEOPLE_HEADER
    for p in all_people(scope, year, below_only=below_only):
        yield [p.nip, p.name, p.unit_code or "", p.unit_name or "", year, p.jp, target, "yes" if p.reached else "no"]


def summary_rows(report_: JpReport) -> list[list]:
    """One row per sub-unit group and a last row for the whole scope (header first)."""
    def line(g: Group) -> list:
        return [g.code or "", g.label, g.people, g.reached, g.percent, g.jp, *g.buckets]
    return [SUMMARY_HEADER, *[line(g) for g in report_.groups], line(report_.total)]


def competency_rows(report_: JpReport) -> list[list]:
    return [["competency", "jp", "people"], *[[r.kind, r.jp, r.people] for r in report_.competencies]]
