"""Prometheus metrics for one run: counted from its history into a fresh CollectorRegistry.

Never the global default registry, never wall time: the same run gives the same numbers.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest

from invariants.views import Views
from runtime.core import history as ev

disable_created_metrics()  # `*_created` samples carry wall-clock timestamps; runs must not

EXECUTION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
FAILURE_REASONS = ("handler", "store_unavailable", "store_overloaded", "missing_data")
ROLES = ("worker", "client")


def _role(actor: str) -> str:
    return "client" if actor == "client" else "worker"


def registry_for(result) -> CollectorRegistry:
    """A registry holding this run's metrics, as an operator's dashboard would have seen them."""
    registry = CollectorRegistry(auto_describe=True)

    def counter(name, help_text, labels=(), values=()):
        metric = Counter(name, help_text, list(labels), registry=registry)
        for value in values:  # make every known label value visible, even at zero
            metric.labels(value)
        return metric

    submitted = counter("faultline_jobs_submitted", "Jobs accepted by the queue.")
    leased = counter("faultline_jobs_leased", "Leases granted: one per attempt.")
    succeeded = counter(
        "faultline_jobs_succeeded", "Jobs whose effect is durable and that were acked (as INV_002 counts them)."
    )
    failed = counter("faultline_attempts_failed", "Failed attempts, by reason.", ["reason"], FAILURE_REASONS)
    retried = counter("faultline_retries_scheduled", "Jobs put back on the queue after a failed attempt.")
    dead = counter("faultline_jobs_dead_lettered", "Jobs moved to the dead-letter queue.")
    expiries = counter(
        "faultline_lease_expiries",
        "Leases reclaimed after expiry, by who judged them.",
        ["judged_by"],
        ("reaper", "worker"),
    )
    crashes = counter("faultline_crashes", "Process crashes, by role.", ["role"], ROLES)
    restarts = counter("faultline_restarts", "Process restarts, by role.", ["role"], ROLES)
    store_errors = counter(
        "faultline_store_errors", "Store calls that failed, by kind.", ["kind"], ("unavailable", "overloaded")
    )
    duplicates = counter(
        "faultline_duplicate_deliveries", "Messages delivered again: an ack the broker lost, or a job published twice."
    )
    effects = counter(
        "faultline_effects", "Outcomes of effect commits.", ["outcome"], ("committed", "deduplicated", "fenced")
    )
    execution = Histogram(
        "faultline_execution_duration_seconds",
        "Time an attempt spent executing, in virtual seconds.",
        buckets=EXECUTION_BUCKETS,
        registry=registry,
    )
    latency = Histogram(
        "faultline_job_latency_seconds",
        "Submission to terminal state (succeeded or dead-lettered), in virtual seconds.",
        buckets=LATENCY_BUCKETS,
        registry=registry,
    )

    if result.events and result.header.get("broker"):  # a broker delivered the jobs
        _broker_metrics(result, counter)
    submitted_at: dict[str, int] = {}
    durable: set[str] = set()
    acked: set[str] = set()
    finished: set[str] = set()

    def finish(event, counter_metric) -> None:
        finished.add(event.job_id)
        counter_metric.inc()
        latency.observe((event.time_ms - submitted_at.get(event.job_id, event.time_ms)) / 1000)

    for event in result.events:
        kind, job_id = event.kind, event.job_id
        if kind == ev.SUBMITTED and job_id not in submitted_at:
            submitted.inc()
            submitted_at[job_id] = event.time_ms
        elif kind == ev.LEASED:
            leased.inc()
        elif kind == ev.ATTEMPT_FAILED:
            failed.labels(event.detail.get("reason", "handler")).inc()
        elif kind == ev.RETRY_SCHEDULED:
            retried.inc()
        elif kind == ev.LEASE_EXPIRED:
            expiries.labels("reaper" if event.actor == "reaper" else "worker").inc()
        elif kind == ev.CRASHED:
            crashes.labels(_role(event.actor)).inc()
        elif kind == ev.RESTARTED:
            restarts.labels(_role(event.actor)).inc()
        elif kind == ev.STORE_UNAVAILABLE:
            store_errors.labels("unavailable").inc()
        elif kind == ev.STORE_OVERLOADED:
            store_errors.labels("overloaded").inc()
        elif kind == ev.ACK_LOST:
            duplicates.inc()
            finished.discard(job_id)
        elif kind == ev.SUBMITTED and event.detail.get("message") and job_id in submitted_at:
            duplicates.inc()
        elif kind in (ev.EFFECT_COMMITTED, ev.EFFECT_DEDUPLICATED, ev.WRITE_FENCED):
            outcome = {ev.EFFECT_COMMITTED: "committed", ev.EFFECT_DEDUPLICATED: "deduplicated"}.get(kind, "fenced")
            effects.labels(outcome).inc()
            if kind != ev.WRITE_FENCED:
                durable.add(job_id)
                if job_id in acked and job_id not in finished:  # acked first (on receipt), durable now
                    finish(event, succeeded)
        elif kind == ev.ACKED:
            acked.add(job_id)
            if job_id in durable and job_id not in finished:
                finish(event, succeeded)
        elif kind == ev.DEAD_LETTERED and job_id not in finished:
            finish(event, dead)
    for spans in Views(result).execution_intervals.values():
        for start_ms, end_ms, _ in spans:
            execution.observe((end_ms - start_ms) / 1000)
    return registry


def _broker_metrics(result, counter) -> None:
    """The broker's figures, from the events that show them: its redeliveries (a consumer lost, or
    its delivery timed out), the deliveries it took back on its timeout, and the publishes lost on
    the way (noticed by publisher confirms, or not)."""
    redeliveries = counter("faultline_broker_redeliveries", "Deliveries the broker made again (redelivered=true).")
    timeouts = counter("faultline_broker_delivery_timeouts", "Deliveries held unacked past the delivery timeout.")
    lost = counter(
        "faultline_broker_publishes_lost", "Publishes lost with their connection.", ["noticed"], ("true", "false")
    )
    for event in result.events:
        if event.kind == ev.REDELIVERED:
            redeliveries.inc()
        elif event.kind == ev.DELIVERY_TIMED_OUT:
            timeouts.inc()
        elif event.kind == ev.PUBLISH_LOST:
            lost.labels("true" if event.detail.get("noticed") else "false").inc()


def exposition(registry: CollectorRegistry) -> str:
    """The Prometheus text exposition format."""
    return generate_latest(registry).decode()


def snapshot(registry: CollectorRegistry) -> dict[str, float]:
    """Every sample as `name{label="value"}` -> value, in exposition order (the JSON `metrics`)."""
    samples: dict[str, float] = {}
    for family in registry.collect():
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            key = f"{sample.name}{{{labels}}}" if labels else sample.name
            samples[key] = sample.value
    return samples
