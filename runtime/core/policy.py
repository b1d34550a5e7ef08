"""Policy: every knob that protects an invariant, as one frozen record.

`Policy.naive()` is a first-draft job system; `Policy.safe()` holds every fix. An FM's fix is the
smallest change between two policies, never a branch on the FM's id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from runtime.core.errors import PolicyError

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]

ACK_MODES = ("after_commit", "on_receipt")
BACKOFFS = ("fixed", "exponential")
JITTERS = ("none", "full", "equal")
LEASE_CLOCKS = ("worker", "store")
BROKER_ACKS = ("after_commit", "on_claim")
RETRY_STRATEGIES = ("redeliver", "republish")
BATCH_ACKS = ("per_job", "batch")
REDRIVE_IDS = ("mint", "keep")
EXPIRED_LEASES = ("retry", "bury")
HEARTBEAT_MODES = ("thread", "in_job")
ETA_WAITS = ("worker", "queue")
MAX_MS = 3_600_000
MAX_COUNT = 1_000_000


def _one_of(choices: tuple[str, ...]) -> Validator:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value not in choices:
            raise PolicyError(
                f"policy field {attribute.name} = {value!r} is not allowed (choose one of: {', '.join(choices)})"
            )

    return check


def _in_range(minimum: int, maximum: int, optional: bool = False) -> Validator:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            none = " or none" if optional else ""
            raise PolicyError(
                f"policy field {attribute.name} = {value!r} must be an integer in [{minimum}, {maximum}]{none}"
            )

    return check


def _boolean(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise PolicyError(f"policy field {attribute.name} = {value!r} must be true or false")


def _field(default: Any, validator: Validator, doc: str, protects: str) -> Any:
    """A policy field with its one-line meaning and the invariants it protects (for the reference)."""
    return attrs.field(default=default, validator=validator, metadata={"doc": doc, "protects": protects})


@attrs.frozen(kw_only=True)
class Policy:
    # Effects and submissions.
    idempotent_effects: bool = _field(
        False,
        _boolean,
        "Commit a dedupe key (the job id) in the same transaction as the effect; a rerun finds it.",
        "INV_001",
    )
    dedupe_submissions: bool = _field(
        False,
        _boolean,
        "A unique constraint on the submission key; a retried submit returns the existing job.",
        "INV_005, INV_001",
    )
    outbox: bool = _field(
        False,
        _boolean,
        "Write the business row and the job (an outbox row) in one transaction; a relay publishes it.",
        "INV_009",
    )
    publish_dedupe_window_ms: int | None = _field(
        None,
        _in_range(1, MAX_MS, optional=True),
        "The queue drops a publish of a job id it accepted within this window (recorded). None: every "
        "publish is a new message.",
        "INV_001, INV_006",
    )
    client_resubmits: bool = _field(
        False,
        _boolean,
        "The client re-sends a request after a store error, a rolled-back business transaction or its "
        "own crash; otherwise it refuses the request to its caller (or loses it in the crash).",
        "INV_010",
    )
    # Acknowledgement.
    ack_mode: str = _field(
        "after_commit",
        _one_of(ACK_MODES),
        "When the worker acks: after the effect commits, or as soon as it receives the job.",
        "INV_002, INV_004",
    )
    retry_on_store_error: bool = _field(
        False,
        _boolean,
        "On a store error, fail the attempt and retry; otherwise the error is swallowed and acked.",
        "INV_004, INV_002",
    )
    # Leases.
    lease_ms: int | None = _field(
        None,
        _in_range(1, MAX_MS, optional=True),
        "Visibility timeout. None: a lease never expires, so a crashed worker's job is stuck.",
        "INV_002",
    )
    heartbeat_ms: int | None = _field(
        None,
        _in_range(1, MAX_MS, optional=True),
        "While executing, renew the lease this often; a failed renewal abandons the attempt.",
        "INV_006",
    )
    expiry_counts_attempt: bool = _field(
        True,
        _boolean,
        "A lease that expired (its worker died or stalled) counts as an attempt; otherwise the queue gives the "
        "attempt back, and a job that kills its worker is redelivered forever.",
        "INV_003, INV_002",
    )
    heartbeat_mode: str = _field(
        "thread",
        _one_of(HEARTBEAT_MODES),
        "Who renews the lease: a heartbeat thread beside the job (if it dies the job runs on, unaware), or the "
        "job's own loop, which waits for each renewal and abandons the attempt when one does not happen.",
        "INV_006, INV_001",
    )
    eta_wait: str = _field(
        "queue",
        _one_of(ETA_WAITS),
        "Where a job with an ETA waits for it: in the queue, invisible until due; or in a worker, which leases it "
        "at once and holds it, lease and all, until its ETA (Celery's ETA tasks on Redis).",
        "INV_001, INV_006",
    )
    lease_clock: str = _field(
        "worker",
        _one_of(LEASE_CLOCKS),
        "Who judges expiry: each worker by its own clock, or the store's reaper by the store clock.",
        "INV_006",
    )
    lease_margin_ms: int = _field(
        0, _in_range(0, MAX_MS), "Safety margin added to a lease before the reaper reclaims it.", "INV_006"
    )
    expired_lease: str = _field(
        "retry",
        _one_of(EXPIRED_LEASES),
        "A job whose lease expired (its worker died or stalled): requeued while its attempt budget lasts, or "
        "buried at once as if it had failed for good.",
        "INV_018, INV_002",
    )
    fencing: bool = _field(
        False,
        _boolean,
        "The store rejects an effect whose lease token is older than the newest token granted for the job.",
        "INV_007",
    )
    # Retries.
    max_attempts: int | None = _field(
        None,
        _in_range(1, 1_000, optional=True),
        "Attempts before a job is dead-lettered with its last error. None: retry forever.",
        "INV_003, INV_002",
    )
    backoff: str = _field("fixed", _one_of(BACKOFFS), "How the retry delay grows with the attempt.", "INV_008")
    backoff_base_ms: int = _field(0, _in_range(0, MAX_MS), "The first retry's delay.", "INV_008")
    backoff_max_ms: int = _field(10_000, _in_range(0, MAX_MS), "The cap on an exponential delay.", "INV_008")
    jitter: str = _field(
        "none",
        _one_of(JITTERS),
        "'full': the delay is drawn from [0, backoff]; 'equal': from [backoff/2, backoff]; from the "
        "worker's random stream.",
        "INV_008, INV_011",
    )
    retry_budget_per_s: int | None = _field(
        None,
        _in_range(1, MAX_COUNT, optional=True),
        "At most this many retries become due in any one second; the rest wait for the next.",
        "INV_008",
    )

    batch_size: int = _field(
        1,
        _in_range(1, 100),
        "A worker leases up to this many jobs at once and runs them one after another (each lease checked "
        "before its job starts).",
        "INV_002, INV_006",
    )
    batch_ack: str = _field(
        "per_job",
        _one_of(BATCH_ACKS),
        "With batches: ack (or report the failure of) each job on its own, or ack the whole batch in one "
        "operation once it has run, failed jobs included.",
        "INV_002, INV_004",
    )
    redrive_ids: str = _field(
        "mint",
        _one_of(REDRIVE_IDS),
        "A dead-letter redrive publishes each job again under its own job id and key ('keep', so its "
        "idempotency key still finds a committed effect) or under a new job id ('mint').",
        "INV_001",
    )
    retry_strategy: str = _field(
        "redeliver",
        _one_of(RETRY_STRATEGIES),
        "How a failed attempt is retried: 'redeliver' hands the message back with a delay (one operation); "
        "'republish' publishes a delayed copy of the job and then acks the original (two steps).",
        "INV_001, INV_006",
    )
    # Workflows.
    dispatch_cas: bool = _field(
        False,
        _boolean,
        "The dispatcher claims a ready task with a compare-and-set on its state (pending -> dispatched); "
        "otherwise it acts on what it read, so two dispatchers can both dispatch a fan-in task.",
        "INV_014, INV_001",
    )
    dispatch_atomic: bool = _field(
        False,
        _boolean,
        "Enqueue a task's job and mark the task dispatched in one transaction; otherwise a dispatcher that "
        "dies between the two enqueues the task again when it restarts.",
        "INV_014, INV_001",
    )
    leader_lock: bool = _field(
        False,
        _boolean,
        "Schedulers contend for a leader lock and only the leader fires a tick; otherwise every scheduler "
        "instance fires every tick it finds due (each keeps its own schedule).",
        "INV_016",
    )
    publisher_confirms: bool = _field(
        False,
        _boolean,
        "With a broker: a publish waits for the broker's confirm, and is sent again when the connection "
        "drops before it comes; otherwise a publish lost on the way is gone, and nobody knows.",
        "INV_002",
    )
    broker_ack: str = _field(
        "after_commit",
        _one_of(BROKER_ACKS),
        "With a broker: when the worker acks the broker's delivery - after the job's commit (the broker "
        "redelivers a job whose consumer it lost, or held it past its delivery timeout), or as soon as the "
        "database's lease is the worker's (the lease - its expiry, heartbeats and reaper - brings a job back, "
        "and a job it puts back is published again).",
        "INV_001, INV_002",
    )
    fenced_triggers: bool = _field(
        False,
        _boolean,
        "A scheduled trigger carries the leader lock's epoch (with the lock in Redis: its INCRed fencing token); "
        "the store refuses a stale epoch (a token older than the newest it took) and a second run for one "
        "(schedule, tick).",
        "INV_016",
    )

    @classmethod
    def naive(cls) -> Policy:
        """A first draft: no dedupe, leases that never expire, endless immediate retries."""
        return cls()

    @classmethod
    def safe(cls) -> Policy:
        """Every fix in the catalog at once."""
        return cls(
            idempotent_effects=True,
            dedupe_submissions=True,
            outbox=True,
            publish_dedupe_window_ms=600_000,
            client_resubmits=True,
            ack_mode="after_commit",
            retry_on_store_error=True,
            lease_ms=1_000,
            heartbeat_ms=250,
            heartbeat_mode="in_job",
            lease_clock="store",
            lease_margin_ms=100,
            fencing=True,
            max_attempts=8,
            backoff="exponential",
            backoff_base_ms=100,
            backoff_max_ms=5_000,
            jitter="equal",
            retry_budget_per_s=5,
            redrive_ids="keep",
            dispatch_cas=True,
            dispatch_atomic=True,
            leader_lock=True,
            fenced_triggers=True,
            publisher_confirms=True,
            broker_ack="on_claim",
        )

    def evolve(self, **changes: Any) -> Policy:
        unknown = sorted(set(changes) - set(field_names()))
        if unknown:
            raise PolicyError(_unknown_field_message(unknown[0]))
        return attrs.evolve(self, **changes)

    def with_overrides(self, overrides: Mapping[str, str]) -> Policy:
        """Apply `field=value` strings from the command line, parsed by each field's type."""
        return self.evolve(**{name: _parse_field(name, text) for name, text in overrides.items()})

    @property
    def attempt_bound(self) -> int:
        """The attempt budget a run is judged against (INV_003): max_attempts, or the lab's ceiling."""
        return int(self.max_attempts) if self.max_attempts is not None else LAB_ATTEMPT_CEILING

    def backoff_cap_ms(self, attempt: int, base_ms: int | None = None) -> int:
        """The un-jittered delay after failed attempt number `attempt` (1-based), grown from
        `base_ms` (a workflow task's own) instead of backoff_base_ms when given."""
        base = self.backoff_base_ms if base_ms is None else base_ms
        if self.backoff == "fixed":
            return base
        return min(self.backoff_max_ms, base << min(attempt - 1, 40))

    def backoff_range_ms(self, attempt: int, base_ms: int | None = None) -> tuple[int, int]:
        """The delays the policy allows after failed attempt `attempt`: [low, high] (INV_011)."""
        cap = self.backoff_cap_ms(attempt, base_ms)
        if self.jitter == "full":
            return 0, cap
        if self.jitter == "equal":
            return cap // 2, cap
        return cap, cap

    def backoff_delay_ms(self, attempt: int, rng: Any) -> int:
        """Delay before retrying after failed attempt `attempt`, drawn from `rng` when jittered."""
        low, high = self.backoff_range_ms(attempt)
        return low if high == low else low + rng.randint(0, high - low)

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        return cls().evolve(**dict(data))

    def differences(self, other: Policy) -> dict[str, tuple[Any, Any]]:
        """Fields whose values differ: {name: (self's, other's)}. Shows what a fix changed."""
        mine, theirs = self.to_dict(), other.to_dict()
        return {name: (mine[name], theirs[name]) for name in mine if mine[name] != theirs[name]}


LAB_ATTEMPT_CEILING = 10
"""The attempt budget a policy without max_attempts is judged against."""


def field_names() -> tuple[str, ...]:
    return tuple(f.name for f in attrs.fields(Policy))


def _unknown_field_message(name: str) -> str:
    return f"unknown policy field {name!r} (fields: {', '.join(field_names())})"


def _parse_field(name: str, text: str) -> Any:
    fields = attrs.fields_dict(Policy)
    if name not in fields:
        raise PolicyError(_unknown_field_message(name))
    kind = str(fields[name].type)
    lowered = text.strip().lower()
    if kind == "bool":
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off"):
            return False
        raise PolicyError(f"policy field {name} = {text!r} must be true or false")
    if "int" in kind:
        if "None" in kind and lowered in ("none", "null", ""):
            return None
        if not (lowered.isascii() and lowered.lstrip("-").isdigit()) or len(lowered) > 12:
            raise PolicyError(f"policy field {name} = {text!r} must be an integer")
        return int(lowered)
    return text.strip()
