"""Per-person, per-year rollup of *approved* JP: what the JP compliance report reads.

``jp_year_totals`` holds, for every (user, year) with at least one approved JP entry, the sum
of those entries and the sums per competency kind. It is derived data: the ledger
(``jp_entries``) stays the truth, and this table is always exactly

    SELECT user_id, year, SUM(jp), SUM(CASE competency WHEN 'teknis' THEN jp END), ...
    FROM jp_entries WHERE status = 'approved' GROUP BY user_id, year

A person without approved entries in a year has no row (the report counts them as 0). A
per-kind column is NULL when the person has no approved entry of that kind, so "people with
at least one entry of the kind" is ``COUNT(column)``, as it was over the ledger.

It is kept in the same transaction as every change to the ledger by :func:`refresh_totals`,
called from an ``after_flush`` listener on every ORM session: whatever code adds, approves,
rejects, edits or deletes a ``JpEntry`` through the ORM (certificate issue / revoke /
re-issue, external training decisions, tests, seeding), the affected (user, year) rows are
recomputed from ``jp_entries`` before the transaction commits. Bulk loads that bypass the
ORM (``COPY``, Core ``insert``) must call :func:`rebuild_totals` (``flask lms
rebuild-jp-totals``) afterwards.

Concurrency (PostgreSQL, READ COMMITTED): before recomputing, the refresh locks the
people's ``users`` rows (``FOR NO KEY UPDATE``, which does not conflict with the ``KEY
SHARE`` lock a new entry's foreign key takes). Two transactions changing the same person's
ledger therefore recompute one after the other, and the second one's aggregate, a new
statement with a new snapshot taken once the first has committed, sees both changes: no
update is lost. SQLite serialises writers (``BEGIN IMMEDIATE``), so there is nothing to lock.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ForeignKey, Index, Integer, case, delete, event, func, insert, inspect, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from lms.database import db
from lms.models.certificates import JpEntry, JpStatus
from lms.models.users import User

#: Competency value stored in jp_entries.competency -> column of its sum. Any other value
#: (including "") is summed in ``jp_other``.
KIND_COLUMNS = {"teknis": "jp_teknis", "manajerial": "jp_manajerial", "sosial-kultural": "jp_sosial_kultural"}
#: Entry columns whose change can change a total.
_TRACKED = ("user_id", "year", "status", "jp", "competency")


class JpYearTotal(db.Model):
    """Approved JP of one person in one year (see the module docstring)."""

    __tablename__ = "jp_year_totals"
    __table_args__ = (
        # The report reads a year's rows (joined to the people by the primary key); ordered
        # by JP for "who needs help".
        Index("ix_jp_year_totals_year_jp", "year", "jp_total"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, autoincrement=False)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    jp_total: Mapped[int] = mapped_column(Integer)
    #: Per-kind sums: NULL when the person has no approved entry of that kind this year.
    jp_teknis: Mapped[int | None] = mapped_column(Integer)
    jp_manajerial: Mapped[int | None] = mapped_column(Integer)
    jp_sosial_kultural: Mapped[int | None] = mapped_column(Integer)
    jp_other: Mapped[int | None] = mapped_column(Integer)


#: The per-kind columns in the order of KIND_COLUMNS, then "other".
KIND_SUM_COLUMNS = (*KIND_COLUMNS.values(), "jp_other")


def _fill(*conditions):
    """INSERT INTO jp_year_totals SELECT ... the approved entries matching `conditions`,
    GROUP BY user and year: the one aggregate every refresh and rebuild runs."""
    def kind_sum(condition):
        return func.sum(case((condition, JpEntry.jp)))

    kinds = list(KIND_COLUMNS)
    query = (select(JpEntry.user_id, JpEntry.year, func.sum(JpEntry.jp),
                    *[kind_sum(JpEntry.competency == kind) for kind in kinds],
                    kind_sum(JpEntry.competency.not_in(kinds)))
             .where(JpEntry.status == JpStatus.APPROVED, *conditions)
             .group_by(JpEntry.user_id, JpEntry.year))
    table = JpYearTotal.__table__
    return insert(table).from_select(["user_id", "year", "jp_total", *KIND_SUM_COLUMNS], query)


def refresh_totals(connection, pairs: Iterable[tuple[int, int]]) -> None:
    """Recompute the rollup rows of these (user_id, year) pairs from the ledger, inside the
    caller's transaction: lock the people, delete their rows, insert the fresh aggregate.

    At most three statements whatever the number of pairs (a superset, users x years, is
    recomputed, which is exact for every pair in it)."""
    pairs = {(int(u), int(y)) for u, y in pairs if u is not None and y is not None}
    if not pairs:
        return
    users = sorted({u for u, _ in pairs})
    years = sorted({y for _, y in pairs})
    if connection.dialect.name == "postgresql":  # sorted: concurrent multi-person refreshes cannot deadlock
        connection.execute(select(User.id).where(User.id.in_(users)).order_by(User.id)
                           .with_for_update(key_share=True))
    table = JpYearTotal.__table__
    connection.execute(delete(table).where(table.c.user_id.in_(users), table.c.year.in_(years)))
    connection.execute(_fill(JpEntry.user_id.in_(users), JpEntry.year.in_(years)))


def rebuild_totals(connection, year: int | None = None) -> int:
    """Recompute the whole rollup (or one year's) from the ledger; returns the rows written.

    For existing databases, bulk loads and repairs. On PostgreSQL the table is locked for
    the transaction (concurrent refreshes wait, then recompute over the rebuilt rows)."""
    table = JpYearTotal.__table__
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE jp_year_totals IN SHARE ROW EXCLUSIVE MODE"))
    connection.execute(delete(table).where(*([table.c.year == year] if year is not None else [])))
    connection.execute(_fill(*([JpEntry.year == year] if year is not None else [])))
    count = select(func.count()).select_from(table)
    return connection.scalar(count.where(table.c.year == year) if year is not None else count)


# ------------------------------------------------------------------ keeping it current


def _old_and_new(entry: JpEntry, attribute: str) -> set:
    history = inspect(entry).attrs[attribute].history
    return {*history.deleted, *history.unchanged, *history.added} - {None}


def touched_pairs(session: Session) -> set[tuple[int, int]]:
    """(user_id, year) of every entry whose flush may change an approved total, with the old
    user and year of an entry moved from one person or year to another."""
    pairs: set[tuple[int, int]] = set()
    for entry in session.new:
        if isinstance(entry, JpEntry) and entry.status == JpStatus.APPROVED:
            pairs.add((entry.user_id, entry.year))
    for entry in session.dirty:
        if isinstance(entry, JpEntry) and any(inspect(entry).attrs[name].history.has_changes()
                                              for name in _TRACKED):
            pairs.update((u, y) for u in _old_and_new(entry, "user_id") for y in _old_and_new(entry, "year"))
    for entry in session.deleted:
        if isinstance(entry, JpEntry):
            pairs.update((u, y) for u in _old_and_new(entry, "user_id") for y in _old_and_new(entry, "year"))
    return pairs


@event.listens_for(Session, "after_flush")
def _refresh_after_flush(session: Session, _flush_context) -> None:
    """Every ORM flush that touched the ledger refreshes the rollup in the same transaction.
    (After the flush the rows are written; the session's lists and attribute histories still
    describe what changed.)"""
    pairs = touched_pairs(session)
    if pairs:
        refresh_totals(session.connection(), pairs)
