"""The real world's database: one SQLite file (WAL) or one Postgres database holding the queue, the
store, the history and what the supervisor needs to outlive a killed process.

Every port call is one transaction (`Database.transaction`): the state change and its history rows
commit together, so a process killed after its commit cannot lose its event. A transaction reads the
clock once it holds its turn, so two transactions that wait for one another are stamped in the order
they commit (docs/08_real_world.md, "Turns"):

- SQLite has one writer at a time (BEGIN IMMEDIATE): every transaction's turn is the database's.
- Postgres: a transaction about one job (a lease, a start, a commit and its ack, a renewal, a
  failure, the reaper's expiry of its lease, the service's submission of it) takes that job's turn
  (an advisory lock on the job id's hash; a keyed submission takes its key's) and the shared half of
  the writers' turn; transactions about different jobs commit side by side. Every other transaction
  (the supervisor's rows, the client's key claims, workflows, the injector's counts) takes the
  writers' turn whole, after every transaction in flight and before every later one.

One clock for every process (`clock_ms`: this machine's clock, read the same way everywhere), in the
run's milliseconds: (clock - the run's epoch) / scale. An event keeps the time it happened: a
transaction's rows the transaction's time, an observation made while the database was away the time
it was made (it waits in `pending`). The history is read back in time order (ties in commit order),
so it never runs backwards.

When the database is away (an outage, a lock held too long, connections refused) a call raises
`Unavailable`; what the process saw meanwhile (refused store calls, the errors it recorded) waits in
`pending` and commits with its next transaction.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from runtime.core.history import Event, detail_of
from runtime.real.queries import queries

SQL = queries("db")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_DB = ".faultline/real.sqlite"
"""Where `faultline run --real` keeps its database when no --db is given (under the working folder)."""
ADVISORY_LOCK = 7_202_611  # Postgres: the writers' turn (one key), and with a job id's hash a job's
ANY_JOB = "\x00any job"
"""`Database.transaction(job=ANY_JOB)`: a transaction about a job it has yet to find (a lease): it
takes the job's turn with `Tx.try_turn` before it reads the clock."""
INDEX_REFERENCES = ("first", "cancels")  # detail keys that name another event (stored as its seq)


class Unavailable(Exception):
    """The database refused or dropped the call (an outage, a lock held past the timeout)."""


RETRY_S = 0.005
SERVICE_BUSY_MS = 5_000
"""How long a process of the job service (its HTTP routes, the `faultline worker` pool) waits for
SQLite's writer lock before the database counts as away: concurrent submits and the workers' commits
take turns instead of failing. An outage is refused at once whatever this says (outage_marker)."""


def clock_ms() -> float:
    """The one clock of the real world, in ms: every process (the supervisor, the actors, the service)
    reads it the same way, and a transaction reads it once it holds its turn."""
    return time.time() * 1000


def retry(db: Database, call):
    """A call that must happen (a queue operation, the lab's own rows, a fault decision): wait out an
    outage and try again."""
    while True:
        try:
            return call()
        except Unavailable:
            time.sleep(RETRY_S)


class ManualClock:
    """A clock the contract tests move by hand (the simulator's `advance`)."""

    def __init__(self) -> None:
        self.now_ms = 0

    def advance(self, ms: int) -> None:
        self.now_ms += ms


def outage_marker(url: str) -> str:
    """The file that says a SQLite database is away: an outage holds its lock, and a transaction that
    sees the file is refused at once, as a Postgres connection is, instead of waiting out the lock."""
    return sqlite_path(url) + "-outage"


def dialect_of(url: str) -> str:
    return "postgres" if url.startswith(("postgres://", "postgresql://")) else "sqlite"


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///").removeprefix("sqlite://")


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def detail_json(kind: str, values: tuple) -> str:
    """An event's positional values (runtime.core.history.KEYS order) as its detail JSON."""
    return _json(detail_of(kind, values))


def connection_dropped(conn) -> bool:
    """Whether the server has closed a kept, idle connection: it is closed, or it has something to say
    while no statement is out (the notice of its termination)."""
    if conn.closed:
        return True
    try:
        return bool(select.select([conn.fileno()], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _history_rows(count: int) -> str:
    """The INSERT of `count` history rows."""
    return SQL.record_at_insert_history + ", (?, ?, ?, ?, ?, ?, ?)" * (count - 1)


HISTORY_ROWS = [""] + [_history_rows(count) for count in range(1, 9)]


class Tx:
    """One open transaction: queries, the run's time once its turn is held, history rows, the call log.

    `look`: the run's time when the transaction began (what a lease may see is judged by it); `now`:
    the transaction's time, read once it holds its turn (a lease's: once it holds the job's).

    On Postgres the statements whose answers nobody reads wait in the transaction and travel with the
    next one that is read (or the COMMIT), as one message: one round trip and one call into the
    driver for a whole stretch of the transaction (a client-side-bound cursor sends them together)."""

    def __init__(self, db: Database, cursor, look_ms: int, *, found: bool = True, opening=()) -> None:
        self.db, self._cursor, self.look = db, cursor, look_ms
        self._pg = db.dialect == "postgres"
        self._found = found
        self._now: int | None = None
        self._rows: list[tuple] = []  # history rows not yet written (write_history)
        self._sql: list[str] = []  # Postgres: statements not yet sent, and their parameters
        self._args: list = []
        self._prepare: list[str] = []  # PREPAREs this connection needs before them
        for sql, params in opening:
            self.run(sql, params)
        self._opening = bool(opening)  # BEGIN and the turn not sent yet (Postgres)

    @property
    def now(self) -> int:
        now = self._now
        if now is None:
            if not self._found:
                raise AssertionError("a transaction reads its clock only once it holds its job's turn (Tx.try_turn)")
            if self._opening:  # the turn asked for is held once the server has answered
                self._send()
            now = self._now = self.db.run_ms(clock_ms())
        return now

    def try_turn(self, job_id: str, *reads: tuple[str, tuple]) -> list | None:
        """Take `job_id`'s turn without waiting (a lease holding the job's message row must not wait for
        a transaction that waits for that row): None when another transaction holds it, else the first
        row of each of `reads` (statements that see the job as its turn leaves it: on Postgres sent
        with the turn, one round trip). The clock is read once the turn is held."""
        if not self._pg:
            rows = [self.one(sql, params) for sql, params in reads]
        else:
            self.run(SQL.try_job_turn, (ADVISORY_LOCK, job_id))
            for sql, params in reads:
                self.run(sql, params)
            cursor = self._cursor
            self._skip_to(self._send() - len(reads) - 1)
            if not cursor.fetchone()[0]:
                return None
            rows = []
            for _ in reads:
                cursor.nextset()
                rows.append(cursor.fetchone())
        self._now = self.db.run_ms(clock_ms())  # each job's rows stamped once its turn is held
        self._found = True
        return rows

    def next_of(self, counter: str) -> tuple[str, tuple]:
        """The statement (and its parameters) that reads the next value of a counter (`next`)."""
        if self._pg:
            return SQL.next_sequence, ("counter_" + counter,)
        return SQL.next_update_counters, (counter,)

    def run(self, sql: str, params: tuple = ()) -> None:
        """A statement whose answer nobody reads (on Postgres: sent with the next that is read)."""
        if self._pg:
            self._sql.append(self.db.prepared(sql, len(params), self._prepare) if params else sql)
            self._args.extend(params)
        else:
            self._cursor.execute(sql, params)

    def _send(self) -> int:
        """Postgres: send the statements waiting, as one; returns how many."""
        count = len(self._sql) + len(self._prepare)
        self._opening = False
        if count:
            sql, args = self._prepare + self._sql, self._args
            self._sql, self._args, self._prepare = [], [], []
            self._cursor.execute(sql[0] if count == 1 else ";".join(sql), args, prepare=False)
        return count

    def _skip_to(self, index: int) -> None:
        """Move the cursor to the answer of the `index`th statement just sent."""
        for _ in range(index):
            self._cursor.nextset()

    def _read(self, sql: str, params: tuple):
        if "history" in sql:  # a read of the history sees the rows recorded before it
            self.write_history()
        self.run(sql, params)
        if self._pg:
            self._skip_to(self._send() - 1)
        return self._cursor

    def one(self, sql: str, params: tuple = ()):
        return self._read(sql, params).fetchone()

    def all(self, sql: str, params: tuple = ()) -> list:
        return self._read(sql, params).fetchall()

    def commit(self) -> None:
        self.write_history()
        self.run(SQL.commit)
        self._send()

    def write_history(self) -> None:
        """The history rows recorded so far, in one statement (before a read of the history, a row whose
        sequence number is read back, and the commit)."""
        rows = self._rows
        if rows:
            self._rows = []
            self.run(
                HISTORY_ROWS[len(rows)] if len(rows) < len(HISTORY_ROWS) else _history_rows(len(rows)), sum(rows, ())
            )

    def next(self, counter: str) -> int:
        """The next value of a named counter (message ids, fencing tokens, queue positions); a sequence
        on Postgres, where transactions about different jobs run side by side."""
        return self.one(*self.next_of(counter))[0]

    def record(self, kind: str, actor: str, job_id=None, attempt=None, token=None, *values: Any) -> None:
        """A history row stamped with the transaction's time (nothing read back: on Postgres it travels
        with the transaction's other writes)."""
        self.record_at(self.now, kind, actor, job_id, attempt, token, detail_json(kind, values))

    def record_seq(self, kind: str, actor: str, job_id=None, attempt=None, token=None, *values: Any) -> int:
        """`record`, returning the row's sequence number (for an event another event will name)."""
        seq = self.record_at(self.now, kind, actor, job_id, attempt, token, detail_json(kind, values), returning=True)
        assert seq is not None  # asked for with returning=True
        return seq

    def record_at(
        self, time_ms: int, kind: str, actor: str, job_id, attempt, token, detail: str, returning: bool = False
    ) -> int | None:
        params = (time_ms, kind, actor, job_id, attempt, token, detail)
        if not returning:
            self._rows.append(params)
            return None
        return self.one(SQL.record_at_insert_history + " RETURNING seq", params)[0]

    def call(self, actor: str, operation: str, outcome: str, time_ms: int | None = None) -> str:
        self.run(
            SQL.call_insert_store_calls,
            (self.now if time_ms is None else time_ms, actor, operation, outcome),
        )
        return outcome

    def wake_workers(self) -> None:
        """Postgres: tell the workers waiting for work (LISTEN, `Database.listener`) that a message is
        ready, once this transaction commits. SQLite's workers poll."""
        if self._pg:
            self.run(SQL.notify_workers)

    def take_fault(self, point: str, subject: str) -> bool:
        """Use up one planned fault of a counted kind (a lost ack, a lost reply) if one is left."""
        row = self.one(
            SQL.take_fault_update_faults_left,
            (point, subject),
        )
        return row is not None


class Database:
    """A connection per process and thread (re-opened after a fork; the job service's routes run on
    a thread pool), transactions, migrations, read-back."""

    def __init__(self, url: str, *, clock: ManualClock | None = None, scale: float = 1.0, busy_ms: int = 60) -> None:
        self.url, self.dialect = url, dialect_of(url)
        self.clock, self.scale, self.busy_ms = clock, scale, busy_ms
        self.epoch_ms: float | None = None
        self.pending: list[tuple] = []  # ("call", time, actor, op, outcome) | ("event", time, kind, ...)
        self.outage_marker = outage_marker(url) if self.dialect == "sqlite" else ""
        self._local = threading.local()

    @property
    def _conn(self):
        return getattr(self._local, "conn", None)

    @_conn.setter
    def _conn(self, value) -> None:
        self._local.conn = value

    @property
    def _pid(self):
        return getattr(self._local, "pid", None)

    @_pid.setter
    def _pid(self, value) -> None:
        self._local.pid = value

    # -- connections -----------------------------------------------------------------------
    def _connect(self):
        if self.dialect == "sqlite":
            path = sqlite_path(self.url)
            with contextlib.suppress(OSError):  # a new database is the owner's alone (its WAL too)
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            conn = sqlite3.connect(path, isolation_level=None, timeout=self.busy_ms / 1000)
            conn.execute(SQL.pragma_wal)
            conn.execute(SQL.pragma_synchronous)
            return conn
        import psycopg

        try:
            return psycopg.connect(self.url, connect_timeout=2, autocommit=True)
        except psycopg.OperationalError as error:
            raise Unavailable(str(error).splitlines()[0]) from None

    def connection(self):
        if self._conn is not None and self._pid == os.getpid() and getattr(self._conn, "closed", False):
            self._conn = None  # the server closed it (an outage terminated it): open a new one
        if self._conn is None or self._pid != os.getpid():
            self._conn, self._pid = self._connect(), os.getpid()
            self._local.prepared = {}  # what a Postgres connection has prepared (Database.prepared)
        return self._conn

    def close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            with contextlib.suppress(Exception):
                self._conn.close()
        self._conn = None

    def forget_connection(self) -> None:
        """After a fork: the parent's connection belongs to the parent (never close it from here)."""
        self._conn = None

    def prepared(self, sql: str, count: int, prepare: list[str]) -> str:
        """Postgres: `sql` (with `count` ? placeholders) as EXECUTE of a statement this connection has
        prepared; a statement new to it adds its PREPARE to `prepare`."""
        names = self._local.prepared  # reset with each new connection (`connection`)
        name = names.get(sql)
        if name is None:
            name = names[sql] = f"fl{len(names)}"
            parts = sql.split("?")
            prepare.append(
                f"PREPARE {name} AS " + "".join(p + f"${n}" for n, p in enumerate(parts[:-1], 1)) + parts[-1]
            )
        return f"EXECUTE {name}(" + ", ".join(["%s"] * count) + ")"

    # -- time ------------------------------------------------------------------------------
    def run_ms(self, wall_ms: float) -> int:
        if self.clock is not None:
            return self.clock.now_ms
        if self.epoch_ms is None:
            self.epoch_ms = float(self.meta("epoch_ms") or "nan")  # set when the run starts
        return int((wall_ms - self.epoch_ms) / self.scale)

    def now_ms(self) -> int:
        """The run's time now (a process's Now; the SQL judges by the transaction's)."""
        return self.run_ms(clock_ms())

    # -- transactions ----------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self, job: str | None = None) -> Iterator[Tx]:
        """One transaction in its turn, with the pending rows written first: the writers' turn whole, or
        with `job` that job's turn (ANY_JOB: the job's turn is taken inside, `Tx.try_turn`). Raises
        Unavailable when the database is away; any other error rolls back and propagates.

        On Postgres a kept connection the server has dropped since (an outage terminates connections)
        is replaced before the transaction begins, as a connection pool's pre-ping would: only a
        database that refuses a fresh connection is unavailable. The transaction's opening (BEGIN and
        its turn) travels with its first read."""
        errors = self._errors()
        cursor, opening, wall = self._begin(errors, job)
        try:
            tx = Tx(self, cursor, self.run_ms(wall), found=job != ANY_JOB, opening=opening)
            flushed = self._flush(tx)
            yield tx
            tx.commit()
        except errors as error:
            self._rollback(cursor)
            if isinstance(error, Unavailable):
                raise
            raise Unavailable(str(error).splitlines()[0]) from None
        except BaseException:
            self._rollback(cursor)
            raise
        del self.pending[:flushed]

    def _begin(self, errors, job: str | None):
        """(a cursor, the statements that open the transaction in its turn, the wall clock)."""
        try:
            if self.dialect == "sqlite":
                if os.path.exists(self.outage_marker):
                    raise Unavailable("the database is away (an outage holds its lock)")
                cursor = self.connection().cursor()
                cursor.execute(SQL.begin_immediate)
                return cursor, (), clock_ms()
            import psycopg

            conn = self.connection()
            if connection_dropped(conn):
                self._drop()
                conn = self.connection()
            opening: list[tuple[str, tuple]] = [(SQL.begin, ())]
            if job is None:
                opening.append((SQL.writers_turn, (ADVISORY_LOCK,)))
            elif job == ANY_JOB:
                opening.append((SQL.writers_turn_shared, (ADVISORY_LOCK,)))
            else:  # the writers' turn shared, and the job's
                opening.append((SQL.job_turn, (ADVISORY_LOCK, ADVISORY_LOCK, job)))
            return psycopg.ClientCursor(conn), opening, clock_ms()
        except errors as error:
            self._drop()
            if isinstance(error, Unavailable):
                raise
            raise Unavailable(str(error).splitlines()[0]) from None

    def transaction_write(self, sql: str, params: tuple = ()) -> None:
        """One statement in a writer's turn."""
        with self.transaction() as tx:
            tx.run(sql, params)

    def _errors(self) -> tuple[type[BaseException], ...]:
        if self.dialect == "sqlite":
            return (sqlite3.OperationalError,)
        import psycopg

        return (psycopg.OperationalError, Unavailable)

    def _rollback(self, cursor) -> None:
        try:
            cursor.execute(SQL.rollback)
            if self.dialect == "postgres":  # a PREPARE sent after the failing statement never ran
                cursor.execute(SQL.deallocate_all)
                self._local.prepared = {}
        except Exception:
            self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def _flush(self, tx: Tx) -> int:
        pending = list(self.pending)
        for row in pending:
            if row[0] == "call":
                tx.call(row[2], row[3], row[4], time_ms=row[1])
            else:
                tx.record_at(*row[1:])
        return len(pending)

    def refused(self, actor: str, operation: str, outcome: str, at_ms: int) -> None:
        """A store call the database refused (made at `at_ms`): logged when it is back."""
        self.pending.append(("call", at_ms, actor, operation, outcome))

    def later(self, kind: str, actor: str, job_id=None, attempt=None, token=None, *values: Any) -> None:
        """An event the actor observed itself, written with its next transaction at the time it was
        observed (a worker's `started`: its commit, renewal, failure, pause or crash point comes next).
        A process killed from outside before then leaves no word of it, as a log line it never wrote."""
        self.pending.append(("event", self.now_ms(), kind, actor, job_id, attempt, token, detail_json(kind, values)))

    def record_event(self, kind: str, actor: str, job_id=None, attempt=None, token=None, *values: Any) -> None:
        """An event the actor observed itself (its own transaction; kept, with the time it was
        observed, for later if the database is away)."""
        detail = detail_json(kind, values)
        observed = self.now_ms()
        try:
            with self.transaction(job_id if isinstance(job_id, str) else None) as tx:
                tx.record_at(tx.now, kind, actor, job_id, attempt, token, detail)
        except Unavailable:
            self.pending.append(("event", observed, kind, actor, job_id, attempt, token, detail))

    # -- schema ----------------------------------------------------------------------------
    def migrate(self) -> list[str]:
        """Apply the dialect's migrations in order, each once; returns the ones applied now."""
        conn = self.connection()
        cursor = conn.cursor()
        cursor.execute(SQL.migrate_create_schema_migrations)
        cursor.execute(SQL.migrate_select_schema_migrations)
        done = {row[0] for row in cursor.fetchall()}
        applied = []
        for path in sorted((MIGRATIONS / self.dialect).glob("*.sql")):
            if path.stem in done:
                continue
            script = path.read_text(encoding="utf-8")
            if self.dialect == "sqlite":
                # One transaction per migration; the version is the migration file's own name.
                cursor.executescript(SQL.migrate_sqlite.replace("{version}", path.stem).replace("{script}", script))
            else:
                with conn.transaction():
                    cursor.execute(script)
                    cursor.execute(SQL.migrate_insert_schema_migrations, (path.stem,))
            applied.append(path.stem)
        return applied

    def reset(self) -> None:
        """Start a run on an empty schema: drop Faultline's tables, migrate, set the run's epoch."""
        if self.dialect == "sqlite":
            self.close()
            path = Path(sqlite_path(self.url))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            conn = self.connection()
            cursor = conn.cursor()
            cursor.execute(SQL.reset_select_pg_tables)
            ours = faultline_tables("postgres")
            tables = [row[0] for row in cursor.fetchall() if row[0].lower() in ours]  # never anyone else's
            if tables:
                cursor.execute(SQL.drop_tables.format(tables=", ".join(f'"{name}"' for name in tables)))
        self.migrate()
        epoch = self.epoch_ms = clock_ms()
        with self.transaction() as tx:
            for name in ("message", "token", "seq"):
                tx.run(SQL.reset_insert_counters, (name,))
            tx.run(SQL.reset_insert_meta, (repr(epoch),))

    def restart_clock(self) -> None:
        """The run's time 0 is now (the supervisor, once every actor is ready; they read the epoch on
        their first look at the clock, after the gate)."""
        epoch = self.epoch_ms = clock_ms()
        with self.transaction_free() as cursor:
            cursor.execute(self._q(SQL.restart_clock_update_meta), (repr(epoch),))

    def open(self) -> list[str]:
        """Use the database as it is (the job service, its workers): migrate, and set the counters
        and the epoch once. Returns the migrations applied now. Unavailable when the database is
        locked or away (the caller may wait and try again: every step is idempotent)."""
        try:
            return self._open()
        except self._errors() as error:
            self._drop()
            if isinstance(error, Unavailable):
                raise
            raise Unavailable(str(error).splitlines()[0]) from None

    def _open(self) -> list[str]:
        applied = self.migrate()
        now = clock_ms()
        with self.transaction_free() as cursor:
            for name in ("message", "token", "seq"):
                cursor.execute(self._q(SQL.open_insert_counters), (name,))
            cursor.execute(self._q(SQL.open_insert_meta), (repr(now),))
        return applied

    def listener(self):
        """Postgres: `wait(seconds)` that returns when a transaction woke the workers (`Tx.wake_workers`)
        or the seconds are over, on a connection of its own; None on SQLite, or when the server cannot
        be reached now (the worker polls)."""
        if self.dialect != "postgres":
            return None
        import psycopg

        try:
            conn = psycopg.connect(self.url, connect_timeout=2, autocommit=True)
            conn.execute(SQL.listen_workers)
        except psycopg.Error:
            return None

        def wait(seconds: float) -> None:
            try:
                for _ in conn.notifies(timeout=seconds, stop_after=1):
                    pass
            except psycopg.Error:  # the connection is gone (an outage): sleep out the poll
                time.sleep(seconds)

        return wait

    def ping(self) -> None:
        """Raise Unavailable unless the database answers."""
        self.read(SQL.ping)

    def meta(self, key: str) -> str | None:
        with self.transaction_free() as cursor:
            cursor.execute(self._q(SQL.meta_select_meta), (key,))
            row = cursor.fetchone()
        return None if row is None else row[0]

    def _q(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgres" else sql

    @contextlib.contextmanager
    def transaction_free(self):
        """A cursor for reads outside a writer's turn (read-back, status pages)."""
        try:
            cursor = self.connection().cursor()
            yield cursor
        except self._errors() as error:
            self._drop()
            raise Unavailable(str(error).splitlines()[0]) from None

    def read(self, sql: str, params: tuple = ()) -> list:
        with self.transaction_free() as cursor:
            cursor.execute(self._q(sql), params)
            return cursor.fetchall()

    # -- read-back -------------------------------------------------------------------------
    def events(self) -> list[Event]:
        """The history in time order (ties in commit order), indexed by position (references between
        events mapped): an observation that waited out an outage sits where it happened."""
        rows = self.read(SQL.events_select_history)
        position = {row[0]: index for index, row in enumerate(rows)}
        events = []
        for index, (_, time_ms, kind, actor, job_id, attempt, token, detail) in enumerate(rows):
            values = json.loads(detail)
            for key in INDEX_REFERENCES:
                if key in values:
                    values[key] = position.get(values[key], values[key])
            events.append(Event.of(index, time_ms, kind, actor, job_id, attempt, token, values))
        return events


MISSING_DB, EMPTY_DB, FAULTLINE_DB, FOREIGN_DB, BUSY_DB = "missing", "empty", "faultline", "foreign", "busy"
SQLITE_HEADER = b"SQLite format 3\x00"


def faultline_tables(dialect: str) -> frozenset[str]:
    """Every table Faultline's migrations make (and the migrations' own table)."""
    names = {"schema_migrations"}
    for path in (MIGRATIONS / dialect).glob("*.sql"):
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.split()
            if len(words) >= 3 and [w.upper() for w in words[:2]] == ["CREATE", "TABLE"]:
                names.add(words[2].strip('"(').lower())
    return frozenset(names)


def inspect_database(url: str) -> tuple[str, str]:
    """What `url` holds, without creating or changing anything: (MISSING_DB | EMPTY_DB | FAULTLINE_DB
    | FOREIGN_DB | BUSY_DB, a phrase saying why). Unavailable when a Postgres server cannot be reached."""
    if dialect_of(url) == "sqlite":
        return _inspect_sqlite(Path(sqlite_path(url)))
    import psycopg

    info = psycopg.conninfo.conninfo_to_dict(url)
    admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=2) as conn:
            exists = conn.execute(SQL.inspect_database_select_pg_database, (info.get("dbname"),)).fetchone()
        if exists is None:
            return MISSING_DB, "does not exist"
        with psycopg.connect(url, autocommit=True, connect_timeout=2) as conn:
            rows = conn.execute(SQL.reset_select_pg_tables).fetchall()
    except psycopg.Error as error:
        raise Unavailable(str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__) from None
    return _classify({row[0] for row in rows}, "postgres")


def _inspect_sqlite(path: Path) -> tuple[str, str]:
    if not path.exists():
        return MISSING_DB, "does not exist"
    if not path.is_file():
        return FOREIGN_DB, "is not a regular file"
    try:
        with open(path, "rb") as stream:
            header = stream.read(len(SQLITE_HEADER))
    except OSError as error:
        return FOREIGN_DB, f"cannot be read ({error.strerror})"
    if not header:
        return EMPTY_DB, "is empty"
    if header != SQLITE_HEADER:
        return FOREIGN_DB, "is not a SQLite database"
    try:
        # immutable: no lock, no -wal or -shm file left behind by a look at the schema
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, timeout=0.2)
        try:
            names = {
                row[0]
                for row in conn.execute(SQL.inspect_sqlite_select_sqlite_master)
                if not row[0].startswith("sqlite_")  # SQLite's own (AUTOINCREMENT's sequence, statistics)
            }
        finally:
            conn.close()
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            return BUSY_DB, "is locked by another process"
        return FOREIGN_DB, f"cannot be read as a database ({error})"
    except sqlite3.DatabaseError as error:
        return FOREIGN_DB, f"is not a usable SQLite database ({error})"
    return _classify(names, "sqlite")


def _classify(tables: set[str], dialect: str) -> tuple[str, str]:
    if not tables:
        return EMPTY_DB, "holds no tables"
    foreign = sorted(name for name in tables if name.lower() not in faultline_tables(dialect))
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        return FOREIGN_DB, f"holds tables Faultline did not make ({shown})"
    if "schema_migrations" not in {name.lower() for name in tables}:
        return FOREIGN_DB, "holds tables but no Faultline migrations"
    return FAULTLINE_DB, "holds a Faultline database"


def ensure_database(url: str) -> None:
    """Create the Postgres database `url` names if it does not exist (through the maintenance db)."""
    import psycopg
    from psycopg import sql

    info = psycopg.conninfo.conninfo_to_dict(url)
    name = str(info.get("dbname") or "")
    if not name or name == "postgres":
        return
    admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True, connect_timeout=2) as conn:
        if conn.execute(SQL.inspect_database_select_pg_database, (name,)).fetchone() is None:
            conn.execute(sql.SQL(SQL.create_database).format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = str(psycopg.conninfo.conninfo_to_dict(url).get("dbname") or "")
    admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True, connect_timeout=2) as conn:
        conn.execute(sql.SQL(SQL.drop_database).format(sql.Identifier(name)))
