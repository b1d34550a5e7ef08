"""Scenario: the workload of a run as data - jobs, workers, fault plan and timing knobs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from runtime.errors import ScenarioError
from runtime.faults import FaultPlan


def _positive(instance, attribute, value):
    if value is not None and value < 1:
        raise ScenarioError(f"scenario field {attribute.name} must be >= 1, got {value}")


def _non_negative(instance, attribute, value):
    if value < 0:
        raise ScenarioError(f"scenario field {attribute.name} must be >= 0, got {value}")


@attrs.frozen(kw_only=True)
class JobSpec:
    """One client request. Payload keys the handler understands:

    amount: charge this much (the default effect); write: overwrite result KEY instead;
    fail_n_times: the handler fails the first N attempts; poison: the handler always fails.
    """

    job_id: str
    payload: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    submit_at_ms: int = attrs.field(default=0, validator=_non_negative)
    duration_ms: int = attrs.field(default=100, validator=_positive)
    idempotency_key: str | None = None
    business_row: bool = False
    """The job belongs to a business row the client commits (the dual-write path)."""


@attrs.frozen(kw_only=True)
class Scenario:
    name: str
    jobs: tuple[JobSpec, ...]
    workers: tuple[str, ...] = ("w1", "w2")
    plan: FaultPlan = FaultPlan()
    horizon_ms: int = attrs.field(default=30_000, validator=_positive)
    """Stop here at the latest; a job not terminal by then counts as lost."""
    poll_ms: int = attrs.field(default=50, validator=_positive)
    restart_delay_ms: int = attrs.field(default=500, validator=_non_negative)
    duration_jitter_ms: int = attrs.field(default=20, validator=_non_negative)
    """Each attempt runs duration_ms + a draw in [0, jitter] from the run's RNG."""
    client_retry_ms: int = attrs.field(default=200, validator=_positive)
    reaper_interval_ms: int = attrs.field(default=100, validator=_positive)
    store_capacity_per_s: int | None = attrs.field(default=None, validator=_positive)

    def __attrs_post_init__(self):
        ids = [job.job_id for job in self.jobs]
        if len(set(ids)) != len(ids):
            raise ScenarioError(f"scenario {self.name!r} repeats a job id: {ids}")
        if not self.workers:
            raise ScenarioError(f"scenario {self.name!r} needs at least one worker")

    def with_plan(self, plan: FaultPlan) -> Scenario:
        return attrs.evolve(self, plan=plan)
