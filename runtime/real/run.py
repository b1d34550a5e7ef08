"""run_real(scenario, policy, seed, plan, db_url=...) -> RunRecord: the real world, wired for one run.

The supervisor (this process) resets the database, forks one OS process per actor (the client, each
worker, the relay), each running its runtime.core protocol through the real driver, and then:

- records `crashed` for a process that SIGKILLed itself at a fault point (from what it wrote down
  before dying) and starts a new incarnation after the scenario's restart delay (`restarted`);
- sends SIGCONT to a process that froze itself for a planned pause, when the pause is over;
- runs the reaper (leases judged by the transaction's time);
- takes the database away for each planned store outage (SQLite: it holds the write lock;
  Postgres: connections are refused and open ones terminated);
- ends the run when the system is quiet or at the time limit, reads the final state back from the
  tables, records `run_ended`, and returns the history read from the database.

Virtual milliseconds map to real ones times `scale` (the FM timings are in virtual ms).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
import uuid
from typing import Any

from runtime.core import history as ev
from runtime.core.bite import unbitten
from runtime.core.brokered import BrokeredQueue
from runtime.core.client import Caller
from runtime.core.errors import BadInputError
from runtime.core.faults import (
    CLIENT,
    OPERATOR,
    RELAY,
    FaultPlan,
    LostPublish,
    Redrive,
)
from runtime.core.limits import time_limit_ms
from runtime.core.policy import Policy
from runtime.core.record import RunRecord, final_state, run_header
from runtime.core.roles import protocol_of
from runtime.core.scenario import Scenario, check_seed, relay_runs, shaped_jobs, validate_plan
from runtime.real import actors
from runtime.real.broker import DEFAULT_BROKER_URL, RabbitBroker
from runtime.real.children import Children, killed
from runtime.real.db import Database, Unavailable, detail_json, retry
from runtime.real.driver import RealDriver, is_quiet, load_caller, save_caller
from runtime.real.injector import RealInjector, install_plan
from runtime.real.lock import DEFAULT_LOCK_URL, RedisLock
from runtime.real.outage import Outage
from runtime.real.queries import queries
from runtime.real.queue import SqlQueue
from runtime.real.runs import SqlRuns
from runtime.real.store import SqlStore

SQL = queries("run")

REAPER = "reaper"
TRIGGER = "trigger"
TICK_S = 0.002
POLL_S = 0.005  # how long a worker's look at the broker waits for a delivery (its poll loop waits the rest)
READY_S = 30.0  # how long the supervisor waits for its actors to connect before the run starts
EPOCH_BYTES = 32  # the run's epoch as each actor reads it from the gate (one small, atomic pipe write each)


class Supervisor:
    def __init__(
        self,
        scenario: Scenario,
        policy: Policy,
        seed: int,
        db: Database,
        time_limit: int,
        lock: RedisLock | None = None,
        broker: RabbitBroker | None = None,
    ) -> None:
        self.scenario, self.policy, self.seed, self.db, self.time_limit = scenario, policy, seed, db, time_limit
        self.queue: Any = SqlQueue(db, policy)
        self.store = SqlStore(db, scenario.store_capacity_per_s)
        self.injector = RealInjector(db, scenario.plan)
        if broker is not None:  # RabbitMQ delivers the queue's jobs (runtime/core/brokered.py)
            self.queue = BrokeredQueue(self.queue, broker, policy, db.record_event, self.injector)
        self.lock = lock if scenario.workflow is not None else None
        self.runs = SqlRuns(db, self.queue, scenario.plan, self.lock) if scenario.workflow is not None else None
        self.quiet_after_ms = max((o.end_ms for o in scenario.plan.outages()), default=0)
        self.actors = [CLIENT, *scenario.workers] + ([RELAY] if relay_runs(scenario, policy) else [])
        self.roles = dict(scenario.workflow_actors)
        if scenario.workflow is not None:
            if scenario.triggers:
                self.roles[TRIGGER] = "trigger"
            self.actors += list(self.roles)
        self.children = Children(db)
        self.dead: list[str] = []  # actors SIGKILLed at a point, their crash not yet recorded
        self.pauses = tempfile.mkdtemp(prefix="faultline-pauses-")  # where a pausing actor leaves its duration
        self.started: set[str] = set()  # actors with a first incarnation already forked
        self.restarts: dict[str, float] = {}  # actor -> real time it restarts
        self.thaws: dict[int, float] = {}  # pid of a frozen process -> real time of its SIGCONT
        self.outages = sorted((o.start_ms, o.end_ms) for o in scenario.plan.outages())
        self.redrives = sorted(f.at_ms for f in scenario.plan.of_kind(Redrive))
        self.more_work = scenario.workflow is not None or bool(self.redrives)
        self.quiet_after_ms = max(self.quiet_after_ms, *self.redrives, 0)
        self._lock: Outage | None = None  # what holds the database away during an outage
        self._gate: tuple[int, int] | None = None  # first incarnations wait here until the run starts
        self._ready: tuple[int, int] | None = None  # ... after saying here that they are connected
        self.ended_quiet = False

    # -- processes -------------------------------------------------------------------------
    def spawn(self, name: str) -> None:
        self.children.spawn(name, self._child)
        self.started.add(name)

    def _child(self, name: str) -> None:
        self.db.pending.clear()
        if self._gate is not None and self._ready is not None:  # connect, say so, wait: the clock starts at the gate
            os.close(self._gate[1])
            os.close(self._ready[0])
            retry(self.db, lambda: self.db.read(SQL.child_select_actors, (name,)))
            os.write(self._ready[1], b"+")
            os.close(self._ready[1])
            epoch = os.read(self._gate[0], EPOCH_BYTES)  # the run's time 0, through the gate (no db needed)
            os.close(self._gate[0])
            self.db.epoch_ms = float(epoch)
        self.protocol(name)

    def protocol(self, name: str) -> None:
        scenario, policy, db = self.scenario, self.policy, self.db
        driver = RealDriver(
            db,
            self.queue,
            self.store,
            self.injector,
            name=name,
            seed=f"{self.seed}:{name}",
            quiet_after_ms=self.quiet_after_ms,
            rank=self._rank(name),
            runs=self.runs,
        )
        driver.more_work = self.more_work
        driver.pauses = self.pauses
        role = self.roles.get(name) or (name if name in (CLIENT, RELAY) else "worker")
        if role == "client":
            caller = driver.caller = Caller(shaped_jobs(scenario))
            retry(db, lambda: load_caller(db, caller))
        elif role == "scheduler" and name not in self.started:
            driver.poll_wait(scenario.poll_ms)  # contend for the lock in the scenario's order, as in the simulator
        else:  # a dispatcher looks, and a worker's first incarnation polls, on the run's grid
            driver.first_poll_on_grid = role == "dispatcher" or (role == "worker" and name not in self.started)
        protocol = protocol_of(
            role,
            name,
            scenario,
            policy,
            points=self.injector.live_points(name),
            draw=driver.rng.randint,
            caller=driver.caller,
        )
        driver.run(protocol)
        if role == "client":
            save_caller(db, driver.caller)
        elif role in ("trigger", "scheduler"):
            retry(db, lambda: db.transaction_write(SQL.protocol_update_actors, (name,)))

    def _rank(self, name: str) -> int:
        """Where the process polls on the grid: workers in the scenario's order, dispatchers too."""
        for group in (self.scenario.workers, self.scenario.dispatchers, self.scenario.schedulers):
            if name in group:
                return group.index(name)
        return 0

    def reap_children(self) -> None:
        for pid, name, status in self.children.reaped(stopped=True):
            if os.WIFSTOPPED(status):  # froze itself for a planned pause: its duration is in a file, not the db
                note = os.path.join(self.pauses, str(pid))
                with open(note, encoding="ascii") as stream:
                    pause_ms = int(stream.read())
                os.unlink(note)
                self.thaws[pid] = time.monotonic() + pause_ms * self.db.scale / 1000
                continue
            if killed(status):
                self.dead.append(name)  # recorded once the database answers (at the moment it died)
            elif os.WEXITSTATUS(status) != 0:
                raise RuntimeError(f"{name} (pid {pid}) failed with exit code {os.WEXITSTATUS(status)}; see stderr")

    def record_deaths(self) -> None:
        while self.dead:
            self.crashed(self.dead.pop(0))

    def crashed(self, name: str) -> None:
        """A killed process can't speak: say what it held and where it died, forget its memory (the
        client's in-flight request is what its caller remembers)."""
        held = None
        if name == CLIENT:
            caller = Caller(shaped_jobs(self.scenario))
            retry(self.db, lambda: load_caller(self.db, caller))
            held = (caller.in_flight, None, None) if caller.in_flight is not None else (None, None, None)
            caller.client_crashed(self.policy.client_resubmits)
            save_caller(self.db, caller)
        retry(self.db, lambda: self._in_tx(lambda tx: actors.record_crash(tx, name, held=held)))
        self.restarts[name] = time.monotonic() + self.scenario.restart_delay_ms * self.db.scale / 1000

    def _in_tx(self, body):
        with self.db.transaction() as tx:
            return body(tx)

    def restart_due(self) -> None:
        now = time.monotonic()
        for name, due in sorted(self.restarts.items()):
            if due <= now:
                del self.restarts[name]

                retry(self.db, lambda name=name: self._in_tx(lambda tx: actors.record_restart(tx, name)))
                self.spawn(name)

    def thaw_due(self) -> None:
        """SIGCONT each frozen process whose pause is over (no database needed: it runs in outages too)."""
        now = time.monotonic()
        for pid, due in sorted(self.thaws.items()):
            if due <= now:
                del self.thaws[pid]
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)

    # -- the store taken away ----------------------------------------------------------------
    def outage_step(self, now_ms: int) -> bool:
        """Start or end a planned outage; True while the database is away."""
        if self._lock is None and self.outages and self.outages[0][0] <= now_ms:
            self._lock = Outage(self.db)
        if self._lock is not None:
            start, end = self.outages[0]
            if now_ms < end:
                return True
            self._lock.give_back()
            self.outages.pop(0)
            self._lock = None
        return False

    # -- the run ---------------------------------------------------------------------------
    def start(self) -> None:
        """Fork every actor; each connects to the database and waits at a gate. The run's clock
        starts when all of them are ready (time 0 is the same instant for every actor, however long
        a process took to start), with `run_started`; an outage due at 0 begins before the gate opens."""
        with self.db.transaction() as tx:
            for name in self.actors:
                busy = 1 if self.roles.get(name) in ("trigger", "scheduler") else 0
                tx.run(SQL.start_insert_actors, (name, busy))
            if self.redrives:  # the operator has work to do: the run is not quiet before it is done
                tx.run(SQL.start_insert_actors_2, (OPERATOR,))
        # SQLite is not fork-safe with a connection open (the children would inherit its lock state):
        # the supervisor's is closed before each fork, and the children open their own.
        self._gate, self._ready = os.pipe(), os.pipe()
        for name in self.actors:
            self.spawn(name)
        os.close(self._gate[0])
        os.close(self._ready[1])
        deadline = time.monotonic() + READY_S
        ready = 0
        while ready < len(self.actors) and time.monotonic() < deadline:
            got = os.read(self._ready[0], len(self.actors))
            if not got:
                break  # every child closed its end (one failed before it got ready: reap_children says)
            ready += len(got)
        os.close(self._ready[0])
        header = run_header(self.scenario, self.policy, self.seed, self.time_limit, world="real")
        with self.db.transaction() as tx:  # the header opens the run at its time 0, which starts just after
            detail = detail_json(ev.RUN_STARTED, ev.values_of(ev.RUN_STARTED, header))
            tx.record_at(0, ev.RUN_STARTED, ev.LAB, None, None, None, detail)
        self.db.restart_clock()
        self.outage_step(0)
        stamp = repr(self.db.epoch_ms).encode().ljust(EPOCH_BYTES)
        os.write(self._gate[1], stamp * len(self.actors))  # every first incarnation starts now
        os.close(self._gate[1])
        self._gate = self._ready = None

    def loop(self) -> None:
        reaping = self.policy.lease_ms is not None and self.policy.lease_clock == "store"
        interval_s = self.scenario.reaper_interval_ms * self.db.scale / 1000
        next_reap = time.monotonic() + interval_s
        while True:
            now_ms = self.db.now_ms()
            if now_ms >= self.time_limit:
                return
            away = self.outage_step(now_ms)
            self.reap_children()  # signals, in outages too: a pause ends on time whatever the database does
            self.thaw_due()
            if not away:  # while the database is away, the supervisor's own rows wait
                self.record_deaths()
                self.restart_due()
                try:
                    while self.redrives and self.redrives[0] <= now_ms:  # the operator, at the planned time
                        self._redrive(last=len(self.redrives) == 1)
                        self.redrives.pop(0)
                    if reaping and time.monotonic() >= next_reap:
                        self.queue.reap(REAPER, None, self.policy.lease_margin_ms)
                        next_reap += interval_s
                    if is_quiet(self.db, self.quiet_after_ms, self.more_work):
                        self.ended_quiet = True
                        return
                except Unavailable:
                    pass
            time.sleep(TICK_S)

    def _redrive(self, last: bool) -> None:
        """The planned redrive, and (the last one) the operator's work done, in one transaction."""
        with self.db.transaction() as tx:
            self.queue.redrive_in(tx, OPERATOR, self.policy.redrive_ids == "keep")
            if last:
                tx.run(SQL.protocol_update_actors, (OPERATOR,))

    def finish(self) -> RunRecord:
        self.children.kill_all()
        shutil.rmtree(self.pauses, ignore_errors=True)
        if self._lock is not None:  # the run ended inside an outage: give the database back
            self._lock.give_back()
        self.record_deaths()
        final = final_state(self.queue, self.store, self.runs)
        if self.lock is not None:
            self.lock.clear()
        reason = "quiet" if self.ended_quiet else "time_limit"
        with self.db.transaction() as tx:
            tx.record(ev.RUN_ENDED, ev.LAB, None, None, None, reason, self.time_limit, final)
        events = tuple(self.db.events())
        self.db.close()
        return RunRecord(events=events, scenario=self.scenario, policy=self.policy)


def unfired(record: RunRecord, plan: FaultPlan) -> list[str]:
    """The plan's faults that did not bite (runtime/core/bite.py): a real run is a race, and a worker
    the plan names may never reach its point, an outage may meet no store call."""
    return unbitten(record.events, record.final, plan)


def run_real(
    scenario: Scenario,
    policy: Policy,
    seed: int = 0,
    plan: FaultPlan | None = None,
    *,
    db_url: str,
    scale: float = 1.0,
    tries: int = 5,
    lock_url: str | None = None,
    broker_url: str | None = None,
) -> RunRecord:
    """Run `scenario` under `policy` in the real world on the database at `db_url` (reset first),
    with the schedulers' leader lock in Redis at `lock_url` (default: where the scenario keeps it:
    a row in the database, or the local Redis for `leader_lock="redis"`), and a scenario's broker
    at `broker_url` (default: the local RabbitMQ), on a queue of the run's own, deleted afterwards.

    A run in which a planned fault did not bite proves nothing: it is run again, up to `tries` times,
    and then refused (BadInputError) rather than passed."""
    check_seed(seed)
    if plan is not None:
        scenario = scenario.with_plan(plan)
    validate_plan(scenario, policy)
    if lock_url is None and scenario.leader_lock == "redis":
        lock_url = DEFAULT_LOCK_URL
    if broker_url is None and scenario.broker is not None:
        broker_url = DEFAULT_BROKER_URL
    for _ in range(tries):
        db = Database(db_url, scale=scale)
        lock = RedisLock(lock_url, db) if lock_url is not None else None
        if lock is not None:
            lock.check()
        broker = None  # declared once the database is ready, deleted whatever happens after
        if broker_url is not None:
            queue = f"faultline-run-{uuid.uuid4().hex[:12]}"
            # Through a proxy of their own: a client that loses a publish, workers the delivery timeout cuts.
            proxied = {CLIENT for _ in scenario.plan.of_kind(LostPublish)}
            timeout = scenario.consumer_timeout_ms
            if timeout is not None:
                proxied.update(scenario.workers)
            broker = RabbitBroker(
                broker_url,
                queue,
                prefetch=scenario.prefetch,
                confirms=policy.publisher_confirms,
                wait_s=POLL_S,
                proxied=frozenset(proxied),
                consumer_timeout_s=None if timeout is None else timeout * scale / 1000,
                on_timeout=lambda actor, job_id, db=db: db.record_event(ev.DELIVERY_TIMED_OUT, actor, job_id),
            )
        db.reset()
        install_plan(db, scenario.plan)
        if broker is not None:
            broker.prepare()
        try:
            supervisor = Supervisor(scenario, policy, seed, db, time_limit_ms(scenario, policy), lock, broker)
            try:
                supervisor.start()
                supervisor.loop()
            finally:
                record = supervisor.finish()
        finally:
            if broker is not None:
                broker.delete()
        missing = unfired(record, scenario.plan)
        if not missing:
            return record
    raise BadInputError(
        f"the plan's fault {missing[0]} did not bite in {tries} real runs (which worker leases a job is a race "
        "here): they prove nothing; run it in the simulator, or retry with a larger --time-scale"
    )
