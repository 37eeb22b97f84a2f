"""The SQLAlchemy instance, naming conventions and per-dialect connection set-up."""
from __future__ import annotations

import select

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Enum, MetaData, event
from sqlalchemy.exc import DisconnectionError
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


def str_enum(enum_class, length: int = 20) -> Enum:
    """A Python Enum stored as its string values in a VARCHAR (portable, no native type)."""
    return Enum(enum_class, native_enum=False, length=length,
                values_callable=lambda members: [m.value for m in members])


#: expire_on_commit=False: a request that commits (e.g. recording a lesson visit) keeps the
#: rows it already loaded instead of reloading each one on the next attribute access.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


def init_app(app: Flask) -> None:
    """Bind the database to the app; tune SQLite connections, check pooled PostgreSQL ones."""
    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas(busy_ms))
            event.listen(db.engine, "begin", _begin_immediate)
    elif not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
        with app.app_context():
            event.listen(db.engine, "checkout", check_idle_connection)


def check_idle_connection(dbapi_connection, _record, _proxy) -> None:
    """Refuse a pooled connection the server has closed, without a round trip.

    SQLAlchemy's ``pool_pre_ping`` sends a statement at every checkout: one more round trip
    per request, about 9 % of a lesson page's time under load (docs/performance.md). A
    server that ends a connection (restart, ``pg_terminate_backend``, idle timeout) first
    sends it an error and closes it, so the socket of an idle connection becomes readable;
    one that is still fine has nothing to say. ``poll`` with no wait tells them apart, and a
    DisconnectionError makes the pool replace the connection before the request uses it.
    """
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:  # not psycopg: nothing to look at
        return
    if getattr(dbapi_connection, "closed", False):
        raise DisconnectionError("the connection is closed")
    try:
        poller = select.poll()
        poller.register(pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
        pending = poller.poll(0)
    except Exception as exc:  # no socket any more: the connection is broken
        raise DisconnectionError(f"the connection's socket is unusable: {exc}") from exc
    if pending:
        raise DisconnectionError("the server wrote to an idle connection: it is closing it")


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
