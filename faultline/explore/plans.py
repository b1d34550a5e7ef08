"""The explorer's inputs: the standard workload, the explorer's policies, and one table of fault
kinds with their draw ranges, from which each seed draws its plan (and the Hypothesis strategies of
the tests draw theirs)."""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping
from typing import Any

from runtime.core.errors import BadInputError
from runtime.core.faults import (
    CLIENT,
    CLIENT_POINTS,
    FAULT_TYPES,
    RELAY,
    RELAY_POINTS,
    WORKER_HEARTBEAT,
    WORKER_POINTS,
    FaultPlan,
    HeartbeatStop,
)
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario, reachable_points

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
    "redrive": {"at_ms": "after_dead_letters"},
    "heartbeat_stop": {"actor": "worker", "at_ms": (0, 2_000)},
}
FAULT_KINDS = tuple(FAULT_DRAWS)
LATER_KINDS = ("heartbeat_stop",)
"""Kinds added after seeds were published: each draws from its own stream, so that every seed's plan
of the earlier kinds stays what it was (a replay command in an old report still replays it)."""
KIND_PROBABILITY = 0.4
FAULTS_PER_KIND = (1, 3)
NOT_DRAWN = ("lost_publish",)
"""Kinds no explorer workload can reach yet: it has no broker (runtime/core/brokered.py)."""
assert set(FAULT_KINDS) | set(NOT_DRAWN) == set(FAULT_TYPES), "every fault kind must have draw ranges"


def points_of(actor: str) -> tuple[str, ...]:
    return CLIENT_POINTS if actor == CLIENT else RELAY_POINTS if actor == RELAY else WORKER_POINTS


def policy_named(name: str) -> Policy:
    """An explorer policy: naive, safe, or a failure mode's naive policy by its id (e.g. FM_009)."""
    if name in POLICIES:
        return POLICIES[name]
    if name.upper().startswith("FM"):
        from faultline import catalog

        return catalog.find(name).policy(fixed=False)
    raise BadInputError(f"unknown explorer policy {name!r} (choose naive, safe, or a failure mode's id such as FM_009)")


# The mechanisms a seed may switch on (`faultline explore --mechanisms`): batches under both presets,
# and under a preset without every fix, the draft's ways of acking a batch and retrying a job. The
# safe preset keeps its own choices (per-job acks, redelivery): it must hold with batches on.
MECHANISM_DRAWS = {
    "batch_size": (1, 1, 3, 5),
    "batch_ack": ("per_job", "batch"),
    "retry_strategy": ("redeliver", "republish"),
}


def with_mechanisms(policy: Policy, seed: int, protective: bool) -> Policy:
    """`policy` with the mechanisms drawn for `seed` (its own RNG: the fault plan's draw is untouched);
    `protective` (the safe preset) draws batch sizes only."""
    rng = random.Random(f"faultline-mechanisms:{seed}")
    batch_size = rng.choice(MECHANISM_DRAWS["batch_size"])
    batch_ack, retry = rng.choice(MECHANISM_DRAWS["batch_ack"]), rng.choice(MECHANISM_DRAWS["retry_strategy"])
    if protective:
        return policy.evolve(batch_size=batch_size)
    return policy.evolve(batch_size=batch_size, batch_ack=batch_ack, retry_strategy=retry)


def check_workload(jobs: int, workers: int) -> None:
    if not 1 <= jobs <= MAX_JOBS:
        raise BadInputError(f"--jobs must be between 1 and {MAX_JOBS}, got {jobs}")
    if not 1 <= workers <= MAX_WORKERS:
        raise BadInputError(f"--workers must be between 1 and {MAX_WORKERS}, got {workers}")


def standard_workload(jobs: int = DEFAULT_JOBS, workers: int = DEFAULT_WORKERS, plan: FaultPlan = NO_FAULTS):
    """N short charges 20 ms apart, each with an idempotency key; every 5th has a business row. The
    store takes STORE_CAPACITY_PER_S calls a second, so INV_008 is judged on every explored run."""
    check_workload(jobs, workers)
    base = _workload(jobs, workers)
    return base if plan == NO_FAULTS else base.with_plan(plan)


@functools.lru_cache(maxsize=16)
def _workload(jobs: int, workers: int) -> Scenario:
    """Built once per size: a sweep runs thousands of seeds on one workload."""
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
        client_pace_ms=SUBMIT_SPACING_MS,
        store_capacity_per_s=STORE_CAPACITY_PER_S,
    )


def scenario_for(jobs: int, workers: int, plan: FaultPlan) -> Scenario:
    """The standard workload carrying `plan`."""
    return standard_workload(jobs, workers, plan)


def _draw_value(spec, rng: random.Random, actor, actors, workers, jobs, window_ms, dead_letters_ms=0):
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
    if spec == "after_dead_letters":  # the same draw, moved to where dead letters can exist
        return dead_letters_ms + rng.randint(0, window_ms)
    low, high = spec
    return rng.randint(low, high)


DRAWN_JITTER_MS = 20  # the standard workload's duration jitter


def dead_letter_horizon_ms(policy: Policy, jobs, jitter_ms: int = DRAWN_JITTER_MS) -> int:
    """By when a job that fails every attempt has been dead-lettered, at the latest: every attempt
    (its duration and jitter) and every backoff at its cap. `jobs` are (duration, own attempt budget,
    own backoff base) triples (None: the policy's); 0 when nothing is ever dead-lettered."""
    horizon = 0
    for duration, own, base in jobs:
        limits = [limit for limit in (policy.max_attempts, own) if limit is not None]
        if not limits:
            continue
        attempts = min(limits)
        backoffs = sum(policy.backoff_cap_ms(n, base) for n in range(1, attempts))
        horizon = max(horizon, attempts * (duration + jitter_ms) + backoffs)
    return horizon


def draw_fault(
    kind: str,
    rng: random.Random,
    *,
    jobs: list[str],
    workers: list[str],
    window_ms: int,
    actors=None,
    dead_letters_ms: int = 0,
):
    """One fault of `kind`; a redrive falls `dead_letters_ms` or later (when a job that fails every
    attempt is dead-lettered: a redrive before that has nothing to move)."""
    values: dict[str, Any] = {}
    actors = actors if actors is not None else [*workers, CLIENT, RELAY]
    for field, spec in FAULT_DRAWS[kind].items():
        values[field] = _draw_value(spec, rng, values.get("actor"), actors, workers, jobs, window_ms, dead_letters_ms)
    if kind == "store_outage":
        values["end_ms"] = values["start_ms"] + values.pop("length_ms")
    return FAULT_TYPES[kind](**values)


@functools.lru_cache(maxsize=16)
def _names(jobs: int, workers: int) -> tuple[list[str], list[str], list[str]]:
    """The job ids, worker names and actors a plan draws from (read-only)."""
    worker_names = [f"w{n}" for n in range(1, workers + 1)]
    return [f"j{n}" for n in range(1, jobs + 1)], worker_names, [*worker_names, CLIENT, RELAY]


def draw_plan(seed: int, jobs: int = DEFAULT_JOBS, workers: int = DEFAULT_WORKERS, policy: Policy | None = None):
    """Swarm testing: the seed picks a random subset of fault kinds, then random faults of each.

    The draw has its own RNG (seeded from a string, so hash randomisation cannot touch it). Faults
    the policy can never reach (the relay's, when no relay runs) are dropped after the draw.
    """
    rng = random.Random(f"faultline-explore:{seed}")
    job_ids, worker_names, actors = _names(jobs, workers)
    window_ms = SUBMIT_SPACING_MS * jobs
    policy = policy or POLICIES["naive"]
    dead_letters_ms = dead_letter_horizon_ms(policy, [(JOB_DURATION_MS, None, None)])
    streams = [(rng, [kind for kind in FAULT_KINDS if kind not in LATER_KINDS and rng.random() < KIND_PROBABILITY])]
    for kind in LATER_KINDS:
        own = random.Random(f"faultline-explore:{seed}:{kind}")
        streams.append((own, [kind] if own.random() < KIND_PROBABILITY else []))
    faults: list = []
    for stream, enabled in streams:
        for kind in enabled:
            for _ in range(stream.randint(*FAULTS_PER_KIND)):
                faults.append(
                    draw_fault(
                        kind,
                        stream,
                        jobs=job_ids,
                        workers=worker_names,
                        window_ms=window_ms,
                        actors=actors,
                        dead_letters_ms=dead_letters_ms,
                    )
                )
    return FaultPlan(faults=reachable_only(faults, reachable_points(standard_workload(jobs, workers), policy)))


def reachable_only(faults, reachable) -> tuple:
    """The drawn faults that can fire (a plan draw's last step): each once, at a point some run reaches,
    and one heartbeat_stop per worker, only where leases are renewed."""
    kept, stopped = [], set()
    for fault in dict.fromkeys(faults):
        if isinstance(fault, HeartbeatStop):
            if WORKER_HEARTBEAT not in reachable or fault.actor in stopped:
                continue
            stopped.add(fault.actor)
        elif getattr(fault, "point", None) not in (None, *reachable):
            continue
        kept.append(fault)
    return tuple(kept)


__all__ = [
    "DEFAULT_JOBS",
    "DEFAULT_WORKERS",
    "FAULT_DRAWS",
    "FAULT_KINDS",
    "JOB_DURATION_MS",
    "MAX_JOBS",
    "MAX_SEEDS",
    "MAX_WORKERS",
    "POLICIES",
    "STORE_CAPACITY_PER_S",
    "SUBMIT_SPACING_MS",
    "check_workload",
    "dead_letter_horizon_ms",
    "draw_fault",
    "draw_plan",
    "points_of",
    "policy_named",
    "with_mechanisms",
    "scenario_for",
    "standard_workload",
]


def replay_parts(
    seed: int,
    policy_name: str,
    *,
    workload: str | None,
    jobs: int,
    workers: int,
    overrides: Mapping[str, str],
    mechanisms: bool,
) -> list[str]:
    """`faultline replay` for an explored seed, as argv: the one builder of the replay line (the
    explorer's findings and RunSpec, for `faultline replay` itself, both call it; shlex.join quotes)."""
    parts = ["faultline", "replay", "--seed", str(seed), "--policy", policy_name]
    if workload is not None:
        parts += ["--workload", workload, "--workers", str(workers)]
    elif (jobs, workers) != (DEFAULT_JOBS, DEFAULT_WORKERS):
        parts += ["--jobs", str(jobs), "--workers", str(workers)]
    for field, value in overrides.items():
        parts += ["--set", f"{field}={value}"]
    if mechanisms:
        parts.append("--mechanisms")
    return parts
