"""Swarm exploration: each seed draws its own fault plan for the standard workload, runs it and
checks every invariant. Sweeps split over processes (--processes) and machines (--shard i/n).

A seed fully determines its plan, so any finding replays exactly from (seed, policy, workload).
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping

import attrs

from invariants import check_all
from runtime.errors import BadInputError
from runtime.faults import (
    CLIENT,
    CLIENT_POINTS,
    FAULT_TYPES,
    RELAY,
    RELAY_POINTS,
    WORKER_POINTS,
    FaultPlan,
)
from runtime.policies import Policy
from runtime.scenario import JobSpec, Scenario
from runtime.sim import reached_points, run

NO_FAULTS = FaultPlan()
DEFAULT_JOBS = 50
DEFAULT_WORKERS = 4
SUBMIT_SPACING_MS = 20
JOB_DURATION_MS = 20
STORE_CAPACITY_PER_S = 300
MAX_JOBS = 10_000
MAX_WORKERS = 64
MAX_SEEDS = 10**15

POLICIES: dict[str, Policy] = {
    # A first draft with a visibility timeout (as every real broker has), so that lease failures
    # (expiry under a long job, zombies, clock skew) are reachable too.
    "naive": Policy.naive().evolve(lease_ms=1_000),
    "safe": Policy.safe(),
}

# One table of fault kinds and the ranges they are drawn from: the explorer draws from it, and so do
# the Hypothesis strategies in the tests. A field is drawn by its spec: "actor" (any actor that has
# fault points), "worker", "job", "point" (a point of the drawn actor), "worker_point", or (low, high).
FAULT_DRAWS: dict[str, dict[str, object]] = {
    "crash": {"actor": "actor", "point": "point", "hit": (1, 5)},
    "pause": {"actor": "actor", "point": "point", "hit": (1, 5), "duration_ms": (200, 3_000)},
    "crash_job": {"job": "job", "point": "worker_point"},
    "duplicate_delivery": {"job": "job"},
    "store_outage": {"start_ms": "window", "length_ms": (100, 2_000)},
    "clock_skew": {"actor": "worker", "skew_ms": (500, 2_000)},
    "submit_timeout": {"job": "job"},
    "slow_job": {"job": "job", "duration_ms": (1_200, 4_000)},
    "poison_job": {"job": "job"},
}
FAULT_KINDS = tuple(FAULT_DRAWS)
KIND_PROBABILITY = 0.4
FAULTS_PER_KIND = (1, 3)
assert set(FAULT_KINDS) == set(FAULT_TYPES), "every fault kind must have draw ranges"


def points_of(actor: str) -> tuple[str, ...]:
    return CLIENT_POINTS if actor == CLIENT else RELAY_POINTS if actor == RELAY else WORKER_POINTS


def policy_named(name: str) -> Policy:
    """An explorer policy: naive, safe, or a failure mode's naive policy by its id (e.g. FM_009)."""
    if name in POLICIES:
        return POLICIES[name]
    if name.upper().startswith("FM"):
        from runtime import catalog

        return catalog.find(name).policy(fixed=False)
    raise BadInputError(f"unknown explorer policy {name!r} (choose naive, safe, or a failure mode's id such as FM_009)")


def check_workload(jobs: int, workers: int) -> None:
    if not 1 <= jobs <= MAX_JOBS:
        raise BadInputError(f"--jobs must be between 1 and {MAX_JOBS}, got {jobs}")
    if not 1 <= workers <= MAX_WORKERS:
        raise BadInputError(f"--workers must be between 1 and {MAX_WORKERS}, got {workers}")


def standard_workload(jobs: int = DEFAULT_JOBS, workers: int = DEFAULT_WORKERS, plan: FaultPlan = NO_FAULTS):
    """N short charges 20 ms apart, each with an idempotency key; every 5th has a business row. The
    store takes STORE_CAPACITY_PER_S calls a second, so INV_008 is judged on every explored run."""
    check_workload(jobs, workers)
    return Scenario(
        name=f"standard workload ({jobs} jobs, {workers} workers)",
        jobs=tuple(
            JobSpec(
                job_id=f"j{n}",
                payload={"amount": n},
                submit_at_ms=SUBMIT_SPACING_MS * (n - 1),
                duration_ms=JOB_DURATION_MS,
                idempotency_key=f"order-{n}",
                business_row=n % 5 == 0,
            )
            for n in range(1, jobs + 1)
        ),
        workers=tuple(f"w{n}" for n in range(1, workers + 1)),
        plan=plan,
        client_pace_ms=SUBMIT_SPACING_MS,
        store_capacity_per_s=STORE_CAPACITY_PER_S,
    )


def scenario_for(jobs: int, workers: int, plan: FaultPlan) -> Scenario:
    """The standard workload carrying `plan`."""
    return standard_workload(jobs, workers, plan)


def _draw_value(spec, rng: random.Random, *, actor, actors, workers, jobs, window_ms):
    if spec == "actor":
        return rng.choice(actors)
    if spec == "worker":
        return rng.choice(workers)
    if spec == "job":
        return rng.choice(jobs)
    if spec == "point":
        return rng.choice(points_of(actor))
    if spec == "worker_point":
        return rng.choice(WORKER_POINTS)
    if spec == "window":
        return rng.randint(0, window_ms)
    low, high = spec
    return rng.randint(low, high)


def draw_fault(kind: str, rng: random.Random, *, jobs: list[str], workers: list[str], window_ms: int):
    values: dict[str, object] = {}
    actors = [*workers, CLIENT, RELAY]
    for field, spec in FAULT_DRAWS[kind].items():
        values[field] = _draw_value(
            spec, rng, actor=values.get("actor"), actors=actors, workers=workers, jobs=jobs, window_ms=window_ms
        )
    if kind == "store_outage":
        values["end_ms"] = values["start_ms"] + values.pop("length_ms")
    return FAULT_TYPES[kind](**values)


def draw_plan(seed: int, jobs: int = DEFAULT_JOBS, workers: int = DEFAULT_WORKERS, policy: Policy | None = None):
    """Swarm testing: the seed picks a random subset of fault kinds, then random faults of each.

    The draw has its own RNG (seeded from a string, so hash randomisation cannot touch it). Faults
    the policy can never reach (the relay's, when no relay runs) are dropped after the draw.
    """
    rng = random.Random(f"faultline-explore:{seed}")
    job_ids = [f"j{n}" for n in range(1, jobs + 1)]
    worker_names = [f"w{n}" for n in range(1, workers + 1)]
    window_ms = SUBMIT_SPACING_MS * jobs
    enabled = [kind for kind in FAULT_KINDS if rng.random() < KIND_PROBABILITY]
    faults: list = []
    for kind in enabled:
        for _ in range(rng.randint(*FAULTS_PER_KIND)):
            faults.append(draw_fault(kind, rng, jobs=job_ids, workers=worker_names, window_ms=window_ms))
    reachable = reached_points(standard_workload(jobs, workers), policy or POLICIES["naive"])
    kept = [f for f in dict.fromkeys(faults) if getattr(f, "point", None) in (None, *reachable)]
    return FaultPlan(faults=tuple(kept))


@attrs.frozen(kw_only=True)
class Sweep:
    """What an explorer sweep runs: the policy (by name, plus overrides) and the workload size."""

    policy_name: str = "naive"
    overrides: Mapping[str, str] = attrs.field(factory=dict, converter=lambda d: dict(sorted(d.items())))
    jobs: int = DEFAULT_JOBS
    workers: int = DEFAULT_WORKERS

    def policy(self) -> Policy:
        return policy_named(self.policy_name).with_overrides(self.overrides)

    def run_seed(self, seed: int, plan: FaultPlan | None = None):
        """Run one explored seed; returns (record, violations)."""
        policy = self.policy()
        plan = plan if plan is not None else draw_plan(seed, self.jobs, self.workers, policy)
        record = run(scenario_for(self.jobs, self.workers, plan), policy, seed)
        return record, check_all(record)

    def replay_command(self, seed: int) -> str:
        parts = ["faultline", "replay", "--seed", str(seed), "--policy", self.policy_name]
        if (self.jobs, self.workers) != (DEFAULT_JOBS, DEFAULT_WORKERS):
            parts += ["--jobs", str(self.jobs), "--workers", str(self.workers)]
        for field, value in self.overrides.items():
            parts += ["--set", f"{field}={value}"]
        return " ".join(parts)


def run_seed(seed: int, policy_name: str, jobs: int, workers: int, plan: FaultPlan | None = None):
    return Sweep(policy_name=policy_name, jobs=jobs, workers=workers).run_seed(seed, plan)


@attrs.frozen(kw_only=True)
class SeedOutcome:
    seed: int
    digest: str
    violated: tuple[str, ...]


def outcome(seed: int, policy_name: str, jobs: int, workers: int, overrides=None) -> SeedOutcome:
    sweep = Sweep(policy_name=policy_name, jobs=jobs, workers=workers, overrides=overrides or {})
    record, violations = sweep.run_seed(seed)
    return SeedOutcome(seed=seed, digest=record.digest, violated=tuple(sorted({v.invariant for v in violations})))


def _batch(args) -> list[tuple[int, tuple[str, ...]]]:
    sweep, first, stop, step = args
    found = []
    for seed in range(first, stop, step):
        _, violations = sweep.run_seed(seed)
        if violations:
            found.append((seed, tuple(sorted({v.invariant for v in violations}))))
    return found


def parse_shard(text: str | None) -> tuple[int, int]:
    if text is None:
        return 1, 1
    index, sep, total = text.partition("/")
    digits = index.isascii() and total.isascii() and index.isdigit() and total.isdigit() and len(total) < 10
    if sep and digits and 1 <= int(index) <= int(total):
        return int(index), int(total)
    raise BadInputError(f"--shard must look like i/n with 1 <= i <= n (e.g. 2/4), got {text!r}")


def shard_seeds(start: int, count: int, shard: tuple[int, int]) -> range:
    """The i-th of n disjoint, interleaved slices of [start, start + count), as a lazy range."""
    index, total = shard
    return range(start + index - 1, start + count, total)


@attrs.frozen(kw_only=True)
class Report:
    policy: str
    seeds: int
    start: int
    shard: tuple[int, int]
    jobs: int
    workers: int
    overrides: Mapping[str, str]
    findings: dict[str, dict[str, int]]
    """INV_XXX -> {"count": seeds that violate it, "first_seed": the lowest such seed}."""
    seconds: float
    interrupted: bool = False

    @property
    def seeds_per_second(self) -> float:
        return round(self.seeds / self.seconds, 1) if self.seconds else 0.0

    def to_json_dict(self) -> dict:
        return {
            "policy": self.policy,
            "seeds": self.seeds,
            "start": self.start,
            "shard": f"{self.shard[0]}/{self.shard[1]}",
            "jobs": self.jobs,
            "workers": self.workers,
            "overrides": dict(self.overrides),
            "violations": {inv: dict(data) for inv, data in sorted(self.findings.items())},
            "seeds_per_second": self.seeds_per_second,
            "interrupted": self.interrupted,
        }


def merge_findings(found: Iterable[tuple[int, tuple[str, ...]]]) -> dict[str, dict[str, int]]:
    findings: dict[str, dict[str, int]] = {}
    for seed, violated in found:
        for inv in violated:
            entry = findings.setdefault(inv, {"count": 0, "first_seed": seed})
            entry["count"] += 1
            entry["first_seed"] = min(entry["first_seed"], seed)
    return dict(sorted(findings.items()))


def usable_processes(asked: int) -> int:
    """At most one process per CPU: more only queue for the same cores."""
    if asked < 1:
        raise BadInputError(f"--processes must be at least 1, got {asked}")
    return min(asked, os.cpu_count() or 1)


def explore(
    *,
    policy_name: str,
    seeds: int,
    start: int = 0,
    jobs: int = DEFAULT_JOBS,
    workers: int = DEFAULT_WORKERS,
    overrides: Mapping[str, str] | None = None,
    processes: int = 1,
    shard: tuple[int, int] = (1, 1),
    batch_size: int = 50,
    progress: Callable[[int], None] | None = None,
    dask_address: str | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Report:
    """Run every seed of this shard; `clock` only measures throughput, never affects results.

    Ctrl-C stops the sweep between batches and returns what was found so far (interrupted=True)."""
    sweep = Sweep(policy_name=policy_name, overrides=overrides or {}, jobs=jobs, workers=workers)
    sweep.policy()  # bad policy names and overrides fail before any work
    check_workload(jobs, workers)
    if not 1 <= seeds <= MAX_SEEDS:
        raise BadInputError(f"--seeds must be between 1 and {MAX_SEEDS}, got {seeds}")
    processes = usable_processes(processes)
    mine = shard_seeds(start, seeds, shard)
    if len(mine) == 0:
        raise BadInputError(
            f"shard {shard[0]}/{shard[1]} of {seeds} seed(s) from {start} is empty; use fewer shards or more seeds"
        )
    began = clock()
    found: list[tuple[int, tuple[str, ...]]] = []
    done = 0
    interrupted = False
    try:
        for size, batch_found in _map(sweep, mine, batch_size, processes, dask_address):
            found.extend(batch_found)
            done += size
            if progress:
                progress(size)
    except KeyboardInterrupt:
        interrupted = True
    return Report(
        policy=policy_name,
        seeds=done,
        start=start,
        shard=shard,
        jobs=jobs,
        workers=workers,
        overrides=sweep.overrides,
        findings=merge_findings(found),
        seconds=clock() - began,
        interrupted=interrupted,
    )


def _tasks(sweep: Sweep, seeds: range, batch_size: int) -> Iterator[tuple]:
    step = seeds.step
    for first in range(seeds.start, seeds.stop, step * batch_size):
        yield sweep, first, min(seeds.stop, first + step * batch_size), step


def _size(task) -> int:
    return len(range(task[1], task[2], task[3]))


def _map(sweep: Sweep, seeds: range, batch_size: int, processes: int, dask_address: str | None):
    """(batch size, findings) per batch, in seed order; never more than a few batches in flight."""
    tasks = _tasks(sweep, seeds, batch_size)
    if dask_address is not None:
        from runtime.dask_backend import map_on_dask

        yield from map_on_dask(_batch, tasks, _size, dask_address)
        return
    if processes == 1:
        for task in tasks:
            yield _size(task), _batch(task)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=processes) as pool:
        yield from windowed(tasks, lambda task: pool.submit(_batch, task), _size, processes * 4)


def windowed(tasks, submit, size_of, limit: int):
    """Submit tasks lazily, at most `limit` in flight; yield (size, result) in task order."""
    from collections import deque

    window: deque = deque()
    for task in tasks:
        window.append((size_of(task), submit(task)))
        if len(window) >= limit:
            size, future = window.popleft()
            yield size, future.result()
    while window:
        size, future = window.popleft()
        yield size, future.result()


def replay_command(seed: int, policy_name: str, jobs: int, workers: int, overrides=None) -> str:
    return Sweep(policy_name=policy_name, jobs=jobs, workers=workers, overrides=overrides or {}).replay_command(seed)


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use `faultline explore`")
