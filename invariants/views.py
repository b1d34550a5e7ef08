"""History-derived views shared by the checkers, metrics, trace and report: computed once per run.

Everything here reads a RunRecord only: its events, its header (`run_started`) and its final state
(`run_ended`).
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from runtime.core import history as ev
from runtime.core.faults import request_of
from runtime.core.history import Event
from runtime.core.policy import Policy

if TYPE_CHECKING:
    from runtime.core.record import RunRecord

R = TypeVar("R")

HEARTBEAT_KINDS = frozenset((ev.LEASE_RENEWED, ev.HEARTBEAT_STOPPED))
"""A heartbeat's events: the job they belong to is still running."""


class _cached(Generic[R]):
    """A view computed on first use, then read from the instance (functools.cached_property, without
    the lock it takes in Python 3.11: views are computed once per run, on one thread)."""

    def __init__(self, compute: Callable[[Views], R]) -> None:
        self.compute, self.name, self.__doc__ = compute, compute.__name__, compute.__doc__

    @overload
    def __get__(self, views: None, owner: type | None = None) -> _cached[R]: ...

    @overload
    def __get__(self, views: Views, owner: type | None = None) -> R: ...

    def __get__(self, views: Views | None, owner: type | None = None) -> R | _cached[R]:
        if views is None:
            return self
        value = views.__dict__[self.name] = self.compute(views)
        return value


@functools.lru_cache(maxsize=64)
def _policy(items: tuple[tuple[str, Any], ...]) -> Policy:
    """The header's policy, parsed once per distinct policy (a sweep judges thousands of runs of one)."""
    return Policy.from_dict(dict(items))


class Views:
    def __init__(self, record: RunRecord) -> None:
        self.record = record
        self.events = record.events
        self.header = record.header
        self.final = record.final
        self.end_ms = record.end_ms

    @property
    def closing_phrase(self) -> str:
        why = "its time limit" if self.record.closing.get("reason") == "time_limit" else "quiet"
        return f"run ended at {self.end_ms}ms ({why})"

    @_cached
    def policy(self) -> Policy:
        fields = self.header["policy"]
        try:
            return _policy(tuple(fields.items()))
        except TypeError:  # an unhashable value (a hand-edited history): parse it uncached
            return Policy.from_dict(fields)

    @_cached
    def by_kind(self) -> dict[str, list[Event]]:
        kinds: defaultdict[str, list[Event]] = defaultdict(list)
        for event in self.events:
            kinds[event.kind].append(event)
        return kinds

    def of(self, kind: str) -> list[Event]:
        return self.by_kind.get(kind, [])

    def events_of(self, *kinds: str) -> list[Event]:
        """The events of these kinds, in history order (a checker need not walk every event)."""
        merged = [event for kind in kinds for event in self.by_kind.get(kind, ())]
        merged.sort()  # events are tuples led by their unique index
        return merged

    @_cached
    def commit_events(self) -> dict[tuple[str, int], list[Event]]:
        """(job id, token) -> its effect_committed events (one, when the history is honest)."""
        found: dict[tuple[str, int], list[Event]] = {}
        for event in self.of(ev.EFFECT_COMMITTED):
            found.setdefault((event.job_id, event.token), []).append(event)
        return found

    @_cached
    def ledger_jobs(self) -> set[str]:
        return {row["job_id"] for row in self.final["ledger"]}

    @_cached
    def dead_jobs(self) -> set[str]:
        return {row[0] for row in self.final["dead_letters"]}

    @_cached
    def pending_jobs(self) -> Counter[str]:
        """Job id -> messages of it still in the queue when the run ended."""
        return Counter(row[1] for row in self.final["messages"])

    @_cached
    def first_submitted(self) -> dict[str, Event]:
        first: dict[str, Event] = {}
        for event in self.of(ev.SUBMITTED):
            first.setdefault(event.job_id, event)
        return first

    @_cached
    def last_seen(self) -> dict[str, Event]:
        """Job id -> its last event (the evidence of where it stopped)."""
        last: dict[str, Event] = {}
        for event in self.events:
            if event.job_id is not None:
                last[event.job_id] = event
        return last

    @_cached
    def job_requests(self) -> dict[str, str]:
        """Job id -> the request it belongs to, as its `submitted` events record it (a job id the
        history never saw submitted falls back to the id's own request, j1~1 -> j1)."""
        return {event.job_id: event.get("request") for event in self.of(ev.SUBMITTED)}

    def request_of(self, job_id: str) -> str:
        return self.job_requests.get(job_id) or request_of(job_id)

    @_cached
    def last_seen_request(self) -> dict[str, Event]:
        """Request -> the last event of any job it created."""
        last: dict[str, Event] = {}
        for job_id, event in self.last_seen.items():
            request = self.request_of(job_id)
            seen = last.get(request)
            if seen is None or event.index > seen.index:
                last[request] = event
        return last

    @_cached
    def execution_intervals(self) -> dict[str, list[tuple[int, int, Event]]]:
        """job -> [(start_ms, end_ms, started_event)]. An execution runs from `started` to the
        executor's next event other than a heartbeat's (a renewal, or a renewal a stopped heartbeat
        silenced): its commit, failure, crash or pause."""
        running: dict[str, Event] = {}
        intervals: dict[str, list[tuple[int, int, Event]]] = {}
        started_kind, heartbeats = ev.STARTED, HEARTBEAT_KINDS
        for event in self.events[1:-1]:  # between the header and the closing event
            kind = event.kind
            if running and event.actor in running and kind not in heartbeats:
                started = running.pop(event.actor)
                intervals.setdefault(started.job_id, []).append((started.time_ms, event.time_ms, started))
            if kind == started_kind:
                running[event.actor] = event
        for started in running.values():
            intervals.setdefault(started.job_id, []).append((started.time_ms, self.end_ms, started))
        return intervals

    def executions_of(self, job_ids: Collection[str]) -> dict[str, list[tuple[int, int, Event]]]:
        """`execution_intervals` for these jobs only, each found by reading forward from its
        `started` event to its executor's next event (cheap when few jobs ran more than once)."""
        events, last = self.events, len(self.events) - 1
        intervals: dict[str, list[tuple[int, int, Event]]] = {}
        for started in self.of(ev.STARTED):
            if started.job_id not in job_ids:
                continue
            actor, end = started.actor, self.end_ms
            for index in range(started.index + 1, last):
                event = events[index]
                if event.actor == actor and event.kind not in HEARTBEAT_KINDS:
                    end = event.time_ms
                    break
            intervals.setdefault(started.job_id, []).append((started.time_ms, end, started))
        return intervals

    @_cached
    def lease_spans(self) -> list[tuple[int, int, Event, str]]:
        """(start_ms, end_ms, leased_event, how_it_ended) for every lease granted in the run."""
        open_leases: dict[int, Event] = {}
        spans = []
        ends = {ev.ACKED: "acked", ev.RETRY_SCHEDULED: "released", ev.LEASE_EXPIRED: "expired"}
        by_token: dict[int, int] = {}
        for event in self.events:
            if event.kind == ev.LEASED:
                open_leases[event.token] = event
                by_token[event.token] = event.token
            elif event.kind in ends and event.token in open_leases:
                began = open_leases.pop(event.token)
                spans.append((began.time_ms, event.time_ms, began, ends[event.kind]))
            elif event.kind == ev.DEAD_LETTERED:
                for token, began in list(open_leases.items()):
                    if began.job_id == event.job_id:
                        spans.append((began.time_ms, event.time_ms, open_leases.pop(token), "dead-lettered"))
        spans += [(e.time_ms, self.end_ms, e, "still held") for e in open_leases.values()]
        return spans

    @_cached
    def outages(self) -> list[tuple[int, int, Event]]:
        """(start_ms, end_ms, outage_started_event) per store outage."""
        spans, began = [], None
        for event in self.events:
            if event.kind == ev.OUTAGE_STARTED:
                began = event
            elif event.kind == ev.OUTAGE_ENDED and began is not None:
                spans.append((began.time_ms, event.time_ms, began))
                began = None
        if began is not None:
            spans.append((began.time_ms, self.end_ms, began))
        return spans

    @_cached
    def pauses(self) -> list[tuple[int, int, Event]]:
        """(start_ms, end_ms, paused_event) per pause."""
        open_pauses: dict[str, Event] = {}
        spans = []
        for event in self.events:
            if event.kind == ev.PAUSED:
                open_pauses[event.actor] = event
            elif event.kind == ev.RESUMED and event.actor in open_pauses:
                began = open_pauses.pop(event.actor)
                spans.append((began.time_ms, event.time_ms, began))
        spans += [(e.time_ms, self.end_ms, e) for e in open_pauses.values()]
        return spans

    def acked(self, job_id: str) -> bool:
        """Some ack of the job was accepted (the history says so)."""
        return any(event.job_id == job_id for event in self.of(ev.ACKED))

    @_cached
    def minted_redrives(self) -> dict[str, str]:
        """A dead-lettered job redriven as a new job (`ids: mint`) -> the new job's id. The old job's
        story ends with its dead letter; the new one is judged as a job of its own."""
        return {event.get("dead_letter"): event.job_id for event in self.of(ev.REDRIVEN) if event.get("ids") == "mint"}

    def job_finished(self, job_id: str) -> bool:
        """Ground truth: no message of it left in the queue, and its effect in the ledger, or it buried
        (and left buried, or redriven as a new job)."""
        if self.pending_jobs.get(job_id):
            return False
        return job_id in self.ledger_jobs or job_id in self.dead_jobs or job_id in self.minted_redrives
