"""Compare policies with numbers: the same seeds (each with the explorer's fault plan for it) run
under each policy, summarised per policy - how many seeds break each invariant, lost jobs, duplicate
effects, dead letters, submit-to-effect latency, retries per job, peak store load."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

import attrs

from faultline.explore.plans import draw_plan, scenario_for
from invariants import REGISTRY, check_all
from runtime.core import history as ev
from runtime.core.record import gc_paused
from runtime.sim import run


@attrs.frozen(kw_only=True)
class PolicyRow:
    policy: str
    seeds: int
    violating_seeds: dict[str, int]
    """Invariant id -> how many seeds violate it (every invariant listed, 0 included)."""
    lost_jobs: int
    duplicate_effects: int
    dead_lettered: int
    p50_latency_ms: float
    p99_latency_ms: float
    retries_per_job: float
    peak_store_calls_per_s: int

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


def measure(record) -> dict[str, Any]:
    """One run's numbers, from its record (history and final state)."""
    final = record.final
    effects = Counter(row.get("idempotency_key") or row["request"] for row in final["ledger"])
    submitted: dict[str, int] = {}
    done: dict[str, int] = {}
    retries = 0
    for event in record.events:
        if event.kind == ev.SUBMITTED:
            submitted.setdefault(event.get("request"), event.time_ms)
        elif event.kind == ev.EFFECT_COMMITTED:
            done.setdefault(event.get("request"), event.time_ms)
        elif event.kind == ev.RETRY_SCHEDULED:
            retries += 1
    per_second = Counter(call[0] // 1000 for call in final["store_calls"])
    return {
        "duplicates": sum(count - 1 for count in effects.values()),
        "dead": len(final["dead_letters"]),
        "latencies": [done[r] - t for r, t in submitted.items() if r in done],
        "retries": retries,
        "jobs": len(record.header["requests"]),
        "peak": max(per_second.values(), default=0),
    }


def compare(policies: dict[str, Any], seeds: range, jobs: int, workers: int) -> list[PolicyRow]:
    rows = []
    for label, policy in policies.items():
        violating: Counter[str] = Counter()
        lost = duplicates = dead = retries = total_jobs = peak = 0
        latencies: list[int] = []
        with gc_paused():
            for seed in seeds:
                record = run(scenario_for(jobs, workers, draw_plan(seed, jobs, workers, policy)), policy, seed)
                found = check_all(record)
                violating.update({v.invariant for v in found})
                lost += sum(1 for v in found if v.invariant == "INV_002")
                numbers = measure(record)
                duplicates += numbers["duplicates"]
                dead += numbers["dead"]
                retries += numbers["retries"]
                total_jobs += numbers["jobs"]
                peak = max(peak, numbers["peak"])
                latencies.extend(numbers["latencies"])
        cuts = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
        rows.append(
            PolicyRow(
                policy=label,
                seeds=len(seeds),
                violating_seeds={inv: violating.get(inv, 0) for inv in sorted(REGISTRY)},
                lost_jobs=lost,
                duplicate_effects=duplicates,
                dead_lettered=dead,
                p50_latency_ms=round(cuts[49], 1),
                p99_latency_ms=round(cuts[98], 1),
                retries_per_job=round(retries / total_jobs, 3) if total_jobs else 0.0,
                peak_store_calls_per_s=peak,
            )
        )
    return rows
