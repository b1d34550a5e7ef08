"""Swarm exploration: each seed draws its own fault plan for the standard workload, runs it and
checks every invariant. Sweeps split over processes (--processes) and machines (--shard i/n).

A seed fully determines its plan, so any finding replays exactly from (seed, policy, workload).
"""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Callable, Iterable, Iterator, Mapping

import attrs

from faultline.explore.coverage import reached as reached_in
from faultline.explore.parallel import map_on_processes
from faultline.explore.plans import (
    DEFAULT_JOBS,
    DEFAULT_WORKERS,
    MAX_SEEDS,
    check_workload,
    draw_plan,
    policy_named,
    replay_parts,
    scenario_for,
    with_mechanisms,
)
from faultline.explore.workloads import draw_workflow_plan, workflow_workload
from invariants import check_all
from runtime.core.errors import BadInputError
from runtime.core.faults import FaultPlan
from runtime.core.policy import Policy
from runtime.core.record import gc_paused
from runtime.sim import run


@attrs.frozen(kw_only=True)
class Sweep:
    """What an explorer sweep runs: the policy (by name, plus overrides) and the workload size."""

    policy_name: str = "naive"
    overrides: Mapping[str, str] = attrs.field(factory=dict, converter=lambda d: dict(sorted(d.items())))
    jobs: int = DEFAULT_JOBS
    workers: int = DEFAULT_WORKERS
    workload: str | None = None
    """A workflow spec (YAML) to run instead of the standard workload (`jobs` then unused)."""
    mechanisms: bool = False
    """Each seed also draws batches and, off the safe preset, how batches are acked and jobs retried."""
    coverage: bool = False
    """Count, per fault kind and mechanism, the seeds that had it on and the seeds where it was reached."""

    def policy(self, seed: int | None = None) -> Policy:
        """The sweep's policy; with `mechanisms`, as seed `seed` switches them on."""
        policy = policy_named(self.policy_name).with_overrides(self.overrides)
        if self.mechanisms and seed is not None:
            policy = with_mechanisms(policy, seed, protective=self.policy_name == "safe")
        return policy

    def draw(self, seed: int, policy: Policy | None = None) -> FaultPlan:
        """The plan the explorer draws for `seed`."""
        policy = policy or self.policy()
        if self.workload is not None:
            return draw_workflow_plan(seed, self.workload, self.workers, policy)
        return draw_plan(seed, self.jobs, self.workers, policy)

    def scenario(self, plan: FaultPlan, jobs: int | None = None, workers: int | None = None):
        """The workload carrying `plan` (with `jobs` and `workers` when a shrink asks for fewer)."""
        workers = self.workers if workers is None else workers
        if self.workload is not None:
            return workflow_workload(self.workload, workers, plan)
        return scenario_for(self.jobs if jobs is None else jobs, workers, plan)

    def run_seed(self, seed: int, plan: FaultPlan | None = None):
        """Run one explored seed; returns (record, violations)."""
        policy = self.policy(seed)
        plan = plan if plan is not None else self.draw(seed, policy)
        record = run(self.scenario(plan), policy, seed)
        return record, check_all(record)

    def replay_command(self, seed: int) -> str:
        """The command that replays `seed` of this sweep (plans.replay_parts: the one builder)."""
        parts = replay_parts(
            seed,
            self.policy_name,
            workload=self.workload,
            jobs=self.jobs,
            workers=self.workers,
            overrides=self.overrides,
            mechanisms=self.mechanisms,
        )
        return shlex.join(parts)


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


def _batch(args) -> tuple[list[tuple[int, tuple[str, ...]]], dict[str, list[int]] | None]:
    """(the seeds that violate something, with what; per fault kind and mechanism [seeds on, seeds
    reached] when the sweep counts coverage)."""
    sweep, first, stop, step = args
    found = []
    counts: dict[str, list[int]] | None = {} if sweep.coverage else None
    with gc_paused():  # a seed frees everything it allocates (runs break their own cycles): no GC work
        for seed in range(first, stop, step):
            record, violations = sweep.run_seed(seed)
            if violations:
                found.append((seed, tuple(sorted({v.invariant for v in violations}))))
            if counts is not None:
                on, hit = reached_in(record, sweep.policy(seed), record.scenario)
                for name in on:
                    counts.setdefault(name, [0, 0])[0] += 1
                for name in hit:
                    counts[name][1] += 1
    return found, counts


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
    workload: str | None = None
    coverage: dict[str, tuple[int, int]] | None = None
    """Fault kind (`fault:KIND`) or mechanism -> (seeds it was on, seeds it was reached), when counted."""

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
            "workload": self.workload,
            **(
                {"coverage": {k: {"on": on, "reached": hit} for k, (on, hit) in self.coverage.items()}}
                if self.coverage is not None
                else {}
            ),
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
    workload: str | None = None,
    mechanisms: bool = False,
    coverage: bool = False,
) -> Report:
    """Run every seed of this shard; `clock` only measures throughput, never affects results.

    Ctrl-C stops the sweep between batches and returns what was found so far (interrupted=True)."""
    sweep = Sweep(
        policy_name=policy_name,
        overrides=overrides or {},
        jobs=jobs,
        workers=workers,
        workload=workload,
        mechanisms=mechanisms,
        coverage=coverage,
    )
    sweep.policy()  # bad policy names and overrides fail before any work
    check_workload(jobs, workers)
    if workload is not None:
        workflow_workload(workload, workers)  # a bad spec fails before any work
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
    counted: dict[str, list[int]] = {}
    done = 0
    interrupted = False
    try:
        for size, (batch_found, batch_counts) in _map(sweep, mine, batch_size, processes, dask_address):
            found.extend(batch_found)
            for name, (on, hit) in (batch_counts or {}).items():
                total = counted.setdefault(name, [0, 0])
                total[0] += on
                total[1] += hit
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
        workload=workload,
        coverage={name: (on, hit) for name, (on, hit) in sorted(counted.items())} if coverage else None,
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
        from faultline.explore.dask_backend import map_on_dask

        yield from map_on_dask(_batch, tasks, _size, dask_address)
    elif processes == 1:
        for task in tasks:
            yield _size(task), _batch(task)
    else:
        yield from map_on_processes(_batch, tasks, _size, processes)


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


__all__ = [
    "Report",
    "SeedOutcome",
    "Sweep",
    "explore",
    "merge_findings",
    "merge_reports",
    "outcome",
    "parse_shard",
    "replay_command",
    "run_seed",
    "shard_seeds",
    "usable_processes",
]
