"""Migrations build the schema the models describe, on SQLite and on PostgreSQL."""
from __future__ import annotations

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from lms.database import db

from lms.testing import empty_database


def core_tables() -> set[str]:
    """Tables whose models live in the core (plugin models imported by other tests excluded)."""
    return {mapper.local_table.name for mapper in db.Model.registry.mappers
            if mapper.class_.__module__.startswith("lms.")}


def schema_differences(tables: set[str]) -> list:
    """What autogenerate would write for these tables (empty when models and DB agree)."""
    def include(obj, name, type_, reflected, compare_to):
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return (name if type_ == "table" else getattr(table, "name", None)) in tables

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_object": include})
        return _same_unnamed_foreign_keys_dropped(compare_metadata(context, db.metadata))


def _fk_sig(fk) -> tuple:
    return (fk.parent.name, tuple(c.name for c in fk.columns),
            tuple(e.column.table.name for e in fk.elements))


def _same_unnamed_foreign_keys_dropped(diffs: list) -> list:
    """SQLite reflects neither the name nor the ON DELETE of a reference added with ALTER TABLE
    ADD COLUMN (the only way to add one without rebuilding a referenced table such as `users`):
    a remove/add pair that differs only by those is no difference (the ON DELETE rule is
    checked from PRAGMA foreign_key_list in test_references_added_in_place_keep_their_rule)."""
    removed = {_fk_sig(d[1]) for d in diffs if d[0] == "remove_fk" and d[1].name is None}
    return [d for d in diffs if not (d[0] in ("remove_fk", "add_fk") and _fk_sig(d[1]) in removed)]


def test_upgrade_from_nothing_matches_the_models(lms_app):
    with lms_app.app_context():
        empty_database(db)
        flask_migrate.upgrade(revision="heads")
        assert core_tables() <= set(inspect(db.engine).get_table_names())
        assert schema_differences(core_tables()) == []


def test_references_added_in_place_keep_their_rule(lms_app):
    with lms_app.app_context():
        empty_database(db)
        flask_migrate.upgrade(revision="heads")
        if db.engine.dialect.name != "sqlite":
            return
        with db.engine.connect() as conn:
            rules = {(row[3], row[2]): row[6] for row in conn.exec_driver_sql("PRAGMA foreign_key_list(users)")}
        assert rules[("supervisor_id", "users")] == "SET NULL"
        assert rules[("position_id", "positions")] == "SET NULL"


def test_downgrade_to_base_and_up_again(lms_app):
    """base -> head -> base -> head, twice: every downgrade undoes its upgrade completely."""
    with lms_app.app_context():
        empty_database(db)
        flask_migrate.upgrade(revision="heads")
        for _round in range(2):
            flask_migrate.downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            flask_migrate.upgrade(revision="heads")
            assert schema_differences(core_tables()) == []


def test_every_foreign_key_is_indexed(lms_app):
    """Lookups by foreign key must never scan a table (DESIGN: every FK indexed)."""
    with lms_app.app_context():
        for table in db.metadata.sorted_tables:
            indexed = {tuple(col.name for col in ix.columns) for ix in table.indexes}
            indexed |= {tuple(col.name for col in c.columns) for c in table.constraints
                        if c.__class__.__name__ in ("UniqueConstraint", "PrimaryKeyConstraint")}
            for fk in table.foreign_key_constraints:
                cols = tuple(col.name for col in fk.columns)
                assert any(ix[:len(cols)] == cols for ix in indexed), f"{table.name}.{cols} unindexed"
