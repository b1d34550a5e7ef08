"""Real drills: start the job service and a worker pool as real processes, break them for real, wait
for quiet, judge the run with the invariants (from the history and final state in the database), and
compare the metrics scraped from the real /metrics endpoints with what the drill expects.

- worker-crash: a worker is SIGKILLed while it holds a job (mid-job);
- duplicate-submission: 50 concurrent POSTs of one idempotency key;
- db-outage: the database is unavailable for a window while jobs run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs

from faultline.service.harness import post_job, scrape, service_process, wait_until, workers
from invariants import check_all
from runtime.core import history as ev
from runtime.core.faults import FaultPlan, StoreOutage
from runtime.core.policy import Policy
from runtime.core.record import RunRecord, final_state, run_header
from runtime.core.scenario import JobSpec, Scenario
from runtime.real import actors
from runtime.real.db import Database, Unavailable
from runtime.real.jobs import API_BEFORE_PUBLISH, CRASH_AT
from runtime.real.outage import Outage
from runtime.real.queue import SqlQueue
from runtime.real.store import SqlStore

CONCURRENCY = 2
OUTAGE = (300, 1_800)  # the db-outage drill's window, ms after the service and workers are up; its jobs
# (200 ms) are shorter than the safe heartbeat (250 ms), so a job meets the outage at its commit


@attrs.frozen
class Drill:
    name: str
    jobs: tuple[JobSpec, ...]
    deadline_ms: int
    plan: FaultPlan = FaultPlan()
    service_fault: str | None = None
    """The fault point the first service process dies at (runtime/real/jobs.py), if any."""

    def shifted(self, now_ms: int) -> Drill:
        """The drill with its deadline and outage windows counted from run time `now_ms`."""
        faults = tuple(
            StoreOutage(start_ms=f.start_ms + now_ms, end_ms=f.end_ms + now_ms) if isinstance(f, StoreOutage) else f
            for f in self.plan.faults
        )
        return attrs.evolve(self, deadline_ms=self.deadline_ms + now_ms, plan=FaultPlan(faults=faults))


def _jobs(prefix: str, duration_ms: int, count: int = 6) -> tuple[JobSpec, ...]:
    """`count` charges, each under its own idempotency key (the request the invariants follow)."""
    return tuple(
        JobSpec(
            job_id=f"{prefix}-{n}",
            payload={"amount": n, "duration_ms": duration_ms},
            duration_ms=duration_ms,
            idempotency_key=f"{prefix}-{n}",
        )
        for n in range(1, count + 1)
    )


DRILLS = {
    "worker-crash": Drill("worker-crash", _jobs("crash", 600), 9_000),
    "duplicate-submission": Drill(
        "duplicate-submission",
        (JobSpec(job_id="order-1", payload={"amount": 50}, idempotency_key="order-1"),),
        6_000,
    ),
    "db-outage": Drill(
        "db-outage",
        _jobs("outage", 200, count=12),
        12_000,
        FaultPlan(faults=(StoreOutage(start_ms=OUTAGE[0], end_ms=OUTAGE[1]),)),
    ),
    "api-crash": Drill("api-crash", _jobs("order", 100), 9_000, service_fault=API_BEFORE_PUBLISH),
}


@attrs.frozen(kw_only=True)
class DrillResult:
    drill: str
    db: str
    policy: str
    jobs: int
    lost: int
    double_effects: int
    lease_expiries_recovered: int
    violations: tuple = ()
    metrics: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    record: RunRecord | None = attrs.field(default=None, eq=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        data = attrs.asdict(self, recurse=False, filter=lambda a, _: a.name != "record")
        data["violations"] = [v.to_json_dict() for v in self.violations]
        return data


class Services:
    """The drill's service processes: the one it starts with, and any it starts after one died."""

    def __init__(self, stack: contextlib.ExitStack, url: str, policy_name: str) -> None:
        self.stack, self.url, self.policy_name, self.process = stack, url, policy_name, None

    def start(self, fault: str | None = None) -> str:
        """A service (dying at the fault point `fault`, if any); its URL."""
        env = {CRASH_AT: fault} if fault else None
        base, self.process = self.stack.enter_context(service_process(self.url, self.policy_name, env=env))
        return base


def run_drill(name: str, db: str | None, policy_name: str) -> DrillResult:
    drill, policy = DRILLS[name], Policy.safe() if policy_name == "safe" else Policy.naive()
    with tempfile.TemporaryDirectory(prefix="faultline-drill-") as scratch:
        url = db or os.path.join(scratch, "drill.sqlite")
        database = Database(url)
        database.reset()
        names = tuple(f"w{n}" for n in range(1, CONCURRENCY + 1))
        with contextlib.ExitStack() as stack:
            pool = stack.enter_context(workers(url, policy_name, CONCURRENCY))
            services = Services(stack, url, policy_name)
            api = services.start(drill.service_fault)
            # The run's clock started at the reset; the drill's times count from now, once both are up.
            drill = drill.shifted(database.now_ms())
            scenario = Scenario(name=f"drill {name}", jobs=drill.jobs, workers=names, plan=drill.plan)
            header = run_header(scenario, policy, 0, drill.deadline_ms, world="real")
            with database.transaction() as tx:
                tx.record(ev.RUN_STARTED, ev.LAB, None, None, None, *ev.values_of(ev.RUN_STARTED, header))
            api = BREAKS[name](drill, database, api, services) or api
            quiet = _wait_for_quiet(database, drill)
            observed = {**scrape(api), **scrape(pool)}
        queue, store = SqlQueue(database, policy), SqlStore(database)
        final = final_state(queue, store)
        with database.transaction() as tx:
            tx.record(
                ev.RUN_ENDED, ev.LAB, None, None, None, "quiet" if quiet else "time_limit", drill.deadline_ms, final
            )
        record = RunRecord(events=tuple(database.events()))
        database.close()
    return _result(name, db, policy_name, drill, record, observed)


# -- the breaks ------------------------------------------------------------------------------
def _submit_all(drill: Drill, api: str) -> None:
    for job in drill.jobs:
        while post_job(api, dict(job.payload), job.idempotency_key)[0] not in (200, 201):
            time.sleep(0.05)  # the database is away: the caller retries with the same key


def _kill_the_service_between_claim_and_publish(drill: Drill, database: Database, api: str, services) -> str:
    """The first submission kills the service inside its transaction (the key claimed, the job not yet
    published); the caller gets no answer, a new service comes up, and the caller sends every job,
    the first again under its key. Refused, never passed, if the service did not die there."""
    first = drill.jobs[0]
    dying = services.process
    with contextlib.suppress(OSError):
        post_job(api, dict(first.payload), first.idempotency_key)
    try:
        dying.wait(timeout=10)
    except subprocess.TimeoutExpired:
        raise RuntimeError("the service did not die at its fault point: the drill proves nothing") from None
    if dying.returncode != -signal.SIGKILL:
        raise RuntimeError(f"the service exited {dying.returncode}, not at its fault point: the drill proves nothing")
    again = services.start()
    _submit_all(drill, again)
    return again


def _kill_a_worker_mid_job(drill: Drill, database: Database, api: str, services=None) -> None:
    _submit_all(drill, api)

    os.kill(wait_until(lambda: actors.lease_holder_pid(database), timeout=10), signal.SIGKILL)


def _fifty_posts_of_one_key(drill: Drill, database: Database, api: str, services=None) -> None:
    [job] = drill.jobs
    with ThreadPoolExecutor(max_workers=50) as pool:
        list(pool.map(lambda _: post_job(api, dict(job.payload), job.idempotency_key), range(50)))


def _take_the_database_away(drill: Drill, database: Database, api: str, services=None) -> None:
    """The outage keeps its planned window whatever the submissions' pace: the caller submits from
    its own thread (and retries a 503 with the same key) while the window opens and closes here."""
    caller = threading.Thread(target=_submit_all, args=(drill, api), daemon=True)
    caller.start()
    [outage] = drill.plan.outages()
    start, end = outage.start_ms, outage.end_ms
    time.sleep(max(0.0, (start - database.now_ms()) / 1000))
    away = Outage(database)
    time.sleep(max(0.0, (end - database.now_ms()) / 1000))
    away.give_back()
    caller.join(timeout=max(1.0, (drill.deadline_ms - database.now_ms()) / 1000))


BREAKS: dict[str, Callable[[Drill, Database, str, Any], str | None]] = {
    "worker-crash": _kill_a_worker_mid_job,
    "duplicate-submission": _fifty_posts_of_one_key,
    "db-outage": _take_the_database_away,
    "api-crash": _kill_the_service_between_claim_and_publish,
}


def _wait_for_quiet(database: Database, drill: Drill) -> bool:
    """Every job done (acked or dead) and nobody holding anything, twice in a row; False at the deadline."""

    def quiet():
        try:
            return actors.settled(database)
        except Unavailable:
            return False

    while database.now_ms() < drill.deadline_ms:
        if quiet():
            time.sleep(0.2)
            if quiet():
                return True
        time.sleep(0.05)
    return False


# -- the verdict -----------------------------------------------------------------------------
def _result(name, db, policy_name, drill, record: RunRecord, observed: dict[str, float]) -> DrillResult:
    final, events = record.final, record.events
    keys = [job.idempotency_key for job in drill.jobs]
    effects = {key: 0 for key in keys}
    for row in final["ledger"]:
        effects[row["request"]] = effects.get(row["request"], 0) + 1
    dead = {row[0] for row in final["dead_letters"]}
    request_of_job = {e.job_id: e.get("request") for e in events if e.kind == ev.SUBMITTED}
    buried = {request_of_job.get(job) for job in dead}
    lost = sum(1 for key in keys if effects.get(key, 0) == 0 and key not in buried)
    recovered = 0
    for expired in (e for e in events if e.kind == ev.LEASE_EXPIRED):
        if any(e.kind == ev.ACKED and e.job_id == expired.job_id and e.index > expired.index for e in events):
            recovered += 1
    jobs = len(keys)
    expected = EXPECTED[name](jobs)
    metrics = {
        metric: {"expected": want, "observed": observed.get(metric, 0.0)} for metric, want in sorted(expected.items())
    }
    return DrillResult(
        drill=name,
        db="postgres" if (db or "").startswith(("postgres://", "postgresql://")) else "sqlite",
        policy=policy_name,
        jobs=jobs,
        lost=lost,
        double_effects=sum(max(0, count - 1) for count in effects.values()),
        lease_expiries_recovered=recovered,
        violations=check_all(record),
        metrics=metrics,
        record=record,
    )


# What a healthy run of each drill shows on the real /metrics endpoints (">= n": at least n).
EXPECTED = {
    "worker-crash": lambda jobs: {
        "faultline_api_submissions_total": jobs,
        "faultline_worker_jobs_succeeded_total": jobs,
        "faultline_worker_lease_expiries_total": ">= 1",
    },
    "duplicate-submission": lambda jobs: {
        "faultline_api_submissions_total": 1,
        "faultline_api_dedupe_hits_total": 49,
        "faultline_worker_jobs_succeeded_total": 1,
    },
    "db-outage": lambda jobs: {
        "faultline_api_submissions_total": jobs,
        "faultline_worker_jobs_succeeded_total": jobs,
        "faultline_worker_store_errors_total": ">= 1",
    },
    "api-crash": lambda jobs: {  # the new service's count: the dead one's submission never landed
        "faultline_api_submissions_total": jobs,
        "faultline_worker_jobs_succeeded_total": jobs,
    },
}


def meets(expected, observed: float) -> bool:
    if isinstance(expected, str):
        return observed >= float(expected.removeprefix(">= "))
    return observed == expected


def print_result(result: DrillResult) -> None:
    from rich.table import Table

    from faultline.cli.common import console

    out = console()
    out.print(f"drill {result.drill} · {result.db} · policy {result.policy} · {result.jobs} job(s)")
    out.print(
        f"lost {result.lost} · double effects {result.double_effects} · "
        f"lease expiries recovered {result.lease_expiries_recovered}"
    )
    table = Table("metric", "expected", "observed", "", box=None)
    for metric, values in result.metrics.items():
        ok = meets(values["expected"], values["observed"])
        table.add_row(metric, str(values["expected"]), f"{values['observed']:g}", "✓" if ok else "✗")
    out.print(table)
    for violation in result.violations:
        out.print(f"✗ {violation.message}")
    if not result.violations:
        out.print("✓ every invariant holds.")
