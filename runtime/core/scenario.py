"""Scenario: the workload of a run as data - jobs, workers, fault plan and timing knobs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from runtime.core.errors import BadInputError, ScenarioError
from runtime.core.faults import (
    BROKER_PUBLISH,
    CLIENT_BEFORE_BUSINESS_COMMIT,
    DISPATCHER_AFTER_FIRST_WRITE,
    FAULT_POINTS,
    RELAY_POINTS,
    SCHEDULER_BEFORE_TRIGGER,
    WORKER_HEARTBEAT,
    WORKFLOW_POINTS,
    FaultPlan,
    PoisonJob,
    SlowJob,
    check_plan,
)
from runtime.core.payload import payload_problem
from runtime.core.policy import Policy
from runtime.core.workflow.progress import run_id, task_job_id
from runtime.core.workflow.spec import WorkflowSpec

RESERVED_ACTORS = ("client", "relay", "reaper", "queue", "store", "lab", "trigger", "operator")
MAX_MS = 3_600_000
LEADER_LOCKS = ("store", "redis")
BROKERS = ("rabbitmq",)
BROKER_UNBUILT_PAYLOAD = frozenset(("fail_n_times", "poison", "eta_ms"))
BROKER_UNBUILT_FAULTS = frozenset(("store_outage", "poison_job", "redrive", "duplicate_delivery", "submit_timeout"))
MAX_SEED = 2**64 - 1


def _in_range(low: int, high: int) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
            raise ScenarioError(f"scenario field {attribute.name} must be an integer in [{low}, {high}], got {value!r}")

    return check


@attrs.frozen(kw_only=True)
class JobSpec:
    """One client request. The payload keys the system reads, their types and ranges, are
    runtime.core.payload.PAYLOAD_FIELDS (amount, write, fail_n_times, poison, ...)."""

    job_id: str
    payload: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    submit_at_ms: int = attrs.field(default=0, validator=_in_range(0, 86_400_000))
    duration_ms: int = attrs.field(default=100, validator=_in_range(1, MAX_MS))
    idempotency_key: str | None = None
    business_row: bool = False
    """The job belongs to a business row the client commits (the dual-write path)."""

    def __attrs_post_init__(self) -> None:
        if not self.job_id or "~" in self.job_id:
            raise ScenarioError(f"job id {self.job_id!r} must be non-empty and without '~' (resubmissions use it)")
        problem = payload_problem(self.payload)
        if problem is not None:
            raise ScenarioError(f"job {self.job_id!r}: {problem}")


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
    # Workflows (docs/12_workflows.md): runs of a task DAG, dispatched as their parents succeed.
    workflow: WorkflowSpec | None = None
    triggers: tuple[int, ...] = ()
    """On-demand runs: the trigger asks for run `run-N` at the N-th of these times (ms)."""
    dispatchers: tuple[str, ...] = ("dispatcher",)
    """The dispatcher processes (more than one: scaled out, each polling every run)."""
    dispatch_ms: int = attrs.field(default=10, validator=_in_range(0, 60_000))
    """How long a dispatcher takes from reading a run's state to acting on it (the enqueue's round trip)."""
    schedulers: tuple[str, ...] = ()
    """Periodic runs: schedulers contending for the leader lock; the leader fires each tick."""
    ticks: int = attrs.field(default=0, validator=_in_range(0, 1_000))
    """How many ticks of the workflow's schedule the run covers (tick k is due at k * every_ms)."""
    leader_lease_ms: int = attrs.field(default=1_000, validator=_in_range(1, MAX_MS))
    broker: str | None = None
    """A broker delivering the queue's jobs: None (the queue's own table) or "rabbitmq"
    (runtime/core/brokered.py; for real, `--broker amqp://...`)."""
    prefetch: int = attrs.field(default=1, validator=_in_range(1, 1_000))
    """With a broker: how many deliveries a consumer may hold unacked."""
    consumer_timeout_ms: int | None = attrs.field(default=None, validator=_in_range(1, MAX_MS))
    """With a broker: its delivery acknowledgement timeout (RabbitMQ's consumer_timeout): a channel
    that holds a delivery unacked for longer is closed and its deliveries requeued (None: never)."""
    leader_lock: str = "store"
    """Where the schedulers' leader lock lives: "store" (a row beside the runs, which a fenced trigger
    reads in its own transaction) or "redis" (SET NX PX with a TTL, its epoch an INCRed fencing token
    the store can only compare with the newest it has seen; for real, `--lock redis://...`)."""

    def __attrs_post_init__(self) -> None:
        ids = [job.job_id for job in self.jobs]
        if len(set(ids)) != len(ids):
            raise ScenarioError(f"scenario {self.name!r} repeats a job id")
        if not self.jobs and self.workflow is None:
            raise ScenarioError(f"scenario {self.name!r} needs at least one job or a workflow")
        if not self.workers or len(set(self.workers)) != len(self.workers):
            raise ScenarioError(f"scenario {self.name!r} needs at least one worker, each named once")
        actors = [*self.workers, *self.workflow_actors]
        if len(set(actors)) != len(actors):
            raise ScenarioError(f"scenario {self.name!r} names an actor twice (workers, dispatchers, schedulers)")
        taken = sorted(set(actors) & set(RESERVED_ACTORS))
        if taken:
            raise ScenarioError(f"actor name {taken[0]!r} is reserved (reserved: {', '.join(RESERVED_ACTORS)})")
        if self.leader_lock not in LEADER_LOCKS:
            raise ScenarioError(
                f"scenario field leader_lock must be one of {', '.join(LEADER_LOCKS)}, got {self.leader_lock!r}"
            )
        if self.broker is not None:
            self._check_broker()
        if self.workflow is not None:
            self._check_workflow()
        elif self.triggers or self.schedulers or self.ticks:
            raise ScenarioError(f"scenario {self.name!r} has triggers or schedulers but no workflow")

    def _check_broker(self) -> None:
        """A broker delivers plain jobs that succeed (runtime/core/brokered.py says what is not built)."""
        if self.broker not in BROKERS:
            raise ScenarioError(
                f"scenario field broker must be one of {', '.join(BROKERS)} or None, got {self.broker!r}"
            )
        unbuilt = [
            what
            for what, present in (
                ("business rows (the outbox relay)", any(job.business_row for job in self.jobs)),
                (
                    "jobs that fail or wait (retries, poison, ETA)",
                    any(BROKER_UNBUILT_PAYLOAD & set(job.payload) for job in self.jobs),
                ),
                *((f"a {f.kind} fault", True) for f in self.plan.faults if f.kind in BROKER_UNBUILT_FAULTS),
            )
            if present
        ]
        if unbuilt:
            raise ScenarioError(f"scenario {self.name!r}: a broker does not deliver {unbuilt[0]} yet")

    def _check_workflow(self) -> None:
        name, workflow = self.name, self.workflow
        assert workflow is not None
        if not self.dispatchers:
            raise ScenarioError(f"scenario {name!r} runs a workflow: it needs at least one dispatcher")
        for at in self.triggers:
            _in_range(0, 86_400_000)(self, attrs.fields(Scenario).triggers, at)
        if self.schedulers or self.ticks:
            if workflow.schedule_every_ms is None:
                raise ScenarioError(f"scenario {name!r} has schedulers, but workflow {workflow.name!r} no schedule")
            if not self.schedulers or not self.ticks:
                raise ScenarioError(f"scenario {name!r}: a scheduled workflow needs schedulers and ticks >= 1")
        if not self.triggers and not self.ticks:
            raise ScenarioError(f"scenario {name!r}: workflow {workflow.name!r} never runs (no triggers, no ticks)")

    @property
    def workflow_actors(self) -> dict[str, str]:
        """The workflow layer's processes: name -> role (dispatcher, scheduler)."""
        if self.workflow is None:
            return {}
        return {**{d: "dispatcher" for d in self.dispatchers}, **{s: "scheduler" for s in self.schedulers}}

    @property
    def task_jobs(self) -> tuple[str, ...]:
        """The job ids of the on-demand runs' tasks (`run-N:<task>`), which a plan may name."""
        if self.workflow is None or not self.triggers:
            return ()
        return tuple(
            task_job_id(run_id(n), task.name) for n in range(1, len(self.triggers) + 1) for task in self.workflow.tasks
        )

    def with_plan(self, plan: FaultPlan) -> Scenario:
        return attrs.evolve(self, plan=plan)

    @property
    def request_ids(self) -> tuple[str, ...]:
        ids: tuple[str, ...] = per_jobs(self.jobs, "ids", lambda jobs: tuple(job.job_id for job in jobs))
        return ids


_PER_JOBS: dict[tuple[int, str], tuple[tuple[JobSpec, ...], Any]] = {}


def per_jobs(jobs: tuple[JobSpec, ...], what: str, build: Callable[[tuple[JobSpec, ...]], Any]) -> Any:
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


def request_entries(jobs: tuple[JobSpec, ...]) -> list[dict[str, Any]]:
    """The header's `requests`: every request with its idempotency key and business-row flag."""
    entries: list[dict[str, Any]] = per_jobs(jobs, "requests", _request_entries)
    return entries


def _request_entries(jobs: tuple[JobSpec, ...]) -> list[dict[str, Any]]:
    return [{"request": job.job_id, "key": job.idempotency_key, "business_row": job.business_row} for job in jobs]


def relay_runs(scenario: Scenario, policy: Policy) -> bool:
    """The outbox relay runs only when the policy has an outbox and some job has a business row."""
    return policy.outbox and any(job.business_row for job in scenario.jobs)


def reachable_points(scenario: Scenario, policy: Policy) -> set[str]:
    """The fault points some run of this scenario under this policy can reach."""
    points = set(FAULT_POINTS) - set(RELAY_POINTS) - set(WORKFLOW_POINTS)
    if scenario.workflow is not None:
        points.add(DISPATCHER_AFTER_FIRST_WRITE)
        if scenario.schedulers:
            points.add(SCHEDULER_BEFORE_TRIGGER)
    if not any(job.business_row for job in scenario.jobs):
        points.discard(CLIENT_BEFORE_BUSINESS_COMMIT)
    if relay_runs(scenario, policy):
        points |= set(RELAY_POINTS)
    if scenario.broker is not None:
        points.add(BROKER_PUBLISH)  # not a point a crash or pause can name: a lost_publish's
    if policy.lease_ms is not None and policy.heartbeat_ms is not None:
        points.add(WORKER_HEARTBEAT)  # not a point a crash or pause can name: a heartbeat_stop's
    return points


def validate_plan(scenario: Scenario, policy: Policy, plan: FaultPlan | None = None) -> None:
    """Bad input if any fault of the plan can never fire in this scenario under this policy (or the
    scenario's broker can't deliver under this policy yet: runtime/core/brokered.py)."""
    if scenario.broker is not None and (policy.batch_size > 1 or policy.ack_mode != "after_commit"):
        raise BadInputError(
            f"scenario {scenario.name!r}: a broker delivers one job at a time, acked after its commit, "
            "not yet batches or acks on receipt"
        )
    unled = policy.lease_ms is None or policy.lease_clock != "store"
    if scenario.broker is not None and policy.broker_ack == "on_claim" and unled:
        raise BadInputError(
            f"scenario {scenario.name!r}: broker_ack=on_claim leaves bringing a job back to the database's "
            "lease: it needs lease_ms and lease_clock=store (the reaper)"
        )
    check_plan(
        plan if plan is not None else scenario.plan,
        requests=scenario.request_ids,
        task_jobs=scenario.task_jobs,
        workers=scenario.workers,
        reached=reachable_points(scenario, policy),
        others=scenario.workflow_actors,
    )


def check_seed(seed: Any) -> int:
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
