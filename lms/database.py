"""The SQLAlchemy instance, naming conventions and per-dialect connection set-up."""
from __future__ import annotations

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Enum, MetaData, event
from sqlalchemy.orm import DeclarativeBase

#: Deterministic constraint names so Alembic can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every model, core and plugin."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: expire_on_commit=False: a request that commits (e.g. recording a lesson visit) keeps the
#: rows it already loaded instead of reloading each one on the next attribute access.
def str_enum(enum_class, length: int = 20) -> Enum:
    """A Python Enum stored as its string values in a VARCHAR (portable, no native type)."""
    return Enum(enum_class, native_enum=False, length=length,
                values_callable=lambda members: [m.value for m in members])


db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


def init_app(app: Flask) -> None:
    """Bind the database to the app and tune SQLite connections."""
    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas(busy_ms))
            event.listen(db.engine, "begin", _begin_immediate)


def _sqlite_pragmas(busy_ms: int):
    """Return a connect listener: enforce foreign keys, WAL journal, wait when busy."""

    def on_connect(dbapi_connection, _record) -> None:
        # We emit BEGIN ourselves (below); the driver's own transaction handling would not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()

    return on_connect


def _begin_immediate(conn) -> None:
    """Take SQLite's write lock when a transaction starts.

    In WAL mode a transaction that has read and then writes fails at once ("database is
    locked") if another writer committed meanwhile; busy_timeout cannot help. Taking the
    lock up front makes concurrent requests wait their turn instead. Requests are short,
    and SQLite serialises writers anyway.
    """
    conn.exec_driver_sql("BEGIN IMMEDIATE")
