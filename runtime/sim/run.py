"""run(scenario, policy, seed, plan) -> RunRecord: the simulated world, wired for one run.

A pure function of its arguments: the same inputs give a byte-identical history.
"""

from __future__ import annotations

from typing import Any

from runtime.core import history as ev
from runtime.core.brokered import BrokeredQueue
from runtime.core.client import Caller
from runtime.core.faults import (
    CLIENT,
    OPERATOR,
    RELAY,
    WORKER_CLOCK,
    FaultPlan,
    Redrive,
)
from runtime.core.limits import time_limit_ms
from runtime.core.policy import Policy
from runtime.core.record import RunRecord, final_state, gc_paused, run_header
from runtime.core.roles import protocol_of
from runtime.core.scenario import Scenario, check_seed, relay_runs, shaped_jobs, validate_plan
from runtime.sim.broker import Broker
from runtime.sim.driver import Actor, Driver
from runtime.sim.injector import FaultInjector
from runtime.sim.queue import Queue
from runtime.sim.runs import Runs
from runtime.sim.scheduler import Poll, Process, Scheduler
from runtime.sim.sink import History
from runtime.sim.store import Store

REAPER = "reaper"
TRIGGER = "trigger"
STORE = "store"


class Simulation:
    """The live state of one run: the in-memory ports, the injector, the actors."""

    def __init__(self, scenario: Scenario, policy: Policy, seed: int, time_limit: int) -> None:
        self.scenario, self.policy, self.seed, self.time_limit = scenario, policy, seed, time_limit
        self.scheduler = Scheduler(self.next_change_ms)
        self.clock = self.scheduler.clock
        self.history = History(self.clock)
        self.injector = FaultInjector(scenario.plan, self.clock)
        self.store = Store(self.clock, self.history, self.injector, scenario.store_capacity_per_s)
        self.queue: Any = Queue(self.clock, self.history, policy, self.injector, self.store)
        if scenario.broker is not None:  # RabbitMQ delivers the queue's jobs (runtime/core/brokered.py)
            self.broker = Broker(
                self.clock,
                prefetch=scenario.prefetch,
                confirms=policy.publisher_confirms,
                consumer_timeout_ms=scenario.consumer_timeout_ms,
            )
            self.queue = BrokeredQueue(self.queue, self.broker, policy, self.history.record, self.injector)
        self.runs = (
            Runs(self.clock, self.history, self.store, self.queue, scenario.plan, scenario.leader_lock == "redis")
            if scenario.workflow is not None
            else None
        )
        self.caller = Caller(shaped_jobs(scenario))
        self.driver = Driver(self)
        self.client = self._client()
        self.workers = [self._worker(name) for name in scenario.workers]
        self.relay = self._relay() if relay_runs(scenario, policy) else None
        self.dispatchers = [self._dispatcher(name) for name in scenario.dispatchers] if self.runs else []
        self.leaders = self._leaders() if self.runs else []
        self._dispatcher_processes: list = []
        self._redrives = sorted(f.at_ms for f in scenario.plan.of_kind(Redrive))
        self._redrives_left = len(self._redrives)
        self._quiet_after_ms = max(self.injector.last_fault_ms(), *self._redrives, 0)
        self._max_skew_ms = max((actor.skew_ms for actor in self.workers), default=0)
        self.ended_quiet = False
        # Their scheduler processes, once started.
        self._reaper_process: Process | None = None
        self._relay_process: Process | None = None

    def stream(self, actor: str) -> str:
        """The seed of the actor's own random stream: one actor's extra draw shifts no other's."""
        return f"{self.seed}:{actor}"

    def _actor(self, name: str, role: str, **options) -> Actor:
        """An actor running `role`'s protocol (runtime.core.roles, the wiring both worlds share)."""
        scenario, policy, caller = self.scenario, self.policy, self.caller
        points = self.injector.live_points(name)
        actor: Actor = Actor(
            name,
            role,
            lambda: protocol_of(role, name, scenario, policy, points=points, draw=actor.draw, caller=caller),
            self.stream(name),
            **options,
        )
        return actor

    def _worker(self, name: str) -> Actor:
        skew = self.injector.at(WORKER_CLOCK, name)
        queue = self.queue
        # A worker that dies loses its broker connection: the broker requeues what it held unacked.
        on_crash = (lambda: queue.connection_lost(name)) if isinstance(queue, BrokeredQueue) else None
        return self._actor(name, "worker", skew_ms=skew.skew_ms if skew is not None else 0, on_crash=on_crash)

    def _client(self) -> Actor:
        caller, resubmits = self.caller, self.policy.client_resubmits
        return self._actor(
            CLIENT,
            "client",
            on_crash=lambda: caller.client_crashed(resubmits),
            held=lambda: caller.in_flight,
        )

    def _relay(self) -> Actor:
        return self._actor(RELAY, "relay")

    def _dispatcher(self, name: str) -> Actor:
        runs = self.runs
        assert runs is not None, "a dispatcher runs only with a workflow"
        return self._actor(name, "dispatcher", on_crash=lambda: runs.release_notes(name))

    def _leaders(self) -> list[Actor]:
        """The processes that start runs: the on-demand trigger, the schedulers."""
        actors = [self._actor(TRIGGER, "trigger")] if self.scenario.triggers else []
        return actors + [self._actor(name, "scheduler") for name in self.scenario.schedulers]

    def is_quiet(self) -> bool:
        """Nothing left to do: every request answered, the queue and the outbox empty, no worker or
        relay holding a job (a paused zombie still counts), no fault still due; with a workflow,
        every run started and no completion note waiting."""
        return (  # the cheap conditions first: an idle poll mostly finds the queue busy
            self.caller.finished
            and self.queue.is_idle()
            and self.clock.now_ms >= self._quiet_after_ms
            and not self.store.outbox_pending()
            and (self.relay is None or self.relay.holding is None)
            and all(actor.holding is None for actor in self.workers)
            and (self.runs is None or self._workflow_quiet())
            and not self._redrives_left
        )

    def _workflow_quiet(self) -> bool:
        return (
            all(actor.done for actor in self.leaders)
            and all(actor.holding is None for actor in self.dispatchers)
            and self.runs is not None
            and not self.runs.notes_waiting()
        )

    def next_change_ms(self, horizon_ms: int) -> int | None:
        """For the scheduler: the earliest time before `horizon_ms` (else `horizon_ms`) that something a
        poll looks at can change without any process running (a retry due, an expired lease reclaimed,
        an outbox row published, the last fault ending), or None when a poll would see something now
        (a visible job, a quiet system)."""
        change = self.queue.next_change_ms(horizon_ms, self._max_skew_ms, self._reaped_at)
        if change is None:
            return None
        if self.store.outbox_pending():
            # The rows reach the queue when the relay next runs (a sleeping or polling relay).
            relay = self.scheduler.next_run_ms(self._relay_process, self.clock.now_ms)
            if relay is None:
                return None
            change = min(change, relay)
        elif self.runs is not None and self.runs.free_notes():
            # A note is seen when a dispatcher next looks.
            now, next_run = self.clock.now_ms, self.scheduler.next_run_ms
            looks = [time for process in self._dispatcher_processes if (time := next_run(process, now)) is not None]
            if not looks:
                return None
            change = min(change, *looks)
        elif self.is_quiet():
            return None
        if self.clock.now_ms < self._quiet_after_ms:
            change = min(change, self._quiet_after_ms)
        return change

    def _reaped_at(self, due_ms: int) -> int:
        """The reaper's first pass at or after `due_ms` (an expired lease is reclaimed only then)."""
        reaper = self.scheduler.next_run_ms(self._reaper_process, due_ms)
        return due_ms if reaper is None else reaper

    def stop_quiet(self) -> None:
        self.ended_quiet = True
        self.scheduler.stop()

    def header(self) -> dict[str, Any]:
        return run_header(self.scenario, self.policy, self.seed, self.time_limit)

    def start(self) -> None:
        self.history.record_detail(ev.RUN_STARTED, ev.LAB, None, None, None, self.header())
        scheduler, driver = self.scheduler, self.driver
        for start_ms, end_ms in self.injector.outage_windows:  # first: an outage starts before any call
            scheduler.spawn(self._outage(start_ms, end_ms), start_ms)
        scheduler.spawn(driver.process(self.client))
        for actor in self.workers:
            scheduler.spawn(driver.process(actor))
        if self.policy.lease_ms is not None and self.policy.lease_clock == "store":
            self._reaper_process = reaper = self._reaper()
            scheduler.spawn(reaper, self.scenario.reaper_interval_ms)
        if self.relay is not None:
            self._relay_process = relay = driver.process(self.relay)
            scheduler.spawn(relay)
        for at_ms in self._redrives:
            scheduler.spawn(self._operator(), at_ms)
        for actor in self.leaders:
            scheduler.spawn(driver.process(actor))
        for actor in self.dispatchers:
            process = driver.process(actor)
            self._dispatcher_processes.append(process)
            scheduler.spawn(process)

    def _reaper(self):
        """Reclaims expired leases by the store's clock, with the policy's safety margin."""
        interval, margin = Poll(self.scenario.reaper_interval_ms), self.policy.lease_margin_ms
        while True:
            self.queue.reap(REAPER, self.clock.now_ms, margin)
            if self.is_quiet():
                return
            yield interval

    def _operator(self):
        """A planned dead-letter redrive: the operator moves the dead letters back, as the policy says."""
        self.queue.redrive(OPERATOR, self.policy.redrive_ids == "keep")
        self._redrives_left -= 1
        return
        yield  # a process (the scheduler runs it once, at its time)

    def _outage(self, start_ms: int, end_ms: int):
        self.history.record(ev.OUTAGE_STARTED, STORE, None, None, None, end_ms)
        yield end_ms - start_ms
        self.history.record(ev.OUTAGE_ENDED, STORE)

    def finish(self) -> RunRecord:
        reason = "quiet" if self.ended_quiet else "time_limit"
        self.history.record(
            ev.RUN_ENDED,
            ev.LAB,
            None,
            None,
            None,
            reason,
            self.time_limit,
            final_state(self.queue, self.store, self.runs),
        )
        return RunRecord(
            events=tuple(self.history.events), scenario=self.scenario, policy=self.policy, steps=self.scheduler.steps
        )

    def close(self) -> None:
        """Break the run's reference cycles (processes <-> driver <-> simulation), so that reference
        counting frees the whole simulation when the run ends, with no work left for the GC."""
        self.scheduler.close()
        self.driver.close()


def run(scenario: Scenario, policy: Policy, seed: int = 0, plan: FaultPlan | None = None) -> RunRecord:
    """Run `scenario` under `policy` with `seed`; `plan` replaces the scenario's fault plan.

    Every actor runs its protocol from runtime/core, each effect answered by the driver. The scheduler
    skips idle polls that would find nothing (the history is the one polling tick by tick gives:
    tests/sim/test_idle_polls.py)."""
    check_seed(seed)
    if plan is not None:
        scenario = scenario.with_plan(plan)
    validate_plan(scenario, policy)
    sim = Simulation(scenario, policy, seed, time_limit_ms(scenario, policy))
    with gc_paused():
        sim.start()
        try:
            sim.scheduler.run(sim.time_limit)
            return sim.finish()
        finally:
            sim.close()
