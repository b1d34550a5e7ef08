"""History: the append-only list of events a run produces, its canonical JSON and its digest.

Invariants read only the history (and the final state), like a Jepsen checker.
The JSON Lines schema is documented in docs/02_history.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

SCHEMA_VERSION = 1

# Event kinds, grouped by who emits them. Each one is documented in docs/02_history.md.
SUBMITTED = "submitted"  # client: the system accepted a job
SUBMIT_RETRIED = "submit_retried"  # client: the submit call timed out and is sent again
SUBMIT_DEDUPLICATED = "submit_deduplicated"  # client: the key already had a job; its id is returned
BUSINESS_COMMITTED = "business_committed"  # client: the business row behind a job committed
BUSINESS_ROLLED_BACK = "business_rolled_back"  # client: the business transaction failed
OUTBOX_RELAYED = "outbox_relayed"  # relay: an outbox row was published to the queue
LEASED = "leased"  # worker: took a lease on a job (attempt, token, lease_expires_at_ms)
STARTED = "started"  # worker: began executing the job's handler
LEASE_RENEWED = "lease_renewed"  # worker: heartbeat extended the lease
LEASE_LOST = "lease_lost"  # worker: a heartbeat found the lease gone; the attempt is abandoned
EFFECT_COMMITTED = "effect_committed"  # worker: the job's side effect is durable in the store
EFFECT_DEDUPLICATED = "effect_deduplicated"  # worker: the idempotency key showed it was done
WRITE_FENCED = "write_fenced"  # worker: the store refused a write with a stale token
MISSING_DATA = "missing_data"  # worker: the job's business row does not exist
ATTEMPT_FAILED = "attempt_failed"  # worker: the handler or the store failed this attempt
ERROR_IGNORED = "error_ignored"  # worker: a store error was swallowed and the job acked anyway
RETRY_SCHEDULED = "retry_scheduled"  # worker: the job goes back to the queue after a delay
ACKED = "acked"  # worker: the queue forgot the message
DEAD_LETTERED = "dead_lettered"  # queue: the job moved to the dead-letter queue
LEASE_EXPIRED = "lease_expired"  # reaper (or a worker judging by its own clock): lease reclaimed
REDELIVERED = "redelivered"  # queue: the broker lost an ack and delivers the job again
STORE_UNAVAILABLE = "store_unavailable"  # store: a call failed during an outage
STORE_OVERLOADED = "store_overloaded"  # store: a call was refused over capacity
CRASHED = "crashed"  # worker or client: the process died and lost its memory
RESTARTED = "restarted"  # worker: a new incarnation came up
PAUSED = "paused"  # worker: the process froze (GC, VM pause)
RESUMED = "resumed"  # worker: the process thawed
OUTAGE_STARTED = "outage_started"  # store: injected outage begins
OUTAGE_ENDED = "outage_ended"  # store: injected outage ends

EVENT_KINDS = tuple(value for name, value in sorted(globals().items()) if name.isupper() and isinstance(value, str))


_EMPTY: Mapping[str, Any] = {}


class Event(NamedTuple):
    """One observable step. `index` is its position in the history (the evidence handle).

    An immutable NamedTuple rather than an attrs record: events are the hottest allocation in
    the engine (thousands per run), and a tuple builds about 3.5x faster than a frozen attrs
    instance (benchmarks/README.md). Every other record in Faultline is attrs.
    """

    index: int
    time_ms: int
    kind: str
    actor: str
    job_id: str | None = None
    attempt: int | None = None
    token: int | None = None
    detail: Mapping[str, Any] = _EMPTY

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "time_ms": self.time_ms,
            "kind": self.kind,
            "actor": self.actor,
            "job_id": self.job_id,
            "attempt": self.attempt,
            "token": self.token,
            "detail": dict(self.detail),
        }

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> Event:
        return cls(
            index=data["index"],
            time_ms=data["time_ms"],
            kind=data["kind"],
            actor=data["actor"],
            job_id=data.get("job_id"),
            attempt=data.get("attempt"),
            token=data.get("token"),
            detail=dict(data.get("detail") or {}),
        )

    def describe(self) -> str:
        """`#14 t=120ms w1 effect_committed j1` — how evidence is cited in messages."""
        job = f" {self.job_id}" if self.job_id else ""
        return f"#{self.index} t={self.time_ms}ms {self.actor} {self.kind}{job}"


_new_event = tuple.__new__


def canonical_line(event: Event) -> str:
    return json.dumps(event.to_json_dict(), sort_keys=True, separators=(",", ":"))


class History:
    """Append-only event log owned by one run. `record` stamps the index and the virtual time."""

    __slots__ = ("_clock", "events", "_append")

    def __init__(self, clock) -> None:
        self._clock = clock
        self.events: list[Event] = []
        self._append = self.events.append

    def record(
        self,
        kind: str,
        actor: str,
        job_id: str | None = None,
        attempt: int | None = None,
        token: int | None = None,
        **detail: Any,
    ) -> Event:
        event = _new_event(Event, (len(self.events), self._clock.now_ms, kind, actor, job_id, attempt, token, detail))
        self._append(event)
        return event

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)


def to_jsonl(events) -> str:
    """Canonical JSON Lines: one event per line, sorted keys, no spaces, trailing newline."""
    return "".join(canonical_line(event) + "\n" for event in events)


def from_jsonl(text: str) -> tuple[Event, ...]:
    return tuple(Event.from_json_dict(json.loads(line)) for line in text.splitlines() if line)


def digest(events) -> str:
    """sha256 of the canonical JSON Lines of a history: equal digests mean byte-identical runs."""
    return hashlib.sha256(to_jsonl(events).encode()).hexdigest()
