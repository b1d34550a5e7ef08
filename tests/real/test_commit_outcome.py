"""A transaction's outcome is what the server answered: a connection the server dropped between two
transactions is replaced, not reported as an outage, and a transaction that fails is reported."""

import time

import psycopg
import pytest

from runtime.core.policy import Policy
from runtime.real.db import Database, ManualClock, connection_dropped
from runtime.real.queue import SqlQueue


@pytest.fixture
def pg(postgres_url):
    db = Database(postgres_url, clock=ManualClock())
    db.reset()
    yield db
    db.close()


def test_a_connection_the_server_dropped_between_transactions_is_replaced_not_reported(pg, postgres_url):
    """An outage terminates every connection between two transactions: the next transaction on the kept
    connection opens a fresh one (the pre-ping) instead of answering Unavailable."""
    queue = SqlQueue(pg, Policy.naive())
    assert queue.enqueue("client", "j1", {"amount": 1}, 100, "j1", None) is True
    kept = pg.connection()
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (kept.info.backend_pid,))
    for _ in range(200):  # the notice of termination reaches the client's socket
        if connection_dropped(kept):
            break
        time.sleep(0.01)
    assert queue.enqueue("client", "j2", {"amount": 2}, 100, "j2", None) is True  # no Unavailable raised
    assert pg.connection() is not kept
    assert [e.job_id for e in pg.events() if e.kind == "submitted"] == ["j1", "j2"]


def test_a_commit_that_fails_is_still_reported(pg, monkeypatch):
    queue = SqlQueue(pg, Policy.naive())
    from runtime.real.db import Unavailable

    def refuse(errors, job):
        raise psycopg.OperationalError("the database system is shutting down")

    monkeypatch.setattr(pg, "_begin", refuse)
    with pytest.raises((Unavailable, psycopg.OperationalError)):
        queue.enqueue("client", "j1", {"amount": 1}, 100, "j1", None)
    monkeypatch.undo()
    assert [e for e in pg.events() if e.kind == "submitted"] == []
