"""History: the append-only list of events a run produces, its schema, canonical JSON and digest.

A history is self-contained: `run_started` records what judging needs and `run_ended` records
how the run ended and the final state read from the store and queue (docs/02_history.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

SCHEMA_VERSION = 2

# Event kinds. Each one's emitters and detail keys are in SCHEMA below (and docs/02_history.md).
RUN_STARTED = "run_started"
RUN_ENDED = "run_ended"
SUBMITTED = "submitted"
PUBLISH_DEDUPLICATED = "publish_deduplicated"
SUBMIT_RETRIED = "submit_retried"
SUBMIT_DEDUPLICATED = "submit_deduplicated"
REQUEST_REFUSED = "request_refused"
BUSINESS_COMMITTED = "business_committed"
BUSINESS_ROLLED_BACK = "business_rolled_back"
OUTBOX_RELAYED = "outbox_relayed"
LEASED = "leased"
STARTED = "started"
LEASE_RENEWED = "lease_renewed"
LEASE_LOST = "lease_lost"
EFFECT_COMMITTED = "effect_committed"
EFFECT_DEDUPLICATED = "effect_deduplicated"
WRITE_FENCED = "write_fenced"
MISSING_DATA = "missing_data"
ATTEMPT_FAILED = "attempt_failed"
ERROR_IGNORED = "error_ignored"
RETRY_SCHEDULED = "retry_scheduled"
ACKED = "acked"
ACK_REJECTED = "ack_rejected"
ACK_LOST = "ack_lost"
DEAD_LETTERED = "dead_lettered"
LEASE_EXPIRED = "lease_expired"
STORE_UNAVAILABLE = "store_unavailable"
STORE_OVERLOADED = "store_overloaded"
CRASHED = "crashed"
RESTARTED = "restarted"
PAUSED = "paused"
RESUMED = "resumed"
OUTAGE_STARTED = "outage_started"
OUTAGE_ENDED = "outage_ended"
HEARTBEAT_STOPPED = "heartbeat_stopped"
RETURNED = "returned"
LINK_FAULT_STARTED = "link_fault_started"
LINK_FAULT_ENDED = "link_fault_ended"
# Workflows (docs/12_workflows.md): a run's tasks are jobs whose id is `<run>:<task>`.
WORKFLOW_TRIGGERED = "workflow_triggered"
TASK_DISPATCHED = "task_dispatched"
RUN_FINISHED = "run_finished"
LEADER_ELECTED = "leader_elected"
REDELIVERED = "redelivered"
PUBLISH_LOST = "publish_lost"
DELIVERY_TIMED_OUT = "delivery_timed_out"
TRIGGER_REFUSED = "trigger_refused"
REDRIVEN = "redriven"

LAB = "lab"  # the actor of the header and closing events


class EventSpec(NamedTuple):
    actors: str
    meaning: str
    detail: Mapping[str, str]
    """Every detail key the kind can carry -> what it means."""


SCHEMA: dict[str, EventSpec] = {
    RUN_STARTED: EventSpec(
        "lab",
        "the header: everything a judge needs besides the events",
        {
            "seed": "the run's seed",
            "scenario": "the scenario's name",
            "policy": "every policy field and its value",
            "plan": "the fault plan (docs/03_fault_plans.md)",
            "attempt_bound": "the attempt budget judged by INV_003 (max_attempts, or the lab's ceiling)",
            "store_capacity_per_s": "store calls allowed per second (null: unlimited)",
            "time_limit_ms": "when the run stops at the latest, derived from the workload",
            "workers": "the worker names",
            "requests": "every request the scenario makes: `request` id, idempotency `key`, `business_row`",
            "world": "`real` for a run on a real database, `probe` for a third-party queue under `faultline probe` "
            "(absent: the simulator)",
            "probe": "probes only: the queue probed (`library`, `version`, `configuration`, `drill`, `settings`)",
            "leader_lock": "`redis` when the schedulers' leader lock lives in Redis (absent: a row of the store)",
            "broker": "`rabbitmq` when a broker delivers the queue's jobs (absent: the queue's own table)",
        },
    ),
    SUBMITTED: EventSpec(
        "client, relay, dispatcher, operator, api",
        "the queue accepted a publish of a job (one message)",
        {
            "message": "the queue's message id (a job published twice has two)",
            "request": "the scenario request the job belongs to",
            "key": "the idempotency key, or null",
            "payload": "the job's payload",
            "outbox": "true when the relay published it from the outbox",
        },
    ),
    PUBLISH_DEDUPLICATED: EventSpec(
        "relay, client",
        "the queue dropped a publish of a job it accepted within its dedupe window",
        {"window_ms": "the policy's publish_dedupe_window_ms", "first": "index of the accepted publish"},
    ),
    SUBMIT_RETRIED: EventSpec(
        "client",
        "the client sends a request again",
        {"reason": "`reply lost`, `store error` or `crashed`", "key": "the idempotency key, or null"},
    ),
    SUBMIT_DEDUPLICATED: EventSpec(
        "client", "the key already had a job; `job_id` is the existing job", {"key": "the idempotency key"}
    ),
    REQUEST_REFUSED: EventSpec(
        "client",
        "the system answered the request with an error and the caller gave up (an explicit refusal)",
        {"request": "the scenario request", "reason": "why it was refused"},
    ),
    BUSINESS_COMMITTED: EventSpec(
        "client",
        "the business row behind a job committed",
        {"outbox": "whether the job's outbox row committed in the same transaction"},
    ),
    BUSINESS_ROLLED_BACK: EventSpec("client", "the business transaction failed", {"error": "the store's error"}),
    OUTBOX_RELAYED: EventSpec("relay", "an outbox row was marked sent after its publish", {}),
    LEASED: EventSpec(
        "worker",
        "the queue granted a lease: one attempt, a fresh fencing token",
        {"message": "the message leased", "lease_expires_at_ms": "null: the lease never expires"},
    ),
    STARTED: EventSpec(
        "worker",
        "the worker began executing the job's handler",
        {"pid": "probes: the OS process running the lab's handler inside the probed queue's worker"},
    ),
    LEASE_RENEWED: EventSpec("worker", "a heartbeat extended the lease", {"lease_expires_at_ms": "the new expiry"}),
    LEASE_LOST: EventSpec("worker", "a heartbeat found the lease gone; the attempt is abandoned", {}),
    EFFECT_COMMITTED: EventSpec(
        "worker",
        "the store committed the job's effect (one ledger row)",
        {
            "effect": "`charge` or `write`",
            "amount": "a charge's amount",
            "key": "a write's result key",
            "value": "a write's value",
            "request": "the scenario request",
        },
    ),
    EFFECT_DEDUPLICATED: EventSpec("worker", "the store found the job's idempotency key: nothing written", {}),
    WRITE_FENCED: EventSpec(
        "worker", "the store refused a write with a stale token", {"newest_token": "the newest token granted"}
    ),
    MISSING_DATA: EventSpec("worker", "the job's business row does not exist", {}),
    ATTEMPT_FAILED: EventSpec(
        "worker",
        "the worker reported a failed attempt to the queue",
        {
            "error": "the error",
            "reason": "`handler`, `store_unavailable`, `store_overloaded` or `missing_data`",
            "accepted": "whether the queue accepted the report (false: the lease had moved on)",
        },
    ),
    ERROR_IGNORED: EventSpec(
        "worker",
        "an error was swallowed and the job acked anyway (a store error; a failed job in a batch acked whole)",
        {"error": "the error"},
    ),
    RETRY_SCHEDULED: EventSpec(
        "worker",
        "the queue put the job back for another attempt",
        {
            "delay_ms": "the backoff delay the worker drew",
            "visible_at_ms": "when the message is visible again (the retry budget may push it later)",
            "message": "the message put back",
        },
    ),
    ACKED: EventSpec(
        "worker",
        "the queue accepted an ack and forgot the message",
        {
            "on_receipt": "acked before running",
            "observed": "probes: the probed queue's own state said the job succeeded when the lab polled it at this "
            "time (it happened since the previous poll)",
        },
    ),
    ACK_REJECTED: EventSpec(
        "worker", "the queue refused an ack: the lease had moved on", {"reason": "why the queue refused it"}
    ),
    ACK_LOST: EventSpec(
        "queue",
        "the broker lost an accepted ack and delivers the message again",
        {"cancels": "index of the `acked` event it cancels"},
    ),
    DEAD_LETTERED: EventSpec(
        "worker, reaper, queue",
        "the job moved to the dead-letter queue",
        {
            "last_error": "the last error",
            "reason": "`payload` when the queue could not interpret the stored payload (it never ran); absent "
            "otherwise",
            "observed": "probes: the probed queue's own state said the job failed when the lab polled it at this "
            "time (it happened since the previous poll)",
        },
    ),
    LEASE_EXPIRED: EventSpec(
        "reaper, worker",
        "a lease was reclaimed after its expiry (by the store's reaper, or a worker's own clock)",
        {"owner": "the worker that held it", "lease_expires_at_ms": "the expiry"},
    ),
    STORE_UNAVAILABLE: EventSpec(
        "worker, client, relay",
        "a store call failed: the store is down",
        {"operation": "the call", "error": "the error"},
    ),
    STORE_OVERLOADED: EventSpec(
        "worker, client, relay",
        "a store call was refused over capacity",
        {"operation": "the call", "error": "the error"},
    ),
    CRASHED: EventSpec(
        "worker, client, relay",
        "the supervisor saw the process die; its memory is gone",
        {"point": "the fault point", "incarnation": "which incarnation died"},
    ),
    RESTARTED: EventSpec("worker, client, relay", "the supervisor started a new incarnation", {"incarnation": "it"}),
    PAUSED: EventSpec(
        "worker, client, relay",
        "the process froze (GC, VM pause)",
        {"point": "the fault point", "duration_ms": "how long"},
    ),
    RESUMED: EventSpec("worker, client, relay", "the process thawed", {}),
    HEARTBEAT_STOPPED: EventSpec(
        "worker",
        "a heartbeat_stop silenced the worker's renewal of this lease: nothing was sent, and the worker runs "
        "its job on as if the lease held",
        {},
    ),
    OUTAGE_STARTED: EventSpec("store", "an injected outage begins", {"until_ms": "when it ends"}),
    OUTAGE_ENDED: EventSpec("store", "the outage ends", {}),
    RETURNED: EventSpec(
        "worker",
        "probes: the lab's handler returned to the probed queue's worker (its effect committed); the queue "
        "acks or records the job as it does",
        {},
    ),
    LINK_FAULT_STARTED: EventSpec(
        "proxy",
        "probes: the lab's TCP proxy between the workers and the broker or database began a network fault",
        {
            "mode": "`cut` (every connection closed, new ones refused), `blackhole` (bytes dropped) or `latency`",
            "target": "what the proxy stands in front of",
            "latency_ms": "added each way (latency only)",
        },
    ),
    LINK_FAULT_ENDED: EventSpec("proxy", "probes: the network fault ended; the proxy passes traffic again", {}),
    WORKFLOW_TRIGGERED: EventSpec(
        "trigger, scheduler, api",
        "a workflow run began: one task instance per task, with its parents",
        {
            "run": "the run's id (its tasks' job ids are `<run>:<task>`)",
            "workflow": "the workflow's name",
            "tasks": "task -> the names of its parents",
            "schedule": "the schedule that fired it, or null (triggered on demand)",
            "tick": "the schedule's tick number, or null",
            "epoch": "the leader's lock epoch that fired it, or null",
        },
    ),
    TASK_DISPATCHED: EventSpec(
        "dispatcher",
        "a task was enqueued because its parents succeeded (`job_id` is `<run>:<task>`)",
        {"run": "the run", "task": "the task"},
    ),
    RUN_FINISHED: EventSpec(
        "dispatcher",
        "a workflow run reached its terminal state",
        {
            "run": "the run",
            "state": "`succeeded` or `failed` (a task dead-lettered; its dependants skipped)",
            "tasks": "task -> its final state (`succeeded`, `failed` or `skipped`)",
        },
    ),
    LEADER_ELECTED: EventSpec(
        "scheduler",
        "a scheduler took the leader lock for a new epoch (a lease on the lock row, fenced by the epoch)",
        {"lock": "the lock's name", "epoch": "the new epoch"},
    ),
    REDELIVERED: EventSpec(
        "worker",
        "the broker delivered a job again (`redelivered=true`): it took the job back from a consumer whose "
        "connection it lost, before that consumer acked",
        {},
    ),
    DELIVERY_TIMED_OUT: EventSpec(
        "worker",
        "the broker closed the consumer's channel: it held the job's delivery unacked past the delivery "
        "timeout (RabbitMQ's consumer_timeout); the job goes back to the queue while the consumer may still "
        "be working on it",
        {},
    ),
    PUBLISH_LOST: EventSpec(
        "client",
        "the publisher's broker connection dropped with the job's publish on the way: the broker never got it",
        {"noticed": "true when publisher confirms told the publisher (it publishes again), false when it never knew"},
    ),
    REDRIVEN: EventSpec(
        "operator",
        "a dead-lettered job went back to the queue (a redrive); `job_id` is the job it runs as now",
        {"dead_letter": "the dead-lettered job's id", "ids": "`keep` (same job id and key) or `mint` (a new job id)"},
    ),
    TRIGGER_REFUSED: EventSpec(
        "scheduler",
        "the store refused a scheduled trigger: the leader's epoch is stale or the tick already started a run",
        {"schedule": "the schedule", "tick": "the tick", "epoch": "the epoch the scheduler led"},
    ),
    RUN_ENDED: EventSpec(
        "lab",
        "the closing event: how the run ended, and the final state",
        {
            "reason": "`quiet` (nothing left to do) or `time_limit`",
            "time_limit_ms": "the run's time limit",
            "final": "the final state read from the store and queue (docs/02_history.md)",
        },
    ),
}

EVENT_KINDS = tuple(SCHEMA)

STORE_WRITES = frozenset(
    (
        EFFECT_COMMITTED,
        EFFECT_DEDUPLICATED,
        WRITE_FENCED,
        MISSING_DATA,
        BUSINESS_COMMITTED,
        OUTBOX_RELAYED,
        WORKFLOW_TRIGGERED,
        TASK_DISPATCHED,
        RUN_FINISHED,
        LEADER_ELECTED,
        TRIGGER_REFUSED,
    )
)
"""Events the store writes in the transaction of the change they record (the workflow runs are its
tables too): none can happen while the store is away."""
QUEUE_WRITES = frozenset(
    (
        SUBMITTED,
        PUBLISH_DEDUPLICATED,
        LEASED,
        LEASE_RENEWED,
        ATTEMPT_FAILED,
        RETRY_SCHEDULED,
        ACKED,
        ACK_REJECTED,
        ACK_LOST,
        DEAD_LETTERED,
        LEASE_EXPIRED,
        REDRIVEN,
    )
)
"""Events the queue writes with its change. The simulator's broker stays up through a store outage;
the real world's queue lives in the database, so there none can happen while it is away either.
Every other event is an observation (an actor's, the supervisor's, the lab's), kept with the time it
was made even when the database was away."""

FINAL_STATE_KEYS = {
    "ledger": "committed effects in commit order: `job_id`, `token`, `request`, `idempotency_key`, `effect` and "
    "its fields",
    "dead_letters": "`[job_id, attempt, last_error]` in burial order",
    "messages": "messages still in the queue: `[message, job_id, state]` (`ready`, `delayed` or `leased`)",
    "attempts": "attempts granted per job id",
    "outbox": "job ids still in the outbox (committed, not yet marked sent)",
    "business_rows": "job ids whose business row committed",
    "submissions": "idempotency key -> the job id that owns it",
    "store_calls": "every store call: `[time_ms, actor, operation, outcome]`",
    "runs": "workflow runs (only when a workflow ran): run -> `state` and `tasks` (task -> its state)",
    "queue_states": "probes only: job id -> the probed queue's own state of it (`queued`, `scheduled`, `running`, "
    "`succeeded`, `failed` or `missing`), read from its own storage",
}

KEYS: dict[str, tuple[str, ...]] = {kind: tuple(spec.detail) for kind, spec in SCHEMA.items()}
"""Each kind's detail keys, in the order an event stores their values."""
_POSITIONS: dict[str, dict[str, int]] = {kind: {key: n for n, key in enumerate(keys)} for kind, keys in KEYS.items()}


class _Missing:
    """An optional detail key the event does not carry (left out of its detail dict and its JSON)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING = _Missing()


def values_of(kind: str, detail: Mapping[str, Any]) -> tuple[Any, ...]:
    """A detail dict as the event stores it: its values in the kind's key order."""
    keys = KEYS.get(kind)
    if keys is None:
        raise ValueError(f"unknown event kind {kind!r} (docs/02_history.md lists them)")
    unknown = [key for key in detail if key not in keys]
    if unknown:
        raise ValueError(f"{kind} events carry no detail key {unknown[0]!r} (they carry: {', '.join(keys)})")
    return tuple(detail.get(key, MISSING) for key in keys) if keys else ()


NO_DETAIL: dict[str, tuple[Any, ...]] = {kind: values_of(kind, {}) for kind in KEYS}
"""Each kind's values when its event carries no detail (a Record effect whose detail is None)."""


def detail_values(kind: str, detail: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """`values_of`, for a detail that may be None (a Record effect's): the common None answered at once."""
    values = NO_DETAIL.get(kind) if detail is None else None
    return values if values is not None else values_of(kind, detail or {})


def detail_of(kind: str, values: tuple[Any, ...]) -> dict[str, Any]:
    """Positional detail values (KEYS order) as a dict. An event may leave out trailing keys it does not
    carry (as `Event.get` reads them): a kind that gains an optional key keeps the events recorded
    without it."""
    return {key: value for key, value in zip(KEYS[kind], values, strict=False) if value is not MISSING}


class Event(NamedTuple):
    """One observable step. `index` is its position in the history (the evidence handle).

    A flat tuple: the detail values sit inline, in the order of the kind's keys (KEYS), and the
    detail dict is built only when something reads it. Events are the hottest allocation in the
    engine (thousands per run); a tuple without a dict per event is what keeps recording cheap
    (benchmarks/README.md). Every other record in Faultline is attrs.
    """

    index: int  # type: ignore[assignment]  # the evidence handle; it shadows tuple.index, never called
    time_ms: int
    kind: str
    actor: str
    # A str (the job), an int (its attempt), an int (the lease's fencing token), or None where the
    # kind carries none (docs/02_history.md says which kinds carry which). Typed Any: a judge reads
    # them from kinds that always carry them, and would otherwise re-check None at every use.
    job_id: Any = None
    attempt: Any = None
    token: Any = None
    values: tuple[Any, ...] = ()

    @property
    def detail(self) -> dict[str, Any]:
        return detail_of(self.kind, self.values) if self.values else {}

    def get(self, key: str, default: Any = None) -> Any:
        """One detail value (`default` when the event does not carry it), without building the dict."""
        try:  # the common case first: the kind has the key, and the event its value
            value = self.values[_POSITIONS[self.kind][key]]
        except (KeyError, IndexError):
            return default
        return default if value is MISSING else value

    @classmethod
    def of(
        cls,
        index: int,
        time_ms: int,
        kind: str,
        actor: str,
        job_id: str | None = None,
        attempt: int | None = None,
        token: int | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> Event:
        """An event from a detail dict (hand-built histories, files)."""
        return cls(index, time_ms, kind, actor, job_id, attempt, token, values_of(kind, detail or {}))

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "time_ms": self.time_ms,
            "kind": self.kind,
            "actor": self.actor,
            "job_id": self.job_id,
            "attempt": self.attempt,
            "token": self.token,
            "detail": self.detail,
        }

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> Event:
        return cls.of(
            data["index"],
            data["time_ms"],
            data["kind"],
            data["actor"],
            data.get("job_id"),
            data.get("attempt"),
            data.get("token"),
            dict(data.get("detail") or {}),
        )

    def describe(self) -> str:
        """`#14 t=120ms w1 effect_committed j1` — how evidence is cited in messages."""
        job = f" {self.job_id}" if self.job_id else ""
        return f"#{self.index} t={self.time_ms}ms {self.actor} {self.kind}{job}"


def canonical_line(event: Event) -> str:
    return json.dumps(event.to_json_dict(), sort_keys=True, separators=(",", ":"))


def to_jsonl(events: Iterable[Event]) -> str:
    """Canonical JSON Lines: one event per line, sorted keys, no spaces, trailing newline."""
    return "".join(canonical_line(event) + "\n" for event in events)


def from_jsonl(text: str) -> tuple[Event, ...]:
    return tuple(Event.from_json_dict(json.loads(line)) for line in text.splitlines() if line)


def digest(events: Iterable[Event]) -> str:
    """sha256 of the canonical JSON Lines of a history: equal digests mean byte-identical runs."""
    return hashlib.sha256(to_jsonl(events).encode()).hexdigest()
