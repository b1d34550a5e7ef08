"""run(scenario, policy, seed, plan) -> RunRecord: wires one run and returns its evidence.

A pure function of its arguments: the same inputs give a byte-identical history.
"""

from __future__ import annotations

import gc
import random
from typing import Any

from runtime import history as ev
from runtime.client import Client, Relay
from runtime.errors import BadInputError
from runtime.faults import CLIENT_BEFORE_BUSINESS_COMMIT, FAULT_POINTS, RELAY_POINTS, FaultInjector, FaultPlan
from runtime.faults import validate_plan as _validate_plan
from runtime.history import History
from runtime.limits import time_limit_ms
from runtime.policies import Policy
from runtime.queue import Queue
from runtime.record import RunRecord, as_json, final_state
from runtime.scenario import Scenario
from runtime.scheduler import Scheduler
from runtime.store import Store
from runtime.supervisor import supervise
from runtime.worker import Worker

REAPER = "reaper"
STORE = "store"
MAX_SEED = 2**64 - 1


class Simulation:
    """The live state of one run. Components reach each other through it."""

    def __init__(self, scenario: Scenario, policy: Policy, seed: int, time_limit: int) -> None:
        self.scenario, self.policy, self.seed, self.time_limit = scenario, policy, seed, time_limit
        self.scheduler = Scheduler(seed)
        self.clock = self.scheduler.clock
        self._streams: dict[str, random.Random] = {}
        self.history = History(self.clock)
        self.faults = FaultInjector(scenario.plan)
        self.store = Store(self.clock, self.history, self.faults, scenario.store_capacity_per_s)
        self.queue = Queue(self.clock, self.history, policy, self.faults, self.store)
        self.client = Client(self)
        self.workers = [Worker(name, self) for name in scenario.workers]
        self.relay = Relay(self) if relay_runs(scenario, policy) else None
        self._quiet_after_ms = self.faults.last_fault_ms()
        self.ended_quiet = False

    def rng_for(self, actor: str) -> random.Random:
        """Each actor draws from its own stream, so one actor's extra draw shifts no other's."""
        stream = self._streams.get(actor)
        if stream is None:
            stream = self._streams[actor] = random.Random(f"{self.seed}:{actor}")
        return stream

    def is_quiet(self) -> bool:
        """Nothing left to do: every request answered, the queue and the outbox empty, no worker or
        relay holding a job (a paused zombie still counts), no fault still due."""
        return (
            self.client.done
            and all(worker.holding is None for worker in self.workers)
            and self.queue.is_idle()
            and not self.store.outbox
            and (self.relay is None or self.relay.holding is None)
            and self.clock.now_ms >= self._quiet_after_ms
        )

    def stop_quiet(self) -> None:
        self.ended_quiet = True
        self.scheduler.stop()

    def header(self) -> dict[str, Any]:
        scenario, policy = self.scenario, self.policy
        return {
            "seed": self.seed,
            "scenario": scenario.name,
            "policy": policy.to_dict(),
            "plan": scenario.plan.to_dict(),
            "attempt_bound": policy.attempt_bound,
            "store_capacity_per_s": scenario.store_capacity_per_s,
            "time_limit_ms": self.time_limit,
            "workers": list(scenario.workers),
            "requests": [
                {"request": job.job_id, "key": job.idempotency_key, "business_row": job.business_row}
                for job in scenario.jobs
            ],
        }

    def start(self) -> None:
        self.history.record(ev.RUN_STARTED, ev.LAB, **as_json(self.header()))
        scheduler = self.scheduler
        for start_ms, end_ms in self.faults.outages:  # first: an outage starts before any call at its instant
            scheduler.spawn(self._outage(start_ms, end_ms), start_ms)
        scheduler.spawn(supervise(self, self.client))
        for worker in self.workers:
            scheduler.spawn(supervise(self, worker))
        if self.policy.lease_ms is not None and self.policy.lease_clock == "store":
            scheduler.spawn(self._reaper(), self.scenario.reaper_interval_ms)
        if self.relay is not None:
            scheduler.spawn(supervise(self, self.relay))

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

    def finish(self) -> RunRecord:
        self.history.record(
            ev.RUN_ENDED,
            ev.LAB,
            reason="quiet" if self.ended_quiet else "time_limit",
            time_limit_ms=self.time_limit,
            final=final_state(self.store, self.queue),
        )
        return RunRecord(
            events=tuple(self.history.events), scenario=self.scenario, policy=self.policy, steps=self.scheduler.steps
        )


def relay_runs(scenario: Scenario, policy: Policy) -> bool:
    return policy.outbox and any(job.business_row for job in scenario.jobs)


def reached_points(scenario: Scenario, policy: Policy) -> set[str]:
    """The fault points some run of this scenario under this policy can reach."""
    points = set(FAULT_POINTS) - set(RELAY_POINTS)
    if not any(job.business_row for job in scenario.jobs):
        points.discard(CLIENT_BEFORE_BUSINESS_COMMIT)
    if relay_runs(scenario, policy):
        points |= set(RELAY_POINTS)
    return points


def validate_plan(scenario: Scenario, policy: Policy, plan: FaultPlan | None = None) -> None:
    """Bad input if any fault of the plan can never fire in this scenario under this policy."""
    _validate_plan(
        plan if plan is not None else scenario.plan,
        requests=scenario.request_ids,
        workers=scenario.workers,
        reached=reached_points(scenario, policy),
    )


def check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise BadInputError(f"seed must be an integer in [0, 2**64 - 1], got {seed!r}")
    return seed


def run(scenario: Scenario, policy: Policy, seed: int = 0, plan: FaultPlan | None = None) -> RunRecord:
    """Run `scenario` under `policy` with `seed`; `plan` replaces the scenario's fault plan."""
    check_seed(seed)
    if plan is not None:
        scenario = scenario.with_plan(plan)
    validate_plan(scenario, policy)
    sim = Simulation(scenario, policy, seed, time_limit_ms(scenario, policy))
    sim.start()
    # A run allocates thousands of small, long-lived records (events) and no garbage cycles worth
    # collecting mid-run, so the cyclic GC only rescans them; pause it (benchmarks/README.md).
    paused = gc.isenabled()
    gc.disable()
    try:
        sim.scheduler.run(sim.time_limit)
    finally:
        if paused:
            gc.enable()
    return sim.finish()
