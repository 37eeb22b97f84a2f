"""The SQLAlchemy instance, naming conventions and per-dialect connection set-up."""
from __future__ import annotations

import re
import select

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from psycopg import ServerCursor
from psycopg.pq import TransactionStatus
from sqlalchemy import Enum, MetaData, event, make_url
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
    """Bind the database to the app; tune SQLite connections, check pooled PostgreSQL ones
    and let them read without a transaction (:func:`begin_before_writes`)."""
    deferred = _defers_begin(app)
    if deferred:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"], "isolation_level": "AUTOCOMMIT"}
    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas(busy_ms))
            event.listen(db.engine, "begin", _begin_immediate)
        return
    with app.app_context():
        if not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
            event.listen(db.engine, "checkout", check_idle_connection)
        if deferred:
            event.listen(db.engine, "before_cursor_execute", begin_before_writes)


def _defers_begin(app: Flask) -> bool:
    """PostgreSQL through psycopg 3, ``DATABASE_DEFERRED_BEGIN`` on (the default) and no
    isolation level chosen in ``SQLALCHEMY_ENGINE_OPTIONS``."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    return (app.config.get("DATABASE_DEFERRED_BEGIN", True)
            and make_url(url).drivername == "postgresql+psycopg"
            and "isolation_level" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"])


#: A statement that may run outside a transaction: a SELECT (or WITH … SELECT) that neither
#: writes, nor locks rows, nor does anything that lasts only as long as its transaction.
_READ_ONLY_START = re.compile(r"\s*(?:SELECT|WITH)\b", re.IGNORECASE)
_NEEDS_TRANSACTION = re.compile(
    r"\b(?:INSERT|UPDATE|DELETE|MERGE|INTO|SHARE)\b|set_config|pg_notify|_xact_|nextval|setval",
    re.IGNORECASE)


def needs_transaction(statement: str) -> bool:
    """True unless `statement` is a plain read (see _NEEDS_TRANSACTION); a false "True" only
    costs a BEGIN, so the test is deliberately coarse."""
    return not _READ_ONLY_START.match(statement) or bool(_NEEDS_TRANSACTION.search(statement))


def driver_connection_in_transaction():
    """The session's psycopg connection, inside a transaction: statements sent on it directly
    (COPY) do not pass through :func:`begin_before_writes`, so it begins here."""
    raw = db.session.connection().connection.driver_connection
    if raw.autocommit and raw.info.transaction_status == TransactionStatus.IDLE:
        raw.execute("BEGIN")
    return raw


def begin_before_writes(conn, cursor, statement, _parameters, _context, _executemany) -> None:
    """Open the transaction at the first statement that needs one, not at the first read.

    Pooled PostgreSQL connections are in autocommit mode, so a request that only reads (a
    lesson page opened again, the catalog, a certificate check) sends its SELECTs and
    nothing else: no BEGIN before them, no COMMIT after, two round trips fewer per page.
    Reads outside a transaction see what READ COMMITTED would show them anyway (each
    statement takes its own snapshot there too). The first write, row lock or savepoint
    sends BEGIN, so everything from there to the commit is one transaction as before; a
    rollback undoes it all. A connection asked for another isolation level (backups) or for
    real autocommit is left alone. A streamed read (a server-side cursor, ``yield_per``)
    needs a transaction for its ``DECLARE``.
    """
    dbapi_connection = cursor.connection
    if not dbapi_connection.autocommit or dbapi_connection.info.transaction_status != TransactionStatus.IDLE:
        return
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return
    if isinstance(cursor, ServerCursor) or needs_transaction(statement):  # DECLARE needs one
        dbapi_connection.execute("BEGIN")


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
