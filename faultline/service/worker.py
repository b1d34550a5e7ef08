"""`faultline worker`: a pool of real worker processes serving the job service's queue, with the
simulation's handler semantics (fail_n_times, poison, duration_ms, effects) and Prometheus metrics.

The pool's parent forks N worker processes, each running runtime.core's worker protocol through the
real driver; it restarts one that dies, runs the reaper (lease expiry by the run's clock, in the transaction) and
serves /metrics. Each worker process counts its own lifecycle (prometheus_client's multiprocess
mode); the parent's /metrics adds them up.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from http.server import ThreadingHTTPServer
from typing import Any

from runtime.core import effects as fx
from runtime.core.brokered import BrokeredQueue
from runtime.core.faults import FaultPlan
from runtime.core.ports import STORE_ERRORS
from runtime.core.worker import worker
from runtime.core.workflow.processes import dispatcher
from runtime.real import actors
from runtime.real.children import Children, how_it_ended
from runtime.real.db import SERVICE_BUSY_MS, Database, Unavailable, retry
from runtime.real.driver import RealDriver
from runtime.real.injector import RealInjector
from runtime.real.queue import SqlQueue
from runtime.real.runs import SqlRuns
from runtime.real.store import SqlStore

REAPER = "reaper"
DISPATCHER = "dispatcher"
POLL_MS = 10  # an idle worker's poll: a new job waits 5 ms on average
RESTART_S = 0.2


class Metrics:
    """The worker side's lifecycle counters and execution-time histogram (one set per process)."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Histogram

        self.leased = Counter("faultline_worker_jobs_leased", "Leases granted to this pool")
        self.succeeded = Counter("faultline_worker_jobs_succeeded", "Attempts whose effect committed and was acked")
        self.failed = Counter("faultline_worker_jobs_failed", "Attempts that failed (handler or store error)")
        self.retried = Counter("faultline_worker_jobs_retried", "Failed attempts scheduled for a retry")
        self.dead = Counter("faultline_worker_jobs_dead_lettered", "Jobs dead-lettered by a worker")
        self.refused = Counter(
            "faultline_worker_payloads_refused",
            "Stored jobs dead-lettered at lease because their payload cannot be interpreted (never run)",
        )
        self.store_errors = Counter(
            "faultline_worker_store_errors", "Commits the store refused (unavailable, overloaded)"
        )
        self.duration = Histogram(
            "faultline_worker_execution_seconds",
            "From lease to ack or failure report",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )


class Observed(RealDriver):
    """The real driver, counting what each effect's answer means for the job's lifecycle."""

    def __init__(self, *args, metrics: Metrics, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.metrics, self._leased_at = metrics, None

    def answer(self, effect):
        result = super().answer(effect)
        kind, m = effect[0], self.metrics
        refused = getattr(self.queue, "refused", 0)
        if refused:
            m.refused.inc(refused)
            self.queue.refused = 0
        if kind in (fx.NextJob, fx.Lease) and result is not None:
            m.leased.inc()
            self._leased_at = time.perf_counter()
        elif kind is fx.Ack and result and not effect[2]:  # (Ack, delivery, on_receipt)
            m.succeeded.inc()
            self._observe()
        elif kind is fx.Commit and result in STORE_ERRORS:
            m.store_errors.inc()
        elif kind is fx.Fail and result:
            m.failed.inc()
            (m.retried if effect[4] is not None else m.dead).inc()  # (Fail, delivery, error, reason, delay_ms, ...)
            self._observe()
        return result

    def _observe(self) -> None:
        if self._leased_at is not None:
            self.metrics.duration.observe(time.perf_counter() - self._leased_at)
            self._leased_at = None


class Pool:
    def __init__(self, db_url: str, policy, concurrency: int, prefix: str = "w", broker=None) -> None:
        """`broker`: a RabbitBroker that delivers the jobs (runtime/core/brokered.py), or None."""
        self.db_url, self.policy, self.concurrency, self.broker = db_url, policy, concurrency, broker
        # The workers, and one dispatcher that moves workflow runs along (docs/12_workflows.md).
        self.names = [f"{prefix}{n}" for n in range(1, concurrency + 1)] + [DISPATCHER]
        self.db = Database(db_url, busy_ms=SERVICE_BUSY_MS)  # a commit waits for the routes' writes
        self.children = Children(self.db)
        self.stopping = False
        self._reaper: Any = None

    def open_database(self, say=None) -> bool:
        """Migrate and set up the database, waiting out one that is locked or away; False when told to
        stop first."""
        return wait_for_database(self.db, "faultline worker", say, lambda: self.stopping)

    def spawn(self, name: str) -> None:
        self.children.spawn(name, self.serve)

    def serve(self, name: str) -> None:
        db = self.db

        retry(db, lambda: self._in_tx(lambda tx: actors.register(tx, name, os.getpid())))
        queue = self._queue(db)
        driver = Observed(
            db,
            queue,
            SqlStore(db),
            RealInjector(db, FaultPlan()),
            name=name,
            seed=name,
            quiet_after_ms=2**62,  # a service is never quiet: workers poll until stopped
            metrics=Metrics(),
            runs=SqlRuns(db, queue),
        )
        if name == DISPATCHER:
            driver.run(dispatcher(self.policy, poll_ms=POLL_MS, dispatch_ms=0, points=frozenset()))
        else:
            # A new message wakes an idle worker at once (Postgres; a broker pushes its deliveries).
            driver.wait = (db.listener() if self.broker is None else None) or time.sleep
            driver.run(
                worker(name, self.policy, poll_ms=POLL_MS, jitter_ms=0, draw=driver.rng.randint, points=frozenset())
            )

    def run(self, metrics_port: int | None, host: str = "127.0.0.1", ready=None, say=None) -> None:
        expired = None
        server = None
        if metrics_port is not None:
            from prometheus_client import CollectorRegistry, Counter, multiprocess
            from prometheus_client.exposition import MetricsHandler

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            expired = Counter("faultline_worker_lease_expiries", "Leases the reaper reclaimed")
            server = ThreadingHTTPServer((host, metrics_port), MetricsHandler.factory(registry))
            import threading

            threading.Thread(target=server.serve_forever, daemon=True).start()
        if not self.open_database(say):
            if server is not None:
                server.shutdown()
            return
        for name in self.names:
            self.spawn(name)
        if ready is not None:
            ready()
        reaping = self.policy.lease_ms is not None and self.policy.lease_clock == "store"
        try:
            while not self.stopping:
                self.reap_children()
                if reaping:
                    try:
                        count = self.queue_reap()
                    except Unavailable:
                        count = 0
                    if count and expired is not None:
                        expired.inc(count)
                time.sleep(0.05)
        finally:
            self.children.kill_all()
            if server is not None:
                server.shutdown()

    def _queue(self, db: Database):
        """This process's queue: the database's, delivered by the broker when there is one."""
        queue = SqlQueue(db, self.policy)
        return queue if self.broker is None else BrokeredQueue(queue, self.broker, self.policy, db.record_event)

    def queue_reap(self) -> int:
        if self._reaper is None:
            self._reaper = self._queue(self.db)
        reclaimed: int = self._reaper.reap(REAPER, None, self.policy.lease_margin_ms)
        return reclaimed

    def reap_children(self) -> None:
        for _, name, status in self.children.reaped():
            if self.stopping:
                continue
            # A worker died (killed by a drill, or crashed): a killed process can't speak, so the pool
            # says what it held, forgets it, and starts a new incarnation.
            how = how_it_ended(status)
            self._note(name, lambda tx, n=name, h=how: actors.record_crash(tx, n, how=h))
            time.sleep(RESTART_S)
            self._note(name, lambda tx, n=name: actors.record_restart(tx, n))
            self.spawn(name)

    def _note(self, name: str, body) -> None:
        """Write a crash or restart row, waiting out an outage. Recording never stops the supervisor:
        any other error costs the row (one line on stderr), never the pool."""
        try:
            retry(self.db, lambda: self._in_tx(body))
        except Exception as error:  # noqa: BLE001 - the supervisor outlives whatever its rows meet
            print(f"faultline worker: could not record {name}'s crash or restart: {error!r}", file=sys.stderr)

    def _in_tx(self, body):
        with self.db.transaction() as tx:
            return body(tx)


def wait_for_database(db: Database, who: str, say=None, stopping=lambda: False) -> bool:
    """Open `db` (migrate, set up the counters), waiting out a database that is locked or away with a
    backoff from 50 ms to 2 s; False when `stopping()` first. `say` hears one line per new problem."""
    delay, last = 0.05, None
    while not stopping():
        try:
            db.open()
            return True
        except Unavailable as away:
            if say is not None and str(away) != last:
                say(f"{who}: the database is not ready ({away}); retrying")
            last = str(away)
        time.sleep(delay)
        delay = min(2.0, delay * 2)
    return False


def multiprocess_mode() -> str:
    """Switch prometheus_client to its multiprocess mode (each process writes its values to a file in
    one folder; the parent's collector adds them up). Metrics made afterwards use it."""
    from prometheus_client import values

    folder = tempfile.mkdtemp(prefix="faultline-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    values.ValueClass = values.MultiProcessValue()
    return folder
