"""Shrinking: reduce a failing (workload, fault plan) to a minimal one that still breaks the same
invariant - fewer faults, fewer jobs and workers, earlier and shorter faults.

Greedy and deterministic, in the spirit of delta debugging: each pass tries a smaller candidate
and keeps it only if the named invariant is still violated, until nothing smaller fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import attrs

from invariants import check_all
from runtime.core.errors import FaultPlanError
from runtime.core.faults import ClockSkew, Crash, FaultPlan, Pause, SlowJob, StoreOutage
from runtime.core.policy import Policy
from runtime.core.scenario import Scenario


@attrs.frozen(kw_only=True)
class Case:
    jobs: int
    workers: int
    plan: FaultPlan


@attrs.frozen(kw_only=True)
class Shrunk:
    invariant: str
    original: Case
    minimal: Case
    runs: int
    """How many candidate runs the search took."""


def shrink(
    *,
    invariant: str,
    case: Case,
    policy: Policy,
    seed: int,
    workload: Callable[[int, int, FaultPlan], Scenario],
    max_runs: int = 2_000,
) -> Shrunk:
    """Smallest case (by the passes below) whose run under `policy`/`seed` still breaks `invariant`."""
    from runtime.sim import run

    runs = 0

    def fails(candidate: Case) -> bool:
        nonlocal runs
        runs += 1
        try:
            result = run(workload(candidate.jobs, candidate.workers, candidate.plan), policy, seed)
        except FaultPlanError:  # a smaller workload no longer reaches one of the faults: not a candidate
            return False
        return any(v.invariant == invariant for v in check_all(result))

    if not fails(case):
        raise ValueError(f"the case does not violate {invariant}; nothing to shrink")
    current = case
    improved = True
    while improved and runs < max_runs:
        improved = False
        for candidate in _candidates(current):
            if runs >= max_runs:
                break
            if fails(candidate):
                current = candidate
                improved = True
                break
    return Shrunk(invariant=invariant, original=case, minimal=current, runs=runs)


def _candidates(case: Case) -> Iterator[Case]:
    faults = case.plan.faults
    # 1. Drop faults: halves first (fast), then one at a time.
    if len(faults) > 1:
        half = len(faults) // 2
        yield _with(case, faults[:half])
        yield _with(case, faults[half:])
    for i in range(len(faults)):
        yield _with(case, faults[:i] + faults[i + 1 :])
    # 2. Fewer jobs (the workload keeps its first N); faults on dropped jobs go too.
    for jobs in _smaller(case.jobs):
        yield _restrict(case, jobs=jobs, workers=case.workers)
    # 3. Fewer workers.
    for workers in _smaller(case.workers):
        yield _restrict(case, jobs=case.jobs, workers=workers)
    # 4. Simpler faults: earlier, shorter, first hit.
    for i, fault in enumerate(faults):
        for simpler in _simpler(fault):
            yield _with(case, faults[:i] + (simpler,) + faults[i + 1 :])


def _with(case: Case, faults) -> Case:
    return attrs.evolve(case, plan=FaultPlan(faults=tuple(faults)))


def _smaller(n: int) -> list[int]:
    options = [1, n // 2, n - 1]
    return sorted({k for k in options if 1 <= k < n})


def _restrict(case: Case, *, jobs: int, workers: int) -> Case:
    job_ids = {f"j{n}" for n in range(1, jobs + 1)}
    actors = {f"w{n}" for n in range(1, workers + 1)} | {"client", "relay"}
    kept = []
    for fault in case.plan.faults:
        job = getattr(fault, "job", None)
        actor = getattr(fault, "actor", None)
        if (job is None or job in job_ids) and (actor is None or actor in actors):
            kept.append(fault)
    return Case(jobs=jobs, workers=workers, plan=FaultPlan(faults=tuple(kept)))


def _simpler(fault) -> Iterator:
    job = getattr(fault, "job", None)
    if job is not None and job != "j1" and job[1:].isdigit():  # aim it at an earlier job: the workload can shrink
        number = int(job[1:])
        yield attrs.evolve(fault, job="j1")
        yield attrs.evolve(fault, job=f"j{max(1, number // 2)}")
    if isinstance(fault, Crash | Pause) and fault.hit > 1:
        yield attrs.evolve(fault, hit=1)
        yield attrs.evolve(fault, hit=fault.hit - 1)
    if isinstance(fault, Pause | SlowJob) and fault.duration_ms > 1:
        yield attrs.evolve(fault, duration_ms=max(1, fault.duration_ms // 2))
    if isinstance(fault, StoreOutage):
        length = fault.end_ms - fault.start_ms
        if fault.start_ms > 0:
            yield StoreOutage(start_ms=0, end_ms=length)
            yield StoreOutage(start_ms=fault.start_ms // 2, end_ms=fault.start_ms // 2 + length)
        if length > 1:
            yield attrs.evolve(fault, end_ms=fault.start_ms + max(1, length // 2))
    if isinstance(fault, ClockSkew) and abs(fault.skew_ms) > 1:
        yield attrs.evolve(fault, skew_ms=fault.skew_ms // 2)
