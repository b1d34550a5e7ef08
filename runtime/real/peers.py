"""What the benchmarks read from a peer queue's own tables where its API says nothing (procrastinate's
timings, from its event table), and which server processes serve a database (their CPU is the
database's share of a job): benchmarks/bench_real.py. Read-only, on the peer's own database."""

from __future__ import annotations

from typing import Any

from runtime.real.queries import queries

SQL = queries("peers")


def procrastinate_drain_s(conn: Any) -> float:
    """Seconds from the first job procrastinate started to the last it finished (a psycopg connection)."""
    return float(conn.execute(SQL.procrastinate_drain_s).fetchone()[0])


def procrastinate_unfinished(conn: Any) -> int:
    return int(conn.execute(SQL.procrastinate_unfinished).fetchone()[0])


def backend_pids(conn: Any) -> list[int]:
    """The Postgres backends serving the connection's database, other than this connection's."""
    return [int(pid) for (pid,) in conn.execute(SQL.backend_pids).fetchall()]


def procrastinate_latencies_ms(conn: Any) -> list[float]:
    """Deferred to succeeded, in ms, per paced job (the paced jobs carry a negative amount)."""
    return [float(ms) for (ms,) in conn.execute(SQL.procrastinate_latencies_ms).fetchall()]
