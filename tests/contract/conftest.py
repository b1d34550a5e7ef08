"""The port contract: every QueuePort/StorePort/RunsPort implementation gets the same tests. A `world` is one
implementation's queue and store sharing a lease table, its history, and a way to let time pass."""

from __future__ import annotations

import attrs
import pytest

from runtime.core.faults import FaultPlan
from runtime.core.policy import Policy
from runtime.real.db import Database, ManualClock
from runtime.real.injector import install_plan
from runtime.real.outage import Outage
from runtime.real.queue import SqlQueue
from runtime.real.runs import SqlRuns
from runtime.real.store import SqlStore
from runtime.sim.clock import VirtualClock
from runtime.sim.injector import FaultInjector
from runtime.sim.queue import Queue
from runtime.sim.runs import Runs
from runtime.sim.sink import History
from runtime.sim.store import Store


@attrs.define
class World:
    queue: object
    store: object
    events: object  # () -> list of Event, in order
    advance: object  # (ms) -> None: let time pass
    now: object  # () -> ms
    simulated: bool  # the in-memory world (the SQL worlds take their database away for real)
    runs: object = None  # the RunsPort over the same queue and store


def memory_world(policy: Policy, plan: FaultPlan | None = None, capacity: int | None = None) -> World:
    clock = VirtualClock()
    history = History(clock)
    injector = FaultInjector(plan or FaultPlan(), clock)
    store = Store(clock, history, injector, capacity)
    queue = Queue(clock, history, policy, injector, store)
    return World(
        queue,
        store,
        lambda: list(history.events),
        lambda ms: clock.advance_to(clock.now_ms + ms),
        lambda: clock.now_ms,
        True,
        Runs(clock, history, store, queue),
    )


def sql_world(url: str):
    """A World over the SQL ports on a fresh schema at `url`, its clock moved by hand. During a plan's
    store outage the database is taken away for real (runtime/real/outage.py)."""

    def make(policy: Policy, plan: FaultPlan | None = None, capacity: int | None = None) -> World:
        plan = plan or FaultPlan()
        clock = ManualClock()
        db = Database(url, clock=clock)
        db.reset()
        install_plan(db, plan)
        outages = plan.outages()
        handles: list[Outage | None] = [None] * len(outages)

        def advance(ms: int) -> None:
            clock.advance(ms)
            for n, outage in enumerate(outages):
                handle = handles[n]
                if handle is None and outage.start_ms <= clock.now_ms < outage.end_ms:
                    handles[n] = Outage(db)
                elif handle is not None and clock.now_ms >= outage.end_ms:
                    handle.give_back()
                    handles[n] = None

        advance(0)
        queue = SqlQueue(db, policy)
        return World(queue, SqlStore(db, capacity), db.events, advance, lambda: clock.now_ms, False, SqlRuns(db, queue))

    return make


IMPLEMENTATIONS = {"memory": memory_world, "sqlite": "sqlite", "postgres": "postgres"}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def make_world(request, tmp_path):
    """make_world(policy, plan=None, capacity=None) -> World, for each implementation."""
    if request.param == "memory":
        return memory_world
    if request.param == "sqlite":
        return sql_world(str(tmp_path / "contract.sqlite"))
    return sql_world(request.getfixturevalue("postgres_url"))
