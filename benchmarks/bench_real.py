"""The real world's job system vs procrastinate (a well-known Postgres job queue for Python), doing
the same work on the same Postgres server with the same number of worker processes, in the same run.

The work: N no-op jobs (each commits a charge and is acked; procrastinate's task does nothing).
Two phases per system:

- drain: N jobs are queued, then W worker processes start and drain them: jobs/s from the first job
  started to the last one done, by each system's own timestamps (process start-up is not counted);
- latency: W workers run while jobs are submitted one by one at a steady pace (below either system's
  throughput); p50 and p99 of submit-to-done, from each system's own timestamps.

Faultline runs with Policy.safe() (leases, heartbeats, fencing, idempotent effects, the history row in
every transaction) on Postgres and on SQLite; procrastinate only has Postgres. The figure is the
ratio of Faultline's drain rate to the faster peer's on Postgres. Never asserts a time.

    python benchmarks/bench_real.py [--jobs 2000] [--workers 2] [--paced 200] [--json]

procrastinate is pinned in the [probe] group (constraints/probe.txt), installed by every make target.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time

import psycopg

from faultline.service.worker import Pool
from runtime.core import history as ev
from runtime.core.policy import Policy
from runtime.real import peers
from runtime.real.db import Database, drop_database, ensure_database

SERVER = os.environ.get("FAULTLINE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


# -- Faultline ---------------------------------------------------------------------------------
def _pool_main(url: str, workers: int, stop) -> None:
    pool = Pool(url, Policy.safe(), workers)
    import threading

    def stop_when_told() -> None:
        stop.wait()
        pool.stopping = True

    threading.Thread(target=stop_when_told, daemon=True).start()
    pool.run(None)


def _start_pool(url: str, workers: int):
    stop = multiprocessing.Event()
    process = multiprocessing.get_context("fork").Process(target=_pool_main, args=(url, workers, stop))
    process.start()
    return process, stop


def faultline(url: str, jobs: int, workers: int, paced: int) -> dict:
    from runtime.real.queue import SqlQueue

    db = Database(url)
    db.reset()
    queue = SqlQueue(db, Policy.safe())
    for n in range(jobs):
        queue.enqueue("bench", f"d{n}", {"amount": 1}, 0, f"d{n}", None)
    process, stop = _start_pool(url, workers)
    while not queue.is_idle():  # an acked message is deleted
        time.sleep(0.005)
    # From the first job leased to the last one acked, by the history's own clock.
    events = db.events()
    first = min(e.time_ms for e in events if e.kind == ev.LEASED)
    last = max(e.time_ms for e in events if e.kind == ev.ACKED)
    drain_s = (last - first) / 1000
    for n in range(paced):  # the latency phase: one submit every pace
        queue.enqueue("bench", f"p{n}", {"amount": 1}, 0, f"p{n}", None)
        time.sleep(PACE_S)
    while not queue.is_idle():
        time.sleep(0.005)
    stop.set()
    process.join(timeout=10)
    events = db.events()
    submitted = {e.job_id: e.time_ms for e in events if e.kind == ev.SUBMITTED and e.job_id.startswith("p")}
    latencies = [float(e.time_ms - submitted[e.job_id]) for e in events if e.kind == ev.ACKED and e.job_id in submitted]
    db.close()
    return _figures(jobs, drain_s, latencies)


# -- procrastinate -----------------------------------------------------------------------------
def _procrastinate_app(url: str):
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))

    @app.task(name="noop")
    def noop(amount: int) -> None:
        return None

    return app, noop


def _procrastinate_worker(url: str, wait: bool) -> None:
    import logging

    logging.disable(logging.CRITICAL)
    app, _ = _procrastinate_app(url)
    with app.open():
        app.run_worker(wait=wait, concurrency=1, install_signal_handlers=True, listen_notify=True)


def procrastinate(url: str, jobs: int, workers: int, paced: int) -> dict:
    app, noop = _procrastinate_app(url)
    with app.open():
        app.schema_manager.apply_schema()
        for n in range(jobs):
            noop.defer(amount=n)
    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=_procrastinate_worker, args=(url, False)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()  # wait=False: a worker exits once the queue is empty
    with psycopg.connect(url) as conn:  # from the first job started to the last one done, by its own clock
        drain_s = peers.procrastinate_drain_s(conn)
    procs = [context.Process(target=_procrastinate_worker, args=(url, True)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    time.sleep(2)  # spawned workers import procrastinate before they listen
    with app.open():
        for n in range(paced):
            noop.defer(amount=-1 - n)
            time.sleep(PACE_S)
    with psycopg.connect(url) as conn:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if peers.procrastinate_unfinished(conn) == 0:
                break
            time.sleep(0.01)
        latencies_ms = peers.procrastinate_latencies_ms(conn)
    for proc in procs:
        proc.terminate()
        proc.join(timeout=10)
    return _figures(jobs, drain_s, latencies_ms)


# -- the report --------------------------------------------------------------------------------
PACE_S = 0.01


def _figures(jobs: int, drain_s: float, latencies_ms: list[float]) -> dict:
    latencies_ms = sorted(latencies_ms)
    cut = statistics.quantiles(latencies_ms, n=100) if len(latencies_ms) >= 2 else [0.0] * 99
    return {
        "jobs_per_s": round(jobs / drain_s, 1),
        "drain_s": round(drain_s, 3),
        "p50_ms": round(cut[49], 1),
        "p99_ms": round(cut[98], 1),
        "latency_samples": len(latencies_ms),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--paced", type=int, default=200, help="jobs in the latency phase (one per 10 ms)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as scratch:
        results["faultline_sqlite"] = faultline(
            os.path.join(scratch, "bench.sqlite"), args.jobs, args.workers, args.paced
        )
    for name, bench in (("faultline_postgres", faultline), ("procrastinate_postgres", procrastinate)):
        url = f"{SERVER}/faultline_bench_{name}"
        drop_database(url)
        ensure_database(url)
        try:
            results[name] = bench(url, args.jobs, args.workers, args.paced)
        finally:
            drop_database(url)
    peer = results["procrastinate_postgres"]["jobs_per_s"]
    report = {
        "jobs": args.jobs,
        "workers": args.workers,
        "policy": "safe",
        "results": results,
        "peer": "procrastinate",
        "ratio_vs_peer": round(results["faultline_postgres"]["jobs_per_s"] / peer, 3),
    }
    if args.json:
        print(json.dumps(report, sort_keys=True))
    else:
        for name, figures in results.items():
            print(
                f"{name:24} {figures['jobs_per_s']:>9.1f} jobs/s   p50 {figures['p50_ms']:>7.1f} ms   "
                f"p99 {figures['p99_ms']:>7.1f} ms"
            )
        print(f"ratio (faultline / procrastinate, Postgres, {args.workers} workers): {report['ratio_vs_peer']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
