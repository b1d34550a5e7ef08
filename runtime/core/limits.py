"""The time limit of a run, derived from its workload, fault plan and policy.

It bounds the legitimate work a system that keeps every safety invariant may need, so that a job
still unfinished at the limit is lost, never merely slow: no input the CLI accepts yields a false
INV_002. (A lease stolen by a skewed clock, or expiring under a running job, already breaks INV_006,
so the limit need not wait for the extra attempts such runs make.)
"""

from __future__ import annotations

from math import ceil
from typing import Any

from runtime.core.faults import Crash, CrashJob, DuplicateDelivery, Pause, PoisonJob, Redrive, SlowJob, SubmitTimeout
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario, per_jobs

SLACK_MS = 10_000
STORE_CALLS_PER_JOB = 4


def _job_facts(jobs: tuple[JobSpec, ...]) -> dict[str, Any]:
    """What the limit reads from the jobs alone (computed once per workload, see per_jobs)."""
    durations = {job.job_id: job.duration_ms for job in jobs}
    return {
        "durations": durations,
        "failing": {job.job_id: int(job.payload["fail_n_times"]) for job in jobs if job.payload.get("fail_n_times")},
        "poisoned": frozenset(job.job_id for job in jobs if job.payload.get("poison")),
        "total": sum(durations.values()),
        "longest": max(durations.values()),
        "shortest": min(durations.values()),
        "last_submit": max(job.submit_at_ms for job in jobs),
        "last_eta": max((int(job.payload.get("eta_ms", 0)) for job in jobs), default=0),
    }


def _workflow_ms(scenario: Scenario, policy: Policy) -> int:
    """A workflow's share: every run it can start (a naive scheduler may start a tick once per
    scheduler), each run's tasks one after another with every attempt, backoff and dispatch."""
    spec = scenario.workflow
    if spec is None:
        return 0
    runs = len(scenario.triggers) + scenario.ticks * max(1, len(scenario.schedulers))
    overhead = scenario.duration_jitter_ms + 2 * scenario.poll_ms + scenario.dispatch_ms
    per_run = 0
    for task in spec.tasks:
        attempts = min(policy.attempt_bound, task.max_attempts)
        backoff = sum(policy.backoff_cap_ms(n, task.backoff_ms) for n in range(1, attempts))
        per_run += attempts * (task.duration_ms + overhead) + backoff
    every = spec.schedule_every_ms or 0
    starts = max(scenario.triggers, default=0) + scenario.ticks * every + 2 * scenario.leader_lease_ms
    return starts + runs * per_run


def time_limit_ms(scenario: Scenario, policy: Policy) -> int:
    """The sum of bounds, each explained below; every term is zero when its cause is absent."""
    if not scenario.jobs:
        return _workflow_ms(scenario, policy) + _faults_ms(scenario, policy) + SLACK_MS
    return _jobs_ms(scenario, policy) + _workflow_ms(scenario, policy)


def _faults_ms(scenario: Scenario, policy: Policy) -> int:
    """A workload of workflow tasks only: each planned fault costs one long attempt and its recovery."""
    plan, spec = scenario.plan, scenario.workflow
    assert spec is not None, "a workload of workflow tasks only"
    longest = max((task.duration_ms for task in spec.tasks), default=0) + scenario.duration_jitter_ms
    recovery = (
        (policy.lease_ms or 0)
        + policy.lease_margin_ms
        + scenario.reaper_interval_ms
        + scenario.restart_delay_ms
        + scenario.poll_ms
    )
    outages = plan.outages()
    faults = len(plan.faults) - len(outages)
    pauses = sum(f.duration_ms for f in plan.of_kind(Pause))
    return (
        faults * (longest + recovery)
        + pauses
        + sum(3 * (o.end_ms - o.start_ms) + 2 * longest for o in outages)
        + max((o.end_ms for o in outages), default=0)
    )


def _jobs_ms(scenario: Scenario, policy: Policy) -> int:
    plan = scenario.plan
    jobs = scenario.jobs
    facts = per_jobs(jobs, "time limit", _job_facts)
    durations, failing = facts["durations"], facts["failing"]
    workers = len(scenario.workers)
    bound = policy.attempt_bound
    slow = {f.job: f.duration_ms for f in plan.of_kind(SlowJob)}
    always_failing = {f.job for f in plan.of_kind(PoisonJob)} | facts["poisoned"]
    doomed = {f.job for f in plan.of_kind(CrashJob)}
    # Waiting out a lost attempt: the lease expires and is reaped, the worker restarts, polls again.
    recovery = (
        (policy.lease_ms or 0)
        + policy.lease_margin_ms
        + scenario.reaper_interval_ms
        + scenario.restart_delay_ms
        + scenario.poll_ms
    )

    overhead = scenario.duration_jitter_ms + scenario.poll_ms  # an attempt beyond its duration

    # 1. The attempts the workload itself needs: one per job, every attempt for a job that always
    #    fails or kills its worker, n + 1 for fail_n_times. Spread over the workers; the longest
    #    single job (its attempts run one after another) may still finish last.
    marked_ids = (slow.keys() | always_failing | doomed | failing.keys()) & durations.keys()
    marked = sorted(marked_ids)
    if marked:
        plain = [duration for job_id, duration in durations.items() if job_id not in marked_ids]
        plain_total, most, least = sum(plain), max(plain, default=None), min(plain, default=None)
    else:
        plain, plain_total, most, least = durations, facts["total"], facts["longest"], facts["shortest"]
    work = plain_total + overhead * len(plain)  # one attempt each
    longest = max_attempt = (most if most is not None else -overhead) + overhead
    shortest = least
    retries = 0
    for job_id in marked:
        duration = durations[job_id]
        attempt_ms = slow.get(job_id, duration) + overhead
        max_attempt = max(max_attempt, attempt_ms)
        shortest = duration if shortest is None else min(shortest, duration)
        if job_id in always_failing or job_id in doomed:
            attempts = bound
        else:
            attempts = min(bound, 1 + failing[job_id]) if job_id in failing else 1
        cost = attempts * (attempt_ms + (recovery if job_id in doomed else 0))
        work += cost
        longest = max(longest, cost)
        retries += attempts - 1
    shortest = max(1, shortest if shortest is not None else 1)

    # 2. Faults. An outage wastes at most the time the workers spend inside it plus the attempt that
    #    straddles its end, and the reruns cost as much again. A crash or pause loses one attempt and
    #    waits out its recovery (and the pause).
    outages = plan.outages()
    outage_cost = sum(2 * (o.end_ms - o.start_ms + max_attempt) for o in outages)
    point_faults = sum(len(plan.of_kind(kind)) for kind in (Crash, Pause, DuplicateDelivery, SubmitTimeout))
    fault_cost = point_faults * (max_attempt + recovery) + sum(f.duration_ms for f in plan.of_kind(Pause))
    retries += sum(workers * ((o.end_ms - o.start_ms) // shortest + 2) for o in outages) + point_faults
    retries = min(retries, len(jobs) * bound)

    # 3. The policy's own waits: one job's whole backoff chain, and retries queued behind the retry
    #    budget; a store capacity throttles every store call.
    backoff_chain = sum(policy.backoff_cap_ms(n) for n in range(1, bound))
    budget = ceil(retries * 1000 / policy.retry_budget_per_s) if policy.retry_budget_per_s else 0
    capacity = scenario.store_capacity_per_s
    throttled = ceil(len(jobs) * STORE_CALLS_PER_JOB * 1000 / capacity) if capacity else 0

    # 4. The client: the last submission (or the last ETA), delayed by outages and retried submits.
    submit_end = max(facts["last_submit"], facts["last_eta"]) + len(jobs) * scenario.client_pace_ms
    faults_end = max((o.end_ms for o in outages), default=0)
    client_delays = (len(plan.of_kind(SubmitTimeout)) + len(outages) + point_faults) * scenario.client_retry_ms
    outage_ms = sum(o.end_ms - o.start_ms for o in outages)

    # 5. Redrives: each may send the whole workload back through the queue once more.
    redrives = plan.of_kind(Redrive)
    last_redrive = max((f.at_ms for f in redrives), default=0)
    redrive_cost = last_redrive + len(redrives) * (ceil(work / workers) + longest + backoff_chain)

    return int(
        redrive_cost
        + max(submit_end, faults_end)
        + outage_ms
        + client_delays
        + ceil(work / workers)
        + longest
        + outage_cost
        + fault_cost
        + backoff_chain
        + budget
        + throttled
        + SLACK_MS
    )
