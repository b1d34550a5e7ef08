"""A transaction whose COMMIT was answered has committed, whatever the connection does next: the
caller must not be told it failed (it would retry a publish that landed - a duplicate job)."""

import contextlib

import psycopg
import pytest

from runtime.core.policy import Policy
from runtime.real.db import Database, ManualClock
from runtime.real.queue import SqlQueue


class LosesTheConnectionOnClose(contextlib.ExitStack):
    """The pipeline's exit after the COMMIT was answered: the server terminated the connection."""

    def close(self):
        super().close()
        raise psycopg.OperationalError("terminating connection due to administrator command")


@pytest.fixture
def pg(postgres_url):
    db = Database(postgres_url, clock=ManualClock())
    db.reset()
    yield db
    db.close()


def test_a_connection_lost_after_the_commit_answered_loses_nothing_and_raises_nothing(pg, monkeypatch):
    queue = SqlQueue(pg, Policy.naive())
    begin = pg._begin

    def begin_then_lose(errors, job):
        stack, cursor, batch, wall = begin(errors, job)
        lossy = LosesTheConnectionOnClose()
        lossy.push(stack)
        return lossy, cursor, batch, wall

    monkeypatch.setattr(pg, "_begin", begin_then_lose)
    assert queue.enqueue("client", "j1", {"amount": 1}, 100, "j1", None) is True  # no Unavailable raised
    monkeypatch.undo()
    submitted = [e for e in pg.events() if e.kind == "submitted"]
    assert [e.job_id for e in submitted] == ["j1"]
    assert queue.enqueue("client", "j2", {"amount": 2}, 100, "j2", None) is True  # a fresh connection
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
