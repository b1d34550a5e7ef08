"""run(scenario, policy, seed, plan) -> Result: wires one run and returns its evidence.

A pure function of its arguments: the same inputs give a byte-identical history.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from typing import Any

import attrs

from runtime import history as ev
from runtime.client import Client, Relay
from runtime.errors import BadInputError
from runtime.faults import FaultInjector, FaultPlan
from runtime.history import Event, History
from runtime.policies import Policy
from runtime.queue import Queue
from runtime.scenario import Scenario
from runtime.scheduler import Scheduler
from runtime.store import Store
from runtime.worker import Worker

REAPER = "reaper"
STORE = "store"


@attrs.frozen(kw_only=True)
class FinalState:
    """What the store and queue hold when the run ends (the checker's final read)."""

    ledger: tuple[Mapping[str, Any], ...] = attrs.field(hash=False)
    results: Mapping[str, Any] = attrs.field(hash=False)
    dead_letters: Mapping[str, str] = attrs.field(hash=False)
    unfinished: tuple[str, ...]
    """Jobs still in the queue (ready, delayed or leased) at the end."""
    business_rows: tuple[str, ...]


@attrs.frozen(kw_only=True)
class Result:
    scenario: Scenario
    policy: Policy
    seed: int
    events: tuple[Event, ...] = attrs.field(hash=False, repr=False)
    final: FinalState
    end_ms: int
    steps: int

    @property
    def plan(self) -> FaultPlan:
        return self.scenario.plan

    @property
    def digest(self) -> str:
        return ev.digest(self.events)

    def jsonl(self) -> str:
        return ev.to_jsonl(self.events)


class Simulation:
    """The live state of one run. Components reach each other through it."""

    def __init__(self, scenario: Scenario, policy: Policy, seed: int) -> None:
        self.scenario, self.policy = scenario, policy
        self.scheduler = Scheduler(seed)
        self.clock, self.rng = self.scheduler.clock, self.scheduler.rng
        self.history = History(self.clock)
        self.faults = FaultInjector(scenario.plan)
        self.queue = Queue(self.clock, self.history, policy, self.faults)
        self.store = Store(self.clock, self.faults, scenario.store_capacity_per_s)
        self.client = Client(self)
        self.workers = [Worker(name, self) for name in scenario.workers]
        self._quiet_after_ms = self.faults.last_fault_ms()

    def is_quiet(self) -> bool:
        """Nothing left to do: every request submitted, the queue empty, no worker holding a
        job (a paused zombie still counts), no fault still due."""
        return (
            self.client.done
            and all(worker.holding is None for worker in self.workers)
            and self.queue.is_idle()
            and not self.store.outbox
            and self.clock.now_ms >= self._quiet_after_ms
        )

    def start(self) -> None:
        scheduler = self.scheduler
        scheduler.spawn(self.client.run())
        for worker in self.workers:
            scheduler.spawn(worker.run())
        if self.policy.lease_ms is not None and self.policy.lease_clock == "store":
            scheduler.spawn(self._reaper(), self.scenario.reaper_interval_ms)
        if self.policy.outbox and any(job.business_row for job in self.scenario.jobs):
            scheduler.spawn(Relay(self).run())
        for start_ms, end_ms in self.faults.outages:
            scheduler.spawn(self._outage(start_ms, end_ms), start_ms)

    def _reaper(self):
        """Reclaims expired leases by the store's clock, with the policy's safety margin."""
        interval, margin = self.scenario.reaper_interval_ms, self.policy.lease_margin_ms
        while True:
            self.queue.reap(REAPER, self.clock.now_ms, margin)
            if self.is_quiet():
                return
            yield interval

    def _outage(self, start_ms: int, end_ms: int):
        self.history.record(ev.OUTAGE_STARTED, STORE, until_ms=end_ms)
        yield end_ms - start_ms
        self.history.record(ev.OUTAGE_ENDED, STORE)

    def result(self, seed: int) -> Result:
        store, queue = self.store, self.queue
        return Result(
            scenario=self.scenario,
            policy=self.policy,
            seed=seed,
            events=tuple(self.history.events),
            final=FinalState(
                ledger=tuple(store.ledger),
                results=dict(store.results),
                dead_letters=dict(queue.dead_letters),
                unfinished=tuple(queue.messages),
                business_rows=tuple(store.business_rows),
            ),
            end_ms=self.clock.now_ms,
            steps=self.scheduler.steps,
        )


def check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise BadInputError(f"seed must be a non-negative integer, got {seed!r}")
    return seed


def run(scenario: Scenario, policy: Policy, seed: int = 0, plan: FaultPlan | None = None) -> Result:
    """Run `scenario` under `policy` with `seed`; `plan` replaces the scenario's fault plan."""
    check_seed(seed)
    if plan is not None:
        scenario = scenario.with_plan(plan)
    sim = Simulation(scenario, policy, seed)
    sim.start()
    # A run allocates thousands of small, long-lived records (events) and no garbage cycles worth
    # collecting mid-run, so the cyclic GC only rescans them; pause it (benchmarks/README.md).
    paused = gc.isenabled()
    gc.disable()
    try:
        sim.scheduler.run(scenario.horizon_ms)
    finally:
        if paused:
            gc.enable()
    return sim.result(seed)
