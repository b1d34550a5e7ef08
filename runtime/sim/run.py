"""run(scenario, policy, seed, plan) -> RunRecord: the simulated world, wired for one run.

A pure function of its arguments: the same inputs give a byte-identical history.
"""

from __future__ import annotations

import gc
import random
from typing import Any

from runtime.core import history as ev
from runtime.core.client import Caller, client
from runtime.core.faults import CLIENT, RELAY, WORKER_CLOCK, FaultPlan
from runtime.core.limits import time_limit_ms
from runtime.core.policy import Policy
from runtime.core.record import RunRecord, as_json, final_state
from runtime.core.relay import relay
from runtime.core.scenario import Scenario, check_seed, relay_runs, shaped_jobs, validate_plan
from runtime.core.worker import worker
from runtime.sim.driver import Actor, Driver
from runtime.sim.injector import FaultInjector
from runtime.sim.queue import Queue
from runtime.sim.scheduler import Scheduler
from runtime.sim.sink import History
from runtime.sim.store import Store

FAST_LANE = True
"""Workers no fault can reach take the driver's fast lane; `make mutants` turns it off so that every
planted bug meets the protocol itself (tests/test_fast_lane.py proves both give the same bytes)."""
REAPER = "reaper"
STORE = "store"


class Simulation:
    """The live state of one run: the in-memory ports, the injector, the actors."""

    def __init__(self, scenario: Scenario, policy: Policy, seed: int, time_limit: int, fast_lane: bool = True) -> None:
        self.scenario, self.policy, self.seed, self.time_limit = scenario, policy, seed, time_limit
        self.fast_lane = fast_lane
        self.scheduler = Scheduler()
        self.clock = self.scheduler.clock
        self.history = History(self.clock)
        self.injector = FaultInjector(scenario.plan, self.clock)
        self.store = Store(self.clock, self.history, self.injector, scenario.store_capacity_per_s)
        self.queue = Queue(self.clock, self.history, policy, self.injector, self.store)
        self.caller = Caller(shaped_jobs(scenario))
        self.driver = Driver(self)
        self.client = self._client()
        self.workers = [self._worker(name) for name in scenario.workers]
        self.relay = self._relay() if relay_runs(scenario, policy) else None
        self._quiet_after_ms = self.injector.last_fault_ms()
        self.ended_quiet = False

    def stream(self, actor: str) -> random.Random:
        """Each actor draws from its own stream, so one actor's extra draw shifts no other's."""
        return random.Random(f"{self.seed}:{actor}")

    def _worker(self, name: str) -> Actor:
        policy, scenario = self.policy, self.scenario
        points = self.injector.has_point_faults(name, worker=True)
        skew = self.injector.at(WORKER_CLOCK, name)
        actor = Actor(
            name,
            "worker",
            lambda: worker(
                name, policy, poll_ms=scenario.poll_ms, jitter_ms=scenario.duration_jitter_ms, check_points=points
            ),
            self.stream(name),
            skew_ms=skew.skew_ms if skew is not None else 0,
        )
        actor.fast = not points  # no fault can reach it: eligible for the driver's fast lane
        return actor

    def _client(self) -> Actor:
        policy, scenario, caller = self.policy, self.scenario, self.caller
        points = self.injector.has_point_faults(CLIENT)
        return Actor(
            CLIENT,
            "client",
            lambda: client(
                caller,
                policy,
                retry_ms=scenario.client_retry_ms,
                pace_ms=scenario.client_pace_ms,
                check_points=points,
            ),
            self.stream(CLIENT),
            on_crash=lambda: caller.client_crashed(policy.client_resubmits),
            held=lambda: caller.in_flight,
        )

    def _relay(self) -> Actor:
        points = self.injector.has_point_faults(RELAY)
        poll_ms = self.scenario.poll_ms
        return Actor(RELAY, "relay", lambda: relay(poll_ms=poll_ms, check_points=points), self.stream(RELAY))

    def is_quiet(self) -> bool:
        """Nothing left to do: every request answered, the queue and the outbox empty, no worker or
        relay holding a job (a paused zombie still counts), no fault still due."""
        return (  # the cheap conditions first: an idle poll mostly finds the queue busy
            self.caller.finished
            and self.queue.is_idle()
            and self.clock.now_ms >= self._quiet_after_ms
            and not self.store.outbox_pending()
            and (self.relay is None or self.relay.holding is None)
            and all(actor.holding is None for actor in self.workers)
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
        scheduler, driver = self.scheduler, self.driver
        for start_ms, end_ms in self.injector.outage_windows:  # first: an outage starts before any call
            scheduler.spawn(self._outage(start_ms, end_ms), start_ms)
        scheduler.spawn(driver.process(self.client))
        for actor in self.workers:
            fast = self.fast_lane and actor.fast
            scheduler.spawn(driver.fast_worker(actor) if fast else driver.process(actor))
        if self.policy.lease_ms is not None and self.policy.lease_clock == "store":
            scheduler.spawn(self._reaper(), self.scenario.reaper_interval_ms)
        if self.relay is not None:
            scheduler.spawn(driver.process(self.relay))

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
            final=final_state(self.queue, self.store),
        )
        return RunRecord(
            events=tuple(self.history.events), scenario=self.scenario, policy=self.policy, steps=self.scheduler.steps
        )


def run(
    scenario: Scenario, policy: Policy, seed: int = 0, plan: FaultPlan | None = None, *, fast_lane: bool | None = None
) -> RunRecord:
    """Run `scenario` under `policy` with `seed`; `plan` replaces the scenario's fault plan.
    `fast_lane=False` runs every worker through the effect protocol (the histories are identical)."""
    check_seed(seed)
    if plan is not None:
        scenario = scenario.with_plan(plan)
    validate_plan(scenario, policy)
    fast = FAST_LANE if fast_lane is None else fast_lane
    sim = Simulation(scenario, policy, seed, time_limit_ms(scenario, policy), fast)
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
