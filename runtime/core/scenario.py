"""Scenario: the workload of a run as data - jobs, workers, fault plan and timing knobs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from runtime.core.errors import BadInputError, ScenarioError
from runtime.core.faults import (
    CLIENT_BEFORE_BUSINESS_COMMIT,
    FAULT_POINTS,
    RELAY_POINTS,
    FaultPlan,
    PoisonJob,
    SlowJob,
    check_plan,
)

RESERVED_ACTORS = ("client", "relay", "reaper", "queue", "store", "lab")
MAX_MS = 3_600_000
MAX_SEED = 2**64 - 1


def _in_range(low: int, high: int):
    def check(instance, attribute, value):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
            raise ScenarioError(f"scenario field {attribute.name} must be an integer in [{low}, {high}], got {value!r}")

    return check


@attrs.frozen(kw_only=True)
class JobSpec:
    """One client request. Payload keys the handler understands:

    amount: charge this much (the default effect); write: overwrite result KEY instead;
    fail_n_times: the handler fails the first N attempts; poison: the handler always fails.
    """

    job_id: str
    payload: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    submit_at_ms: int = attrs.field(default=0, validator=_in_range(0, 86_400_000))
    duration_ms: int = attrs.field(default=100, validator=_in_range(1, MAX_MS))
    idempotency_key: str | None = None
    business_row: bool = False
    """The job belongs to a business row the client commits (the dual-write path)."""

    def __attrs_post_init__(self):
        if not self.job_id or "~" in self.job_id:
            raise ScenarioError(f"job id {self.job_id!r} must be non-empty and without '~' (resubmissions use it)")


@attrs.frozen(kw_only=True)
class Scenario:
    name: str
    jobs: tuple[JobSpec, ...]
    workers: tuple[str, ...] = ("w1", "w2")
    plan: FaultPlan = FaultPlan()
    poll_ms: int = attrs.field(default=50, validator=_in_range(1, 60_000))
    restart_delay_ms: int = attrs.field(default=500, validator=_in_range(0, MAX_MS))
    duration_jitter_ms: int = attrs.field(default=20, validator=_in_range(0, MAX_MS))
    """Each attempt runs duration_ms + a draw in [0, jitter] from the worker's random stream."""
    client_retry_ms: int = attrs.field(default=200, validator=_in_range(1, 60_000))
    client_pace_ms: int = attrs.field(default=0, validator=_in_range(0, 60_000))
    """The callers' rate: at most one request per this many ms, so a delayed client catches up at its
    pace instead of in one burst (0: no limit)."""
    reaper_interval_ms: int = attrs.field(default=100, validator=_in_range(1, 60_000))
    store_capacity_per_s: int | None = attrs.field(default=None, validator=_in_range(1, 10_000_000))

    def __attrs_post_init__(self):
        ids = [job.job_id for job in self.jobs]
        if len(set(ids)) != len(ids):
            raise ScenarioError(f"scenario {self.name!r} repeats a job id")
        if not self.jobs:
            raise ScenarioError(f"scenario {self.name!r} needs at least one job")
        if not self.workers or len(set(self.workers)) != len(self.workers):
            raise ScenarioError(f"scenario {self.name!r} needs at least one worker, each named once")
        taken = sorted(set(self.workers) & set(RESERVED_ACTORS))
        if taken:
            raise ScenarioError(f"worker name {taken[0]!r} is reserved (reserved: {', '.join(RESERVED_ACTORS)})")

    def with_plan(self, plan: FaultPlan) -> Scenario:
        return attrs.evolve(self, plan=plan)

    @property
    def request_ids(self) -> tuple[str, ...]:
        return per_jobs(self.jobs, "ids", lambda jobs: tuple(job.job_id for job in jobs))


_PER_JOBS: dict[tuple[int, str], tuple[tuple, Any]] = {}


def per_jobs(jobs: tuple[JobSpec, ...], what: str, build):
    """`build(jobs)`, computed once per jobs tuple (by identity; the tuple is kept alive with its
    entry, so the id can't be reused): an explorer sweep runs one workload thousands of times, each
    with its own plan. Treat the result as read-only."""
    key = (id(jobs), what)
    cached = _PER_JOBS.get(key)
    if cached is not None and cached[0] is jobs:
        return cached[1]
    value = build(jobs)
    if len(_PER_JOBS) >= 256:
        _PER_JOBS.pop(next(iter(_PER_JOBS)))
    _PER_JOBS[key] = (jobs, value)
    return value


def request_entries(jobs: tuple[JobSpec, ...]) -> list[dict]:
    """The header's `requests`: every request with its idempotency key and business-row flag."""
    return per_jobs(jobs, "requests", _request_entries)


def _request_entries(jobs) -> list[dict]:
    return [{"request": job.job_id, "key": job.idempotency_key, "business_row": job.business_row} for job in jobs]


def relay_runs(scenario: Scenario, policy) -> bool:
    """The outbox relay runs only when the policy has an outbox and some job has a business row."""
    return policy.outbox and any(job.business_row for job in scenario.jobs)


def reachable_points(scenario: Scenario, policy) -> set[str]:
    """The fault points some run of this scenario under this policy can reach."""
    points = set(FAULT_POINTS) - set(RELAY_POINTS)
    if not any(job.business_row for job in scenario.jobs):
        points.discard(CLIENT_BEFORE_BUSINESS_COMMIT)
    if relay_runs(scenario, policy):
        points |= set(RELAY_POINTS)
    return points


def validate_plan(scenario: Scenario, policy, plan: FaultPlan | None = None) -> None:
    """Bad input if any fault of the plan can never fire in this scenario under this policy."""
    check_plan(
        plan if plan is not None else scenario.plan,
        requests=scenario.request_ids,
        workers=scenario.workers,
        reached=reachable_points(scenario, policy),
    )


def check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise BadInputError(f"seed must be an integer in [0, 2**64 - 1], got {seed!r}")
    return seed


def shaped_jobs(scenario: Scenario) -> tuple[JobSpec, ...]:
    """The jobs as the plan shapes them before they are submitted: a poison job's payload can never
    be processed, a slow job takes its planned duration. The protocol never reads the plan."""
    plan = scenario.plan
    poisoned = {f.job for f in plan.of_kind(PoisonJob)}
    slow = {f.job: f.duration_ms for f in plan.of_kind(SlowJob)}
    if not poisoned and not slow:
        return scenario.jobs
    shaped = list(scenario.jobs)
    position = per_jobs(scenario.jobs, "positions", lambda jobs: {job.job_id: n for n, job in enumerate(jobs)})
    for job_id in sorted(poisoned | slow.keys()):
        n = position.get(job_id)
        if n is not None:
            job = shaped[n]
            payload = {**job.payload, "poison": True} if job_id in poisoned else job.payload
            shaped[n] = attrs.evolve(job, payload=payload, duration_ms=slow.get(job_id, job.duration_ms))
    return tuple(shaped)
