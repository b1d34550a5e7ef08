"""The leader lock kept outside the store (Redis): the in-memory model (runtime/sim/lock.py) and a
real Redis server (runtime/real/lock.py) answer the same calls the same way, and the store judges a
fenced trigger by its token alone. Redis keeps its own time: its world lets real time pass too."""

from __future__ import annotations

import time

import attrs
import pytest

from runtime.core import ports
from runtime.core.faults import FaultPlan
from runtime.core.policy import Policy
from runtime.core.workflow import TaskSpec, WorkflowSpec
from runtime.real.db import Database, ManualClock
from runtime.real.lock import RedisLock
from runtime.real.queue import SqlQueue
from runtime.real.runs import SqlRuns
from runtime.sim.clock import VirtualClock
from runtime.sim.injector import FaultInjector
from runtime.sim.queue import Queue
from runtime.sim.runs import Runs
from runtime.sim.sink import History
from runtime.sim.store import Store

NIGHTLY = WorkflowSpec(name="nightly", tasks=(TaskSpec(name="report"),), schedule_every_ms=1_000)
POLICY = Policy.naive()
LEASE_MS = 1_000


@attrs.define
class LockWorld:
    runs: object
    advance: object  # (ms) -> None
    elected: object  # () -> the epochs of leader_elected, in order
    lock: object = None


def memory() -> LockWorld:
    clock = VirtualClock()
    history = History(clock)
    injector = FaultInjector(FaultPlan(), clock)
    store = Store(clock, history, injector)
    runs = Runs(clock, history, store, Queue(clock, history, POLICY, injector, store), lock_elsewhere=True)
    return LockWorld(
        runs,
        lambda ms: clock.advance_to(clock.now_ms + ms),
        lambda: [e.get("epoch") for e in history.events if e.kind == "leader_elected"],
    )


def redis(url: str, path: str) -> LockWorld:
    clock = ManualClock()
    db = Database(path, clock=clock)
    db.reset()
    lock = RedisLock(url, db)

    def advance(ms: int) -> None:
        clock.advance(ms)
        time.sleep(ms / 1000)  # the key expires on Redis's clock

    def elected() -> list:
        return [e.get("epoch") for e in db.events() if e.kind == "leader_elected"]

    return LockWorld(SqlRuns(db, SqlQueue(db, POLICY), lock=lock), advance, elected, lock)


@pytest.fixture(params=["memory", "redis"])
def world(request, tmp_path):
    if request.param == "memory":
        yield memory()
        return
    made = redis(request.getfixturevalue("redis_url"), str(tmp_path / "lock.sqlite"))
    yield made
    made.lock.clear()


def test_only_the_holder_renews_and_an_expired_lock_goes_to_a_new_epoch(world):
    assert world.runs.acquire_lock("s1", "scheduler", LEASE_MS) == (ports.OK, 1)
    assert world.runs.acquire_lock("s2", "scheduler", LEASE_MS) == (ports.OK, None)
    world.advance(300)
    assert world.runs.acquire_lock("s1", "scheduler", LEASE_MS) == (ports.OK, 1)  # renewed
    world.advance(LEASE_MS + 200)
    assert world.runs.acquire_lock("s2", "scheduler", LEASE_MS) == (ports.OK, 2)
    assert world.runs.acquire_lock("s1", "scheduler", LEASE_MS) == (ports.OK, None)
    assert world.elected() == [1, 2]


def test_the_store_refuses_a_token_older_than_the_newest_it_took(world):
    assert world.runs.acquire_lock("s1", "scheduler", LEASE_MS) == (ports.OK, 1)
    world.advance(LEASE_MS + 200)
    assert world.runs.acquire_lock("s2", "scheduler", LEASE_MS) == (ports.OK, 2)
    assert world.runs.trigger_run("s2", "nightly-t1-e2", NIGHTLY, "nightly", 1, 2, True) == ports.OK
    # The old leader wakes: even for a tick nobody fired yet, its token is stale.
    assert world.runs.trigger_run("s1", "nightly-t2-e1", NIGHTLY, "nightly", 2, 1, True) == ports.FENCED
    assert world.runs.trigger_run("s2", "nightly-t2-e2", NIGHTLY, "nightly", 2, 2, True) == ports.OK
    assert world.runs.trigger_run("s2", "nightly-t2-x", NIGHTLY, "nightly", 2, 2, True) == ports.DUPLICATE_ROW
    # Unfenced (the naive policy), the store takes whatever comes.
    assert world.runs.trigger_run("s1", "nightly-t1-e1", NIGHTLY, "nightly", 1, 1, False) == ports.OK
