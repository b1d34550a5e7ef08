"""The real world's job system beside the queues people run, doing the same work on the same machine,
in the same run: one benchmark, every peer.

Systems (each driven through its own API and its own worker processes):

- faultline_sqlite, faultline_postgres: the `faultline worker` pool, Policy.safe() (leases,
  heartbeats, fencing, idempotent effects, the history row in every transaction);
- procrastinate (Postgres) and pgqueuer (Postgres): the Postgres queues users compare with;
- huey_sqlite: huey on its SQLite storage, beside Faultline's embedded default.

The work: no-op jobs (Faultline's commit a charge and are acked; the peers' tasks do nothing). For each
system and each worker count W, on a fresh database:

- drain: N jobs are queued before the workers start; W worker processes drain them. jobs/s from the
  first job started to the last one done, by the system's own timestamps (start-up is not counted);
  CPU-milliseconds per job of the worker processes and of the database's backend processes (Postgres;
  SQLite runs inside the workers), read from /proc when the queue is empty (start-up included);
- paced: with the same workers running, jobs are submitted one by one at a steady pace (below every
  system's throughput): p50 and p99 of submit-to-done, by the system's own timestamps.

Memory: the resident size of Faultline's worker pool (W=2, after 3 s of work) and of `faultline serve`
(after a few requests of each kind) with 1,000 and with 100,000 jobs queued, on both databases.

Every wait has a deadline: a cell that does not finish says where it stalled and the run goes on. The
ratios compare Faultline with each peer at the same W. Reports, never asserts.

    python benchmarks/bench_real.py [--jobs 10000] [--workers 1 2 4] [--paced 200]
                                    [--systems NAME ...] [--deadline 600] [--memory 1000 100000] [--json]

procrastinate and huey are pinned in the [probe] group, pgqueuer and psutil in [bench]
(constraints/*.txt); every make target installs them.
"""

from __future__ import annotations

import abc
import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psutil
import psycopg

from faultline.service.worker import Pool
from runtime.core import history as ev
from runtime.core.policy import Policy
from runtime.real import peers
from runtime.real.db import Database, drop_database, ensure_database

SERVER = os.environ.get("FAULTLINE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
PACE_S = 0.01
LOOK_S = 0.02
SPAWN = multiprocessing.get_context("spawn")
FORK = multiprocessing.get_context("fork")


class Stalled(Exception):
    """A phase did not finish by its deadline: the message says where it stood."""


def wait_until(done: Callable[[], bool], deadline_s: float, what: str, progress: Callable[[], str]) -> None:
    give_up = time.monotonic() + deadline_s
    while not done():
        if time.monotonic() > give_up:
            raise Stalled(f"{what}: {progress()} after {deadline_s:.0f} s")
        time.sleep(LOOK_S)


def measured(pids: list[int], read: Callable[[psutil.Process], float]) -> float:
    """The sum of `read(process)` over these processes and all their children, now (a process that is
    gone, or not ours to read, counts nothing)."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            root = psutil.Process(pid)
            for process in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    total += read(process)
    return total


def cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of these processes and all their children, now."""
    return measured(pids, lambda process: sum(process.cpu_times()[:2]))


def backends_cpu_s(url: str | None) -> float:
    """The CPU seconds of the Postgres backends serving this database now (0 for SQLite)."""
    if url is None:
        return 0.0
    with psycopg.connect(url, autocommit=True) as conn:
        pids = peers.backend_pids(conn)
    return cpu_s(pids)


def figures(jobs: int, drain_s: float, cpu: float, latencies_ms: list[float]) -> dict[str, Any]:
    latencies_ms = sorted(latencies_ms)
    cut = statistics.quantiles(latencies_ms, n=100) if len(latencies_ms) >= 2 else [0.0] * 99
    return {
        "jobs_per_s": round(jobs / drain_s, 1) if drain_s > 0 else None,
        "drain_s": round(drain_s, 3),
        "cpu_ms_per_job": round(cpu * 1000 / jobs, 3),
        "p50_ms": round(cut[49], 1),
        "p99_ms": round(cut[98], 1),
        "latency_samples": len(latencies_ms),
    }


class System(abc.ABC):
    """One queue under the benchmark: fill it, start and stop its workers, read its own timestamps."""

    postgres = True

    def __init__(self, url: str, jobs: int) -> None:
        self.url, self.jobs = url, jobs
        self.procs: list[Any] = []
        self.paced_at: dict[int, float] = {}

    @abc.abstractmethod
    def fill(self) -> None:
        """Queue `jobs` jobs on a fresh schema (no worker running)."""

    @abc.abstractmethod
    def start(self, workers: int) -> None:
        """Start `workers` worker processes."""

    @abc.abstractmethod
    def done(self) -> int:
        """How many jobs have finished (as the system says)."""

    @abc.abstractmethod
    def submit(self, n: int) -> None:
        """Submit paced job `n` now."""

    @abc.abstractmethod
    def drain_s(self) -> float:
        """From the first queued job started to the last one done, by the system's own timestamps."""

    @abc.abstractmethod
    def latencies_ms(self) -> list[float]:
        """Submit-to-done of each paced job, by the system's own timestamps."""

    def stop(self) -> None:
        """Stop the workers; whatever is left of their process trees is killed (nothing outlives a cell)."""
        left = []
        for proc in self.procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                left += psutil.Process(proc.pid).children(recursive=True)
            proc.terminate()
        for proc in self.procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
                proc.join()
        for child in left:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        psutil.wait_procs(left, timeout=10)

    def close(self) -> None:
        """Let go of what fill() opened (nothing, unless a system says so)."""
        return None

    def worker_pids(self) -> list[int]:
        return [proc.pid for proc in self.procs]


# -- Faultline -----------------------------------------------------------------------------------
def _pool_main(url: str, workers: int, stop, broker=None) -> None:
    pool = Pool(url, Policy.safe(), workers, broker=broker)

    def stop_when_told() -> None:
        stop.wait()
        pool.stopping = True

    threading.Thread(target=stop_when_told, daemon=True).start()
    pool.run(None)


class Faultline(System):
    def fill(self) -> None:
        from runtime.real.queue import SqlQueue

        self.db = Database(self.url)
        self.db.reset()
        self.queue: Any = SqlQueue(self.db, Policy.safe())
        for n in range(self.jobs):
            self.queue.enqueue("bench", f"d{n}", {"amount": 1}, 0, f"d{n}", None)

    def start(self, workers: int) -> None:
        self._stop = FORK.Event()
        proc = FORK.Process(target=_pool_main, args=(self.url, workers, self._stop))
        proc.start()
        self.procs = [proc]

    def stop(self) -> None:
        self._stop.set()  # the pool kills and reaps its workers, then returns
        for proc in self.procs:
            proc.join(timeout=10)
        super().stop()

    def done(self) -> int:
        return self.jobs + len(self.paced_at) - self.queue.size()

    def submit(self, n: int) -> None:
        self.paced_at[n] = time.time()
        self.queue.enqueue("bench", f"p{n}", {"amount": 1}, 0, f"p{n}", None)

    def drain_s(self) -> float:
        events = self.db.events()
        first = min(e.time_ms for e in events if e.kind == ev.LEASED)
        last = max(e.time_ms for e in events if e.kind == ev.ACKED and e.job_id.startswith("d"))
        return (last - first) / 1000

    def latencies_ms(self) -> list[float]:
        events = self.db.events()
        submitted = {e.job_id: e.time_ms for e in events if e.kind == ev.SUBMITTED and e.job_id.startswith("p")}
        return [float(e.time_ms - submitted[e.job_id]) for e in events if e.kind == ev.ACKED and e.job_id in submitted]

    def close(self) -> None:
        self.db.close()


class FaultlineSqlite(Faultline):
    postgres = False


class FaultlineRabbitmq(Faultline):
    """Faultline on Postgres with RabbitMQ delivering the jobs (runtime/core/brokered.py): the same
    safe policy, the database keeping each job's state, a durable queue of the run's own with
    publisher confirms, acked once the database's lease is the worker's."""

    def fill(self) -> None:
        from runtime.core.brokered import BrokeredQueue
        from runtime.real.broker import DEFAULT_BROKER_URL, RabbitBroker
        from runtime.real.queue import SqlQueue

        self.db = Database(self.url)
        self.db.reset()
        policy = Policy.safe()
        self.broker = RabbitBroker(DEFAULT_BROKER_URL, f"faultline-bench-{os.getpid()}", wait_s=0.005)
        self.broker.prepare()
        self.queue = BrokeredQueue(SqlQueue(self.db, policy), self.broker, policy, self.db.record_event)
        for n in range(self.jobs):
            self.queue.enqueue("bench", f"d{n}", {"amount": 1}, 0, f"d{n}", None)

    def start(self, workers: int) -> None:
        self._stop = FORK.Event()
        proc = FORK.Process(target=_pool_main, args=(self.url, workers, self._stop, self.broker))
        proc.start()
        self.procs = [proc]

    def close(self) -> None:
        self.broker.delete()
        super().close()


# -- procrastinate -------------------------------------------------------------------------------
def _procrastinate_app(url: str):
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))

    @app.task(name="noop")
    def noop(amount: int) -> None:
        return None

    return app, noop


def _procrastinate_worker(url: str) -> None:
    import logging

    logging.disable(logging.CRITICAL)
    app, _ = _procrastinate_app(url)
    with app.open():
        app.run_worker(wait=True, concurrency=1, install_signal_handlers=True, listen_notify=True)


class Procrastinate(System):
    def fill(self) -> None:
        self.app, self.noop = _procrastinate_app(self.url)
        with self.app.open():
            self.app.schema_manager.apply_schema()
            for n in range(self.jobs):
                self.noop.defer(amount=n)
        self.app.open()
        self.conn = psycopg.connect(self.url, autocommit=True)

    def start(self, workers: int) -> None:
        self.procs = [SPAWN.Process(target=_procrastinate_worker, args=(self.url,)) for _ in range(workers)]
        for proc in self.procs:
            proc.start()

    def done(self) -> int:
        return self.jobs + len(self.paced_at) - peers.procrastinate_unfinished(self.conn)

    def submit(self, n: int) -> None:
        self.paced_at[n] = time.time()
        self.noop.defer(amount=-1 - n)

    def drain_s(self) -> float:
        return peers.procrastinate_drain_s(self.conn)

    def latencies_ms(self) -> list[float]:
        return peers.procrastinate_latencies_ms(self.conn)

    def close(self) -> None:
        self.conn.close()
        self.app.close()


# -- pgqueuer ------------------------------------------------------------------------------------
async def _pgqueuer_queries(url: str):
    from pgqueuer import PsycopgDriver, Queries

    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    return conn, Queries(PsycopgDriver(conn))


def _pgqueuer_worker(url: str) -> None:
    from pgqueuer import QueueManager

    async def serve() -> None:
        _, queries = await _pgqueuer_queries(url)
        manager = QueueManager(queries)

        @manager.entrypoint("noop")
        async def noop(job) -> None:
            return None

        await manager.run(log_aggregation_interval=timedelta(0))  # keep the log: its timestamps are read

    asyncio.run(serve())


class PgQueuer(System):
    def fill(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.conn, self.queries = self.loop.run_until_complete(_pgqueuer_queries(self.url))
        self.loop.run_until_complete(self.queries.install())
        n = self.jobs
        self.loop.run_until_complete(
            self.queries.enqueue(["noop"] * n, [b"d"] * n, [0] * n, [None] * n, [None] * n, [None] * n)
        )

    def start(self, workers: int) -> None:
        self.procs = [SPAWN.Process(target=_pgqueuer_worker, args=(self.url,)) for _ in range(workers)]
        for proc in self.procs:
            proc.start()

    def done(self) -> int:
        waiting = self.loop.run_until_complete(self.queries.queue_size())
        return self.jobs + len(self.paced_at) - sum(row.count for row in waiting)

    def submit(self, n: int) -> None:
        self.paced_at[n] = time.time()
        self.loop.run_until_complete(self.queries.enqueue("noop", b"p"))

    def _log(self) -> dict[str, dict[int, float]]:
        by_status: dict[str, dict[int, float]] = {}
        for entry in self.loop.run_until_complete(self.queries.queue_log()):
            by_status.setdefault(entry.status, {})[entry.job_id] = entry.created.timestamp()
        return by_status

    def drain_s(self) -> float:
        log = self._log()
        done = [at for job, at in log["successful"].items() if job <= self.jobs]
        return max(done) - min(log["picked"].values())

    def latencies_ms(self) -> list[float]:
        log = self._log()
        return [(done - log["queued"][job]) * 1000 for job, done in log["successful"].items() if job > self.jobs]

    def close(self) -> None:
        self.loop.run_until_complete(self.conn.close())
        self.loop.close()


# -- huey on SQLite ------------------------------------------------------------------------------
def _huey(path: str):
    from huey import SqliteHuey

    huey = SqliteHuey("bench", filename=path)

    @huey.task(name="noop")
    def noop(n: int) -> tuple[float, float]:
        began = time.time()
        return began, time.time()

    return huey, noop


def _huey_consumer(path: str, workers: int) -> None:
    import logging

    logging.disable(logging.CRITICAL)
    huey, _ = _huey(path)
    huey.create_consumer(workers=workers, worker_type="process", periodic=False, backoff=1.0, max_delay=0.05).run()


class HueySqlite(System):
    postgres = False

    def fill(self) -> None:
        self.huey, self.noop = _huey(self.url)
        self.results = [self.noop(n) for n in range(self.jobs)]

    def start(self, workers: int) -> None:
        self.procs = [FORK.Process(target=_huey_consumer, args=(self.url, workers))]
        self.procs[0].start()

    def stop(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGINT)  # the consumer stops its workers, then exits
        for proc in self.procs:
            proc.join(timeout=10)
        super().stop()

    def done(self) -> int:
        return self.huey.result_count()

    def submit(self, n: int) -> None:
        self.paced_at[n] = time.time()
        self.results.append(self.noop(-1 - n))

    def _times(self, results) -> list[tuple[float, float]]:
        return [result.get(preserve=True) for result in results]

    def drain_s(self) -> float:
        times = self._times(self.results[: self.jobs])
        return max(end for _, end in times) - min(began for began, _ in times)

    def latencies_ms(self) -> list[float]:
        times = self._times(self.results[self.jobs :])
        return [(end - self.paced_at[n]) * 1000 for n, (_, end) in enumerate(times)]


SYSTEMS: dict[str, type[System]] = {
    "faultline_sqlite": FaultlineSqlite,
    "faultline_postgres": Faultline,
    "faultline_rabbitmq": FaultlineRabbitmq,
    "procrastinate": Procrastinate,
    "pgqueuer": PgQueuer,
    "huey_sqlite": HueySqlite,
}
RATIOS = (
    ("faultline_postgres", "procrastinate"),
    ("faultline_postgres", "pgqueuer"),
    ("faultline_sqlite", "huey_sqlite"),
    ("faultline_sqlite", "faultline_postgres"),
    ("faultline_rabbitmq", "faultline_postgres"),
)


# -- one cell: a system at W workers -------------------------------------------------------------
def cell(name: str, jobs: int, workers: int, paced: int, deadline_s: float, scratch: str) -> dict[str, Any]:
    kind = SYSTEMS[name]
    if kind.postgres:
        url = f"{SERVER}/faultline_bench_{name}_{os.getpid()}"
        drop_database(url)
        ensure_database(url)
    else:
        url = os.path.join(scratch, f"{name}_{workers}.sqlite")
    system = kind(url, jobs)
    try:
        return _measure(system, workers, paced, deadline_s)
    except Stalled as stall:
        return {"stalled": str(stall)}
    finally:
        with contextlib.suppress(Exception):
            system.stop()
        with contextlib.suppress(Exception):
            system.close()
        if kind.postgres:
            drop_database(url)


def _measure(system: System, workers: int, paced: int, deadline_s: float) -> dict[str, Any]:
    jobs = system.jobs
    system.fill()
    system.start(workers)
    wait_until(lambda: system.done() >= jobs, deadline_s, "drain", lambda: f"{system.done()} of {jobs} jobs done")
    cpu = cpu_s(system.worker_pids()) + backends_cpu_s(system.url if system.postgres else None)
    drain = system.drain_s()
    for n in range(paced):
        system.submit(n)
        time.sleep(PACE_S)
    total = jobs + paced
    wait_until(
        lambda: system.done() >= total, deadline_s, "paced", lambda: f"{system.done() - jobs} of {paced} paced jobs"
    )
    return figures(jobs, drain, cpu, system.latencies_ms())


# -- memory: the workers and the service with many jobs queued ----------------------------------
def _rss_mb(pids: list[int]) -> float:
    return round(measured(pids, lambda process: process.memory_info().rss) / 2**20, 1)


def _queue_many(url: str, jobs: int) -> None:
    """`jobs` jobs queued through the queue's own publish, 10,000 to a transaction."""
    from runtime.real.queue import SqlQueue

    db = Database(url)
    db.reset()
    queue = SqlQueue(db, Policy.safe())
    for first in range(0, jobs, 10_000):
        with db.transaction() as tx:
            for n in range(first, min(jobs, first + 10_000)):
                queue.publish(tx, "bench", f"m{n}", {"amount": 1}, 0, f"m{n}", None)
    db.close()


def resident(url: str, jobs: int, workers: int, settle_s: float) -> dict[str, float]:
    """Resident MiB of the worker pool (its supervisor and workers) after `settle_s` s of work, and of
    `faultline serve` after a few requests of each kind, with `jobs` jobs queued."""
    from faultline.service.harness import post_job, request, service_process

    _queue_many(url, jobs)
    system = Faultline(url, jobs)
    system.start(workers)
    time.sleep(settle_s)
    pool = _rss_mb(system.worker_pids())
    system.stop()
    with service_process(url) as (base, proc):
        for n in range(20):
            post_job(base, {"amount": 1}, key=f"rss-{n}")
            request(f"{base}/metrics")
            request(f"{base}/jobs/m{n}")
        service = _rss_mb([proc.pid])
    return {"workers_rss_mb": pool, "service_rss_mb": service}


def memory(queued: list[int], workers: int, scratch: str) -> dict[str, dict[str, dict[str, float]]]:
    found: dict[str, dict[str, dict[str, float]]] = {"faultline_sqlite": {}, "faultline_postgres": {}}
    for jobs in queued:
        found["faultline_sqlite"][str(jobs)] = resident(os.path.join(scratch, f"rss_{jobs}.sqlite"), jobs, workers, 3)
        url = f"{SERVER}/faultline_bench_rss_{os.getpid()}"
        drop_database(url)
        ensure_database(url)
        try:
            found["faultline_postgres"][str(jobs)] = resident(url, jobs, workers, 3)
        finally:
            drop_database(url)
    return found


def ratios(results: dict[str, dict[str, dict]], workers: list[int]) -> dict[str, dict[str, float | None]]:
    """Drain jobs/s of the first system over the second's, per W (None where either did not finish)."""
    found: dict[str, dict[str, float | None]] = {}
    for mine, theirs in RATIOS:
        if mine not in results or theirs not in results:
            continue
        row: dict[str, float | None] = {}
        for w in workers:
            a = results[mine][str(w)].get("jobs_per_s")
            b = results[theirs][str(w)].get("jobs_per_s")
            row[str(w)] = round(a / b, 3) if a and b else None
        found[f"{mine}/{theirs}"] = row
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000, help="jobs queued before the workers start")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="worker processes (each count)")
    parser.add_argument("--paced", type=int, default=200, help="jobs in the latency phase (one per 10 ms)")
    parser.add_argument("--systems", nargs="+", choices=sorted(SYSTEMS), default=list(SYSTEMS))
    parser.add_argument("--deadline", type=float, default=600, help="seconds a phase may take before it stalls")
    parser.add_argument(
        "--memory", type=int, nargs="*", default=[1_000, 100_000], help="jobs queued for the resident-size check"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.paced < 2 or min(args.workers) < 1 or args.deadline <= 0:
        parser.error("--jobs, --workers and --deadline must be positive and --paced at least 2")
    load_before = os.getloadavg()
    results: dict[str, dict[str, dict]] = {name: {} for name in args.systems}
    with tempfile.TemporaryDirectory() as scratch:
        for workers in args.workers:  # the systems interleave: a slow spell weighs on all alike
            for name in args.systems:
                results[name][str(workers)] = cell(name, args.jobs, workers, args.paced, args.deadline, scratch)
                if not args.json:
                    print(f"{name:20} W={workers}  {results[name][str(workers)]}", flush=True)
        rss = memory(args.memory, 2, scratch) if args.memory else {}
        if rss and not args.json:
            print(f"resident MiB by jobs queued: {rss}", flush=True)
    report = {
        "jobs": args.jobs,
        "workers": args.workers,
        "paced": args.paced,
        "policy": "safe",
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "results": results,
        "ratios": ratios(results, args.workers),
        "resident_mb": rss,
    }
    if args.json:
        print(json.dumps(report, sort_keys=True))
    else:
        for pair, row in report["ratios"].items():
            print(f"{pair:42} " + "  ".join(f"W={w}: {ratio}" for w, ratio in row.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
