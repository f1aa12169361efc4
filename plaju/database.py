"""Database plumbing shared by every area: SQLite pragmas, write locking, dialect checks.

SQLite is the embedded database for a single office PC, demos and tests. A transaction that may write
starts with BEGIN IMMEDIATE: writers are serialised from their first statement, so a transaction can
never fail half-way when it upgrades from reading to writing. The transactions of a GET (or HEAD,
OPTIONS) request only read: they begin DEFERRED and never take the write lock, so a slow search does not
hold up a signature (WAL keeps every reader on its snapshot). A GET that must write (an audited view, a
refusal) calls `writing()` first, which ends the read transaction; under TESTING a write in a read-only
transaction raises, so the suite finds any that forgets. PostgreSQL, the production database, locks
rows with SELECT ... FOR UPDATE.
"""
import functools
import re
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Table, bindparam, event, func, insert, inspect, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import NO_VALUE, scoped_session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql import ClauseElement

from .extensions import db
from .timeutil import clock as _clock


def utcnow() -> datetime:
    """Naive UTC, microsecond precision: the same value round-trips through SQLite and PostgreSQL."""
    return _clock.get() or datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def clock_at(moment: datetime):
    """Run a block as if it were `moment` (naive UTC): demo data that happened in the past gets
    past times everywhere, in its rows and in its audit events alike."""
    token = _clock.set(moment)
    try:
        yield
    finally:
        _clock.reset(token)


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def for_update(stmt, *, of=None, skip_locked: bool = False):
    """The house's row lock on a SELECT: PostgreSQL `SELECT ... FOR UPDATE [OF ...] [SKIP LOCKED]`, and
    the rows re-read from the database even when the session holds them (populate_existing), so a
    transaction that waited for the lock sees what the other one committed. SQLite needs no clause:
    every transaction began IMMEDIATE and already holds the single write lock. `of` names the
    table(s) to lock when the query joins others (e.g. eager-loaded relations)."""
    stmt = stmt.execution_options(populate_existing=True)
    if is_postgres():
        stmt = stmt.with_for_update(of=of, skip_locked=skip_locked)
    return stmt


_LOCKED_IN = "_plaju_locked_in"


def lock_row(model, row_id, *, of=None, options=()):
    """The row of `model` with this id, locked for the rest of the transaction (see for_update);
    NoResultFound when there is none. `options` are loader options for what comes along (joinedload)."""
    stmt = plan_once(for_update(select(model).where(model.id == row_id).options(*options),
                                of=model if of is None else of))
    row = db.session.scalars(stmt).unique().one()
    row.__dict__[_LOCKED_IN] = db.session().get_transaction()
    return row


def locked_here(row) -> bool:
    """True when lock_row() read `row` in the transaction still open: it is current and stays so until
    the commit, so a step need not read it again."""
    transaction = db.session().get_transaction()
    return transaction is not None and row.__dict__.get(_LOCKED_IN) is transaction


def flush_and_insert(session, table, row: dict) -> None:
    """Write what `session` has pending, then `row` into `table`, in the same transaction.

    A step's pending changes are usually only changed columns of rows it loaded (the request, its report
    fact). Those are written as plain UPDATEs built once per table and columns, without the ORM's unit of
    work, which cost more than the statements; on PostgreSQL they go with the INSERT as one statement,
    each UPDATE a CTE of it. Each UPDATE must match its row, as in a flush. Anything else pending (a new
    or deleted row, a changed relationship, a flush or update event, a value computed by the database)
    is flushed by the ORM first."""
    real = session() if isinstance(session, scoped_session) else session
    updates = _plain_updates(real)
    insert_statement = _insert_statement(table, tuple(row))
    # every parameter has a prefix: a parameter named like a column would be added to an UPDATE's SET
    params = {f"row_{name}": value for name, value in row.items()}
    if updates is None:
        real.flush()
        real.execute(insert_statement, params)
        return
    shapes, own = [], []
    for i, (state, updated, values) in enumerate(u for u in updates if u[2]):
        shapes.append((updated, tuple(values)))
        key = updated.primary_key.columns[0].key  # never among the values: a key that changes needs the ORM
        own.append({f"w{i}_{key}": state.identity[0], **{f"w{i}_{name}": value for name, value in values.items()}})
    with real.no_autoflush:
        if shapes and db.engine.dialect.name == "postgresql":
            for each in own:
                params.update(each)
            matched = real.execute(_insert_with_updates(insert_statement, tuple(shapes)), params).one()
        else:
            matched = [real.execute(_update_statement(updated, names, f"w{i}_"), own[i]).rowcount
                       for i, (updated, names) in enumerate(shapes)]
            real.execute(insert_statement, params)
    for (updated, _names), count in zip(shapes, matched, strict=True):
        if count != 1:  # as a failed flush does, nothing of it stays: the transaction is rolled back
            real.rollback()
            raise StaleDataError(f"UPDATE statement on table '{updated.name}' expected to update 1 row(s); "
                                 f"{count} were matched.")
    # what the ORM does at the end of a flush: the rows hold what was written (no longer modified), and a
    # rollback of this transaction expires them
    real._register_persistent({state for state, _table, _values in updates})


def _plain_updates(session) -> list | None:
    """[(state, table, {column key: value})] for every changed row pending in `session`, with the values
    of its changed columns and of its columns' onupdate defaults (none when every change set a column back
    to what it was); None when anything needs the ORM."""
    if session.new or session.deleted or any(getattr(session.dispatch, name) for name in _FLUSH_EVENTS):
        return None
    updates = []
    for obj in session.dirty:
        state = inspect(obj)
        table = _plain_table(state.mapper)
        events = state.mapper.dispatch
        if (table is None or events.before_update or events.after_update
                or state.manager.dispatch.refresh_flush):
            return None
        values = {}
        for key, before in state.committed_state.items():
            column = table.c.get(key)  # every column is mapped under its own name (_plain_table)
            if column is None or column.primary_key or key not in state.dict:
                return None  # a relationship, a key that changes, an expression
            value = state.dict[key]
            if isinstance(value, ClauseElement) or hasattr(value, "__clause_element__"):
                return None
            if before is NO_VALUE or state.manager[key].impl.is_equal(value, before) is not True:
                values[column.key] = value
        if values:
            for column in table.columns:  # what the ORM would add to the UPDATE (e.g. updated_at)
                if column.onupdate is not None and column.key not in values:
                    # a function of no arguments (_plain_table): SQLAlchemy's wrapper ignores the context
                    value = column.onupdate.arg(None) if column.onupdate.is_callable else column.onupdate.arg
                    values[column.key] = state.dict[column.key] = value
        updates.append((state, table, values))  # with no values: set back to the same, nothing to write
    # one order for every writer, as a flush has (rows are updated in it, so locked in it too)
    return sorted(updates, key=lambda update: (update[1].name, update[0].identity))


_FLUSH_EVENTS = ("before_flush", "after_flush", "after_flush_postexec")
# the parameters' prefixes: a column named like one would be added to an UPDATE's SET
_PREFIXED = re.compile(r"row_|w[0-9]+_")


@functools.cache
def _plain_table(mapper):
    """The table of a mapper whose rows may be updated plainly: one table, one primary key column, no
    version counter, every column mapped under its own name and nothing else mapped as a column (an SQL
    expression the flush would expire), nothing the database computes on UPDATE, and every onupdate a
    plain value or a function of no arguments (one that reads the statement's context needs the ORM);
    else None."""
    table = mapper.local_table
    if not isinstance(table, Table):
        return None
    columns = list(table.columns)
    if (mapper.inherits is not None or len(mapper.tables) != 1 or len(table.primary_key) != 1
            or mapper.version_id_col is not None
            or any(mapper.columns.get(c.key) is not c or _PREFIXED.match(c.key) for c in columns)
            or any(len(p.columns) != 1 or p.columns[0] is not table.c.get(p.key) for p in mapper.column_attrs)
            or any(c.server_onupdate is not None or c.computed is not None for c in columns)
            or any(c.onupdate is not None and not (c.onupdate.is_scalar or (
                c.onupdate.is_callable and hasattr(c.onupdate.arg, "__wrapped__"))) for c in columns)):
        return None
    return table


@functools.cache
def _update_statement(table, names: tuple, prefix: str):
    """UPDATE `table` SET each of `names` WHERE its key matches, from parameters named `prefix` + name
    (the key's too: it is never set)."""
    key = table.primary_key.columns[0]
    return plan_once(update(table).where(key == bindparam(f"{prefix}{key.key}", type_=key.type))
                     .values({name: bindparam(f"{prefix}{name}", type_=table.c[name].type) for name in names}))


@functools.cache
def _insert_statement(table, names: tuple):
    """INSERT INTO `table` one row of `names`, from parameters named `row_` + name."""
    return plan_once(insert(table).values({name: bindparam(f"row_{name}", type_=table.c[name].type)
                                           for name in names}))


@functools.cache
def _insert_with_updates(statement, shapes: tuple):
    """PostgreSQL: the INSERT `statement` with each UPDATE of `shapes` as a CTE, returning how many rows each
    UPDATE matched."""
    ctes = [_update_statement(table, names, f"w{i}_").returning(table.primary_key.columns[0]).cte(f"w{i}")
            for i, (table, names) in enumerate(shapes)]
    return plan_once(statement.add_cte(*ctes).returning(
        *[select(func.count()).select_from(cte).scalar_subquery() for cte in ctes]))


# psycopg's count of runs after which it prepares a statement by itself: never reached
_NEVER = 2**62


def plan_once(stmt):
    """Mark a statement that reads or writes by key and runs on every page or step (the signed-in user, a
    step's locking read, the work items, the audit append): PostgreSQL prepares it and may keep one plan
    for it per connection. Every other statement is planned for its values each time (configure_engine)."""
    return stmt.execution_options(plan_once=True)


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        @event.listens_for(engine, "connect")
        def _postgres_connect(dbapi_connection, _record):
            # psycopg would prepare any statement run five times on a connection, and PostgreSQL may then
            # plan it once for any parameters: the audit log's month of document steps went from 8 ms to
            # 1.4 s that way (its best plan depends on the period). So nothing is prepared but the
            # statements marked plan_once, whose plan cannot depend on the values; the rest are planned
            # with their values every time.
            dbapi_connection.prepare_threshold = _NEVER  # (None would refuse even prepare=True)
            # pages run short queries: JIT compiling them costs more than it saves (bench/bench_inbox.py
            # measured 1.0-1.3 s of JIT in a 1.5 s inbox query at 100,000 requests)
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET jit = off")
            dbapi_connection.commit()

        @event.listens_for(engine, "do_execute")
        def _prepared_when_marked(cursor, statement, parameters, context):
            if not context.execution_options.get("plan_once"):
                return None  # executed as usual: unprepared, planned for its values
            cursor.execute(statement, parameters, prepare=True)
            return True
        return
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection, _record):
        # take transaction control away from pysqlite so BEGIN IMMEDIATE below is the only BEGIN
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        immediate = not _reads_only()
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        conn.info["plaju_immediate"] = immediate

    @event.listens_for(engine, "before_cursor_execute")
    def _sqlite_no_write_in_a_read(conn, _cursor, statement, _params, _context, _executemany):
        if conn.info.get("plaju_immediate", True) or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        if _strict():
            raise ReadOnlyTransaction(f"a write in a read-only (GET) transaction; call database.writing() "
                                      f"first: {statement[:80]}")


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadOnlyTransaction(RuntimeError):
    """A GET request wrote without saying so first (SQLite, under TESTING)."""


def _reads_only() -> bool:
    """True inside a GET/HEAD/OPTIONS request that has not asked to write."""
    from flask import g, has_request_context, request
    return has_request_context() and request.method in SAFE_METHODS and not g.get("plaju_writing", False)


def _strict() -> bool:
    from flask import current_app, has_app_context
    return has_app_context() and bool(current_app.config.get("TESTING"))


def writing(session=None) -> None:
    """Say that this request is about to write although its method only reads (an audited page view, a
    refused GET). On SQLite its next transactions take the write lock; an open read-only transaction is
    ended first (what it loaded is expired and read again). Elsewhere it changes nothing."""
    from flask import g, has_request_context
    if not has_request_context() or g.get("plaju_writing", False):
        return
    g.plaju_writing = True
    session = session or db.session()
    if db.engine.dialect.name == "sqlite" and session.in_transaction() and not (
            session.new or session.dirty or session.deleted):  # never drop what the caller has pending
        if not session.connection().info.get("plaju_immediate", True):
            session.rollback()


def recreate_postgres_database(url: str) -> str:
    """Drop and create the database named in `url` on a local server; return the psycopg URL.
    For tests and benchmarks only: it refuses any host but localhost."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    if target.host not in ("127.0.0.1", "localhost", "::1", None):
        raise ValueError(f"refusing to recreate a database on {target.host!r}: localhost only")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()
    return target.render_as_string(hide_password=False)
