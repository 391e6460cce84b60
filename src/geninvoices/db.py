"""Engines, connections and the one transaction helper that commits.

Everything talks to the database through SQLAlchemy Core connections. ``transaction()`` is
the only place that commits; on any error it rolls back and turns driver errors that mean
"try again" into ``DatabaseUnavailable`` or ``LockTimeout``.

SQLite: the driver's own transaction handling is switched off and we emit ``BEGIN`` ourselves,
``BEGIN IMMEDIATE`` for writers, so two writers never both read and then fight for the lock
(SQLite has one writer; runs there serialize). WAL lets readers go on meanwhile.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import weakref
from collections.abc import Callable, Iterator
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, exc, inspect
from sqlalchemy.engine import make_url

from .errors import DatabaseUnavailable, LockTimeout, RetryableError

log = logging.getLogger("geninvoices.db")

WRITE = "geninvoices_write"

# SQLite folds its write-ahead log into the database file (a checkpoint) when a commit leaves
# the log past this many pages: 64 MiB of SQLite's default 4 KiB pages, not the default 1,000
# pages. Inside a billing run (``one_checkpoint``) the bound is 1 GiB instead, and the run
# checkpoints once at its end. SQLite also cuts the log file back to 64 MiB once it starts
# over (a reader still on an old snapshot can hold it longer).
WAL_PAGES = 16384
RUN_WAL_PAGES = 262144
WAL_FILE_LIMIT = 64 * 1024 * 1024
_WAL_PAGES_SET = "geninvoices_wal_pages"
_in_run = contextvars.ContextVar("geninvoices_one_checkpoint", default=False)


def make_engine(url: str, *, lock_timeout_seconds: float = 30.0, pool_size: int = 5) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    lock_ms = int(lock_timeout_seconds * 1000)
    if backend == "sqlite":
        engine = create_engine(
            url, pool_size=pool_size,
            connect_args={"check_same_thread": False, "timeout": lock_timeout_seconds})
        _sqlite_setup(engine, lock_ms)
    elif backend == "postgresql":
        engine = create_engine(url, pool_pre_ping=True, pool_size=pool_size,
                               connect_args={"connect_timeout": 10})

        @event.listens_for(engine, "connect")
        def _pg_connect(dbapi_connection, _record):
            with dbapi_connection.cursor() as cur:
                cur.execute(f"SET lock_timeout = {lock_ms}")
                cur.execute("SET TIME ZONE 'UTC'")
                # psycopg prepares a statement run five times; PostgreSQL then plans it once
                # for any parameters (a generic plan). For "userid = ANY(a chunk's ids) AND
                # nextinvoicedate <= ..." that plan walks every due item instead of the
                # chunk's: a run's item loads grew with the database (0.3 s a chunk at
                # 60,000 services). Plan each execution for its own values instead.
                cur.execute("SET plan_cache_mode = force_custom_plan")
            dbapi_connection.commit()
    elif backend in ("mysql", "mariadb"):
        if "charset" not in parsed.query:
            url = parsed.update_query_dict({"charset": "utf8mb4"})
        engine = create_engine(url, pool_pre_ping=True, pool_size=pool_size, pool_recycle=3600,
                               isolation_level="READ COMMITTED",
                               connect_args={"connect_timeout": 10})
        lock_s = max(1, int(round(lock_timeout_seconds)))

        @event.listens_for(engine, "connect")
        def _my_connect(dbapi_connection, _record):
            with dbapi_connection.cursor() as cur:
                cur.execute(f"SET SESSION innodb_lock_wait_timeout = {lock_s}")
                cur.execute("SET SESSION time_zone = '+00:00'")
    else:
        raise ValueError(f"unsupported database {backend!r}: use sqlite, postgresql or mysql")
    return engine


def _sqlite_setup(engine: Engine, lock_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, record):
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute(f"PRAGMA busy_timeout = {lock_ms}")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            # 32 MiB of pages: a database with years of invoices keeps its indexes in memory
            cur.execute("PRAGMA cache_size = -32768")
            cur.execute(f"PRAGMA wal_autocheckpoint = {WAL_PAGES}")
            cur.execute(f"PRAGMA journal_size_limit = {WAL_FILE_LIMIT}")
            record.info[_WAL_PAGES_SET] = WAL_PAGES
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection):
        if conn.get_execution_options().get(WRITE):  # may wait for the lock, and time out
            _set_wal_pages(conn, RUN_WAL_PAGES if _in_run.get() else WAL_PAGES)
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:  # takes no lock, so cannot fail: straight to the driver (some 20 µs less)
            conn.connection.driver_connection.execute("BEGIN")


def _set_wal_pages(conn: Connection, pages: int) -> None:
    """This connection's checkpoint bound, set only when it changes (a file database's
    connections start at ``WAL_PAGES``; an in-memory one has no log)."""
    info = conn.connection.info
    if info.get(_WAL_PAGES_SET, pages) != pages:
        conn.connection.driver_connection.execute(f"PRAGMA wal_autocheckpoint = {pages}")
        info[_WAL_PAGES_SET] = pages


@contextlib.contextmanager
def one_checkpoint(engine: Engine) -> Iterator[None]:
    """SQLite: the write transactions this thread begins inside the block leave the log to
    grow to 1 GiB, and the block ends with one checkpoint that does not wait for readers
    (PASSIVE; whatever a reader still needs is left to the next). A run commits chunk after
    chunk, and a page a chunk writes may be written again by the next (before revisions 0015
    and 0016 put the ledger and the lines in date order, each chunk's new rows landed on
    most pages of their indexes): a checkpoint every 64 MiB copied such pages into the file
    again and again, one checkpoint copies each once (benchmarks/README.md, "SQLite's
    checkpoints"). Should the block fail, or the checkpoint (the run has committed by then:
    it is only logged), the next commit past 64 MiB checkpoints as usual. Other databases:
    nothing to do."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        yield
        return
    token = _in_run.set(True)
    try:
        yield
    finally:
        _in_run.reset(token)
    try:
        with engine.connect() as conn:  # outside any transaction, which would refuse it
            conn.connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except Exception:  # noqa: BLE001 - see above
        log.warning("folding the write-ahead log into the database file failed; the next "
                    "commit past 64 MiB does it", exc_info=True)


def is_lock_timeout(error: BaseException) -> bool:
    orig = getattr(error, "orig", None)
    code = getattr(orig, "args", [None])[0] if orig is not None else None
    if getattr(orig, "sqlstate", None) == "55P03":  # PostgreSQL lock_not_available
        return True
    if code == 1205:  # MySQL/MariaDB lock wait timeout
        return True
    return "database is locked" in str(orig or error)


def is_deadlock(error: BaseException | None) -> bool:
    """The database ended the transaction as a deadlock's victim (MariaDB 1213, PostgreSQL
    40P01), perhaps behind what followed it: on MariaDB the rollback to a savepoint the
    deadlock had already undone fails with 1305, which names the savepoint, not the cause."""
    for _ in range(16):  # along the chain of causes and contexts, never round a cycle
        if error is None:
            return False
        orig = getattr(error, "orig", None)
        if getattr(orig, "sqlstate", None) == "40P01" or (
                orig is not None and getattr(orig, "args", [None])[:1] == (1213,)):
            return True
        error = error.__cause__ or error.__context__
    return False


def is_unavailable(error: BaseException) -> bool:
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, (exc.OperationalError, exc.InterfaceError, exc.DisconnectionError))


def translate(error: BaseException) -> Exception:
    if isinstance(error, exc.SQLAlchemyError):
        if is_lock_timeout(error):
            return LockTimeout()
        if is_unavailable(error):
            return DatabaseUnavailable()
    return error


@contextlib.contextmanager
def transaction(engine: Engine, *, write: bool = True) -> Iterator[Connection]:
    """One transaction: commit on success, roll back on any error."""
    try:
        with engine.connect() as conn:
            if write:
                conn = conn.execution_options(**{WRITE: True})
            with conn.begin():
                yield conn
    except exc.SQLAlchemyError as error:
        translated = translate(error)
        if translated is error:
            raise
        raise translated from error


DEADLOCK_ATTEMPTS = 5  # a deadlock's victim is run again, up to this many times in all
T = TypeVar("T")


def deadlock_retried(engine: Engine, work: Callable[[Connection], T], *, what: str,
                     write: bool = True) -> T:
    """``work`` in one transaction (``transaction``). Should the database end it as a
    deadlock's victim (two writers waiting on each other's rows), nothing of it was written:
    run ``work`` again from the start in a new transaction, up to ``DEADLOCK_ATTEMPTS`` in
    all, then raise the retryable error (rules §9). ``what`` names it in the log."""
    attempt = 1
    while True:
        try:
            with transaction(engine, write=write) as conn:
                return work(conn)
        except RetryableError as error:
            if attempt == DEADLOCK_ATTEMPTS or not is_deadlock(error):
                raise
        log.warning("%s was a deadlock's victim; running it again (%d)", what, attempt)
        attempt += 1


class Prepared:
    """A SELECT compiled once per dialect and run on the driver's own cursor, for the reads the
    front door makes on every call (the allow-list/lockout gate, GetConfigurationValue): there
    SQLAlchemy's execution machinery costs several times the query itself (benchmarks/README.md,
    "api_php.sh"). Parameters pass through the statement's bind processors, as SQLAlchemy
    would send them; rows come back as the driver gives them, so use it only for values every
    driver returns as they are (counts, text). A driver error is raised as SQLAlchemy raises
    it, invalidating a connection that was lost, so ``transaction`` translates it as usual."""

    def __init__(self, statement):
        self.statement = statement
        self._compiled: dict[tuple[str, str], tuple] = {}

    def rows(self, conn: Connection, params: dict) -> list[tuple]:
        dialect = conn.dialect
        compiled, sql, order, processors = (self._compiled.get((dialect.name, dialect.driver))
                                            or self._compile(dialect))
        values = compiled.construct_params(params)  # with the statement's own literals
        for name, process in processors.items():
            values[name] = process(values[name])
        arguments = tuple(values[name] for name in order) if order is not None else values
        fairy = conn.connection
        cursor = fairy.dbapi_connection.cursor()
        try:
            cursor.execute(sql, arguments)
            return list(cursor.fetchall())
        except dialect.loaded_dbapi.Error as error:
            lost = dialect.is_disconnect(error, fairy.dbapi_connection, cursor)
            if lost:
                conn.invalidate()
            raise exc.DBAPIError.instance(sql, arguments, error, dialect.loaded_dbapi.Error,
                                          connection_invalidated=lost,
                                          dialect=dialect) from error
        finally:
            with contextlib.suppress(Exception):
                cursor.close()

    def _compile(self, dialect) -> tuple:
        compiled = self.statement.compile(dialect=dialect)
        order = list(compiled.positiontup) if compiled.positional else None
        processors = {name: fn for name, fn in compiled._bind_processors.items() if fn}
        entry = (compiled, str(compiled), order, processors)
        self._compiled[(dialect.name, dialect.driver)] = entry
        return entry


_INDEXES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> table -> names


def index_names(conn: Connection, table: str) -> frozenset[str]:
    """The names of ``table``'s indexes, asked once per engine and table: which optional
    indexes a database holds changes only with a migration (an adopted database's with
    `migrate --add-indexes`), after which the server is restarted."""
    seen = _INDEXES.setdefault(conn.engine, {})
    if table not in seen:
        seen[table] = frozenset(i["name"] for i in inspect(conn).get_indexes(table))
    return seen[table]
