"""Swarm exploration: each seed draws its own fault plan for the standard workload, runs it and
checks every invariant. Sweeps split over processes (--processes) and machines (--shard i/n).

A seed fully determines its plan, so any finding replays exactly from (seed, policy, workload).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence

import attrs

from invariants import check_all
from invariants.jobs import LAB_ATTEMPT_CEILING
from runtime.errors import BadInputError
from runtime.faults import (
    WORKER_POINTS,
    ClockSkew,
    Crash,
    DuplicateDelivery,
    FaultPlan,
    Pause,
    PoisonJob,
    SlowJob,
    StoreOutage,
    SubmitTimeout,
)
from runtime.policies import Policy
from runtime.scenario import JobSpec, Scenario
from runtime.sim import run

DEFAULT_JOBS = 50
DEFAULT_WORKERS = 4
SUBMIT_SPACING_MS = 20
HORIZON_MS = 60_000

POLICIES: dict[str, Policy] = {
    # A first draft with a visibility timeout (as every real broker has), so that lease failures
    # (expiry under a long job, zombies, clock skew) are reachable too.
    "naive": Policy.naive().evolve(lease_ms=1_000),
    "safe": Policy.safe(),
}

FAULT_KINDS = (
    "crash",
    "pause",
    "duplicate_delivery",
    "store_outage",
    "clock_skew",
    "submit_timeout",
    "slow_job",
    "poison_job",
)


def policy_named(name: str) -> Policy:
    try:
        return POLICIES[name]
    except KeyError:
        raise BadInputError(f"unknown explorer policy {name!r} (choose one of: {', '.join(POLICIES)})") from None


def check_workload(jobs: int, workers: int) -> None:
    if not 1 <= jobs <= 10_000:
        raise BadInputError(f"--jobs must be between 1 and 10000, got {jobs}")
    if not 1 <= workers <= 64:
        raise BadInputError(f"--workers must be between 1 and 64, got {workers}")


def standard_workload(jobs: int = DEFAULT_JOBS, workers: int = DEFAULT_WORKERS) -> Scenario:
    """N charges 20 ms apart, each with an idempotency key; every 5th has a business row."""
    check_workload(jobs, workers)
    return Scenario(
        name=f"standard workload ({jobs} jobs, {workers} workers)",
        jobs=tuple(
            JobSpec(
                job_id=f"j{n}",
                payload={"amount": n},
                submit_at_ms=SUBMIT_SPACING_MS * (n - 1),
                idempotency_key=f"order-{n}",
                business_row=n % 5 == 0,
            )
            for n in range(1, jobs + 1)
        ),
        workers=tuple(f"w{n}" for n in range(1, workers + 1)),
        horizon_ms=HORIZON_MS,
    )


def horizon_for(plan: FaultPlan) -> int:
    """When liveness is judged. It leaves room for the work the plan itself adds: a slow job that
    is also poisoned may hold a worker for its duration on every attempt, up to the lab's attempt
    ceiling, before any policy may give up on it (so the bound does not depend on the policy)."""
    poisoned = {f.job for f in plan.faults if isinstance(f, PoisonJob)}
    extra = sum(
        f.duration_ms * (LAB_ATTEMPT_CEILING if f.job in poisoned else 1) for f in plan.faults if isinstance(f, SlowJob)
    )
    return HORIZON_MS + extra


def scenario_for(jobs: int, workers: int, plan: FaultPlan) -> Scenario:
    """The standard workload carrying `plan`, with the horizon the plan needs."""
    return attrs.evolve(standard_workload(jobs, workers), plan=plan, horizon_ms=horizon_for(plan))


def draw_plan(seed: int, jobs: int = DEFAULT_JOBS, workers: int = DEFAULT_WORKERS) -> FaultPlan:
    """Swarm testing: the seed picks a random subset of fault kinds, then random faults of each.

    The draw has its own RNG (seeded from a string, so hash randomisation cannot touch it).
    """
    rng = random.Random(f"faultline-explore:{seed}")
    job_ids = [f"j{n}" for n in range(1, jobs + 1)]
    actors = [f"w{n}" for n in range(1, workers + 1)]
    window_ms = SUBMIT_SPACING_MS * jobs
    enabled = [kind for kind in FAULT_KINDS if rng.random() < 0.4]
    faults: list = []
    for kind in enabled:
        for _ in range(rng.randint(1, 3)):
            if kind == "crash":
                faults.append(Crash(actor=rng.choice(actors), point=rng.choice(WORKER_POINTS), hit=rng.randint(1, 5)))
            elif kind == "pause":
                faults.append(
                    Pause(
                        actor=rng.choice(actors),
                        point=rng.choice(WORKER_POINTS),
                        hit=rng.randint(1, 5),
                        duration_ms=rng.randint(200, 3_000),
                    )
                )
            elif kind == "duplicate_delivery":
                faults.append(DuplicateDelivery(job=rng.choice(job_ids)))
            elif kind == "store_outage":
                start = rng.randint(0, window_ms)
                faults.append(StoreOutage(start_ms=start, end_ms=start + rng.randint(100, 2_000)))
            elif kind == "clock_skew":
                faults.append(ClockSkew(actor=rng.choice(actors), skew_ms=rng.randint(500, 2_000)))
            elif kind == "submit_timeout":
                faults.append(SubmitTimeout(job=rng.choice(job_ids)))
            elif kind == "slow_job":
                faults.append(SlowJob(job=rng.choice(job_ids), duration_ms=rng.randint(1_200, 4_000)))
            elif kind == "poison_job":
                faults.append(PoisonJob(job=rng.choice(job_ids)))
    return FaultPlan(faults=tuple(_dedupe(faults)))


def _dedupe(faults: list) -> list:
    seen, unique = set(), []
    for fault in faults:
        if fault not in seen:
            seen.add(fault)
            unique.append(fault)
    return unique


@attrs.frozen(kw_only=True)
class SeedOutcome:
    seed: int
    digest: str
    violated: tuple[str, ...]


def run_seed(seed: int, policy_name: str, jobs: int, workers: int, plan: FaultPlan | None = None):
    """Run one explored seed; returns (result, violations)."""
    plan = plan if plan is not None else draw_plan(seed, jobs, workers)
    result = run(scenario_for(jobs, workers, plan), policy_named(policy_name), seed)
    return result, check_all(result)


def outcome(seed: int, policy_name: str, jobs: int, workers: int) -> SeedOutcome:
    result, violations = run_seed(seed, policy_name, jobs, workers)
    return SeedOutcome(seed=seed, digest=result.digest, violated=tuple(sorted({v.invariant for v in violations})))


def _batch(args) -> list[tuple[int, tuple[str, ...]]]:
    seeds, policy_name, jobs, workers = args
    found = []
    for seed in seeds:
        result, violations = run_seed(seed, policy_name, jobs, workers)
        if violations:
            found.append((seed, tuple(sorted({v.invariant for v in violations}))))
    return found


def parse_shard(text: str | None) -> tuple[int, int]:
    if text is None:
        return 1, 1
    index, sep, total = text.partition("/")
    if sep and index.isdigit() and total.isdigit() and 1 <= int(index) <= int(total):
        return int(index), int(total)
    raise BadInputError(f"--shard must look like i/n with 1 <= i <= n (e.g. 2/4), got {text!r}")


def shard_seeds(start: int, count: int, shard: tuple[int, int]) -> list[int]:
    """The i-th of n disjoint, interleaved slices of [start, start + count)."""
    index, total = shard
    return [seed for seed in range(start, start + count) if (seed - start) % total == index - 1]


@attrs.frozen(kw_only=True)
class Report:
    policy: str
    seeds: int
    start: int
    shard: tuple[int, int]
    findings: dict[str, dict[str, int]]
    """INV_XXX -> {"count": seeds that violate it, "first_seed": the lowest such seed}."""
    seconds: float

    @property
    def seeds_per_second(self) -> float:
        return round(self.seeds / self.seconds, 1) if self.seconds else 0.0

    def to_json_dict(self) -> dict:
        return {
            "policy": self.policy,
            "seeds": self.seeds,
            "start": self.start,
            "violations": {inv: dict(data) for inv, data in sorted(self.findings.items())},
            "seeds_per_second": self.seeds_per_second,
        }


def merge_findings(found: Iterable[tuple[int, tuple[str, ...]]]) -> dict[str, dict[str, int]]:
    findings: dict[str, dict[str, int]] = {}
    for seed, violated in found:
        for inv in violated:
            entry = findings.setdefault(inv, {"count": 0, "first_seed": seed})
            entry["count"] += 1
            entry["first_seed"] = min(entry["first_seed"], seed)
    return dict(sorted(findings.items()))


def explore(
    *,
    policy_name: str,
    seeds: int,
    start: int = 0,
    jobs: int = DEFAULT_JOBS,
    workers: int = DEFAULT_WORKERS,
    processes: int = 1,
    shard: tuple[int, int] = (1, 1),
    batch_size: int = 50,
    progress: Callable[[int], None] | None = None,
    dask_address: str | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Report:
    """Run every seed of this shard; `clock` only measures throughput, never affects results."""
    policy_named(policy_name)
    check_workload(jobs, workers)
    if seeds < 1:
        raise BadInputError(f"--seeds must be at least 1, got {seeds}")
    if processes < 1:
        raise BadInputError(f"--processes must be at least 1, got {processes}")
    mine = shard_seeds(start, seeds, shard)
    batches = [mine[i : i + batch_size] for i in range(0, len(mine), batch_size)]
    tasks = [(batch, policy_name, jobs, workers) for batch in batches]
    began = clock()
    found: list[tuple[int, tuple[str, ...]]] = []
    for batch, batch_found in zip(batches, _map(tasks, processes, dask_address), strict=True):
        found.extend(batch_found)
        if progress:
            progress(len(batch))
    return Report(
        policy=policy_name,
        seeds=len(mine),
        start=start,
        shard=shard,
        findings=merge_findings(found),
        seconds=clock() - began,
    )


def _map(tasks: Sequence, processes: int, dask_address: str | None):
    if dask_address is not None:
        from runtime.dask_backend import map_on_dask

        yield from map_on_dask(_batch, tasks, dask_address)
    elif processes == 1:
        for task in tasks:
            yield _batch(task)
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=processes) as pool:
            yield from pool.map(_batch, tasks)


def replay_command(seed: int, policy_name: str, jobs: int, workers: int) -> str:
    flags = ""
    if (jobs, workers) != (DEFAULT_JOBS, DEFAULT_WORKERS):
        flags = f" --jobs {jobs} --workers {workers}"
    return f"faultline replay --seed {seed} --policy {policy_name}{flags}"


def merge_reports(reports: Iterable[dict]) -> dict:
    """Combine the --json outputs of shards into the totals of one run over all their seeds."""
    reports = list(reports)
    if not reports:
        raise BadInputError("nothing to merge: pass at least one explore --json report")
    policies = {r["policy"] for r in reports}
    if len(policies) != 1:
        raise BadInputError(f"cannot merge reports of different policies: {sorted(policies)}")
    merged: dict[str, dict[str, int]] = {}
    for report in reports:
        for inv, data in report["violations"].items():
            entry = merged.setdefault(inv, {"count": 0, "first_seed": data["first_seed"]})
            entry["count"] += data["count"]
            entry["first_seed"] = min(entry["first_seed"], data["first_seed"])
    return {
        "policy": reports[0]["policy"],
        "seeds": sum(r["seeds"] for r in reports),
        "start": min(r["start"] for r in reports),
        "violations": dict(sorted(merged.items())),
    }
