"""Scenario: the workload of a run as data - jobs, workers, fault plan and timing knobs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from runtime.errors import ScenarioError
from runtime.faults import FaultPlan

RESERVED_ACTORS = ("client", "relay", "reaper", "queue", "store", "lab")
MAX_MS = 3_600_000


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
        return tuple(job.job_id for job in self.jobs)
