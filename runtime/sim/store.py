"""The in-memory store (a StorePort): tables with unique keys, fencing, outages, a capacity, a call log.

Each public method is one atomic transaction that returns an outcome value and records its state
change in the history. Every call, refused or not, lands in the call log (the final state).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runtime.core import history as ev
from runtime.core.decisions import REFUSED_COMMIT_EVENT, commit_verdict
from runtime.core.faults import STORE_CALL
from runtime.core.history import MISSING, Event
from runtime.core.ports import (
    COMMITTED,
    DEDUPLICATED,
    DUPLICATE_ROW,
    FENCED,
    OK,
    OVERLOADED,
    UNAVAILABLE,
)

EFFECT_COMMITTED = ev.EFFECT_COMMITTED
_event = tuple.__new__


class Store:
    def __init__(self, clock, history, injector, capacity_per_s: int | None = None) -> None:
        self._clock = clock
        self._history = history
        self._events = history.events  # the hot path appends its event directly
        self._injector = injector
        self._outages = injector.has_outages  # no outage planned: skip the check on every call
        self._outage_span = injector.outage_span() or (0, 0)  # outside it, no call needs the injector
        self.capacity = capacity_per_s
        self._window = -1
        self._window_requests = 0
        self.calls: list[tuple[int, str, str, str]] = []  # (time_ms, actor, operation, outcome)
        self.ledger: list[dict[str, Any]] = []  # one row per committed effect
        self.results: dict[str, dict[str, Any]] = {}  # key -> last written value
        self.idempotency_keys: dict[str, int] = {}  # job id -> ledger row (unique)
        self.submission_keys: dict[str, str] = {}  # client key -> job id (unique)
        self.lease_tokens: dict[str, int] = {}  # job id -> newest lease token granted (the queue writes it)
        self.business_rows: dict[str, Mapping[str, Any]] = {}
        self.outbox: dict[str, Mapping[str, Any]] = {}  # job id -> job, not yet marked sent

    def _refused(self, actor: str, operation: str) -> str | None:
        """Admission: an outage or the capacity refuses the call. Logs the call either way."""
        now = self._clock.now_ms
        refusal = None
        first, last = self._outage_span
        if first <= now < last and self._injector.at(STORE_CALL, "store") is not None:
            refusal = UNAVAILABLE
        elif self.capacity is not None:
            window = now // 1000
            if window != self._window:
                self._window, self._window_requests = window, 0
            self._window_requests += 1
            if self._window_requests > self.capacity:
                refusal = OVERLOADED
        if refusal is not None:
            self.calls.append((now, actor, operation, refusal))
        return refusal

    def _log(self, actor: str, operation: str, outcome: str) -> str:
        self.calls.append((self._clock.now_ms, actor, operation, outcome))
        return outcome

    def commit_effect(
        self, actor: str, delivery, effect: Mapping[str, Any], idempotent: bool, fencing: bool, requires_row: bool
    ) -> str:
        """Apply a job's effect in one transaction; returns COMMITTED, DEDUPLICATED, FENCED, MISSING_ROW
        or a store error."""
        if self._outages or self.capacity is not None:
            refusal = self._refused(actor, "commit_effect")
            if refusal is not None:
                return refusal
        job_id, token, attempt, request, key = delivery[0], delivery[5], delivery[4], delivery[7], delivery[8]
        history = self._history
        newest = self.lease_tokens.get(job_id, 0)
        verdict = commit_verdict(
            fencing=fencing,
            token=token,
            newest=newest,
            requires_row=requires_row,
            has_row=job_id in self.business_rows if requires_row else True,
            idempotent=idempotent,
            done=job_id in self.idempotency_keys if idempotent else False,
        )
        if verdict is not COMMITTED:
            fenced_by = (newest,) if verdict == FENCED else ()
            history.record(REFUSED_COMMIT_EVENT[verdict], actor, job_id, attempt, token, *fenced_by)
            return self._log(actor, "commit_effect", verdict)
        self.ledger.append({"job_id": job_id, "token": token, "request": request, "idempotency_key": key, **effect})
        if idempotent:
            self.idempotency_keys[job_id] = len(self.ledger) - 1
        if "key" in effect:
            self.results[effect["key"]] = dict(effect)
        events, now = self._events, self._clock.now_ms
        if effect["effect"] == "charge":
            values = ("charge", effect["amount"], MISSING, MISSING, request)
        else:
            values = (effect["effect"], effect.get("amount", MISSING), effect["key"], effect["value"], request)
        events.append(_event(Event, (len(events), now, EFFECT_COMMITTED, actor, job_id, attempt, token, values)))
        self.calls.append((now, actor, "commit_effect", COMMITTED))
        return COMMITTED

    def claim_submission(self, actor: str, key: str, job_id: str) -> tuple[str, str | None]:
        """Insert (key -> job_id) under a unique constraint; returns (outcome, the job id that owns key)."""
        refusal = self._refused(actor, "claim_submission")
        if refusal is not None:
            return refusal, None
        owner = self.submission_keys.setdefault(key, job_id)
        return self._log(actor, "claim_submission", OK), owner

    def commit_business(
        self, actor: str, job_id: str, row: Mapping[str, Any], outbox_row=None, claim_key: str | None = None
    ) -> tuple[str, str | None]:
        """Commit a business row; with an outbox row, the job commits in the same transaction, and with
        `claim_key` so does the submission key's unique row. Returns (outcome, the job id that owns
        the key): a key that already has a job writes nothing and returns that job."""
        refusal = self._refused(actor, "commit_business")
        if refusal is not None:
            return refusal, None
        if claim_key is not None:
            owner = self.submission_keys.get(claim_key)
            if owner is not None and owner != job_id:
                self._log(actor, "commit_business", DEDUPLICATED)
                return OK, owner
        if job_id in self.business_rows:
            return self._log(actor, "commit_business", DUPLICATE_ROW), job_id
        if claim_key is not None:
            self.submission_keys[claim_key] = job_id
        self.business_rows[job_id] = row
        if outbox_row is not None:
            self.outbox[job_id] = outbox_row
        self._history.record(ev.BUSINESS_COMMITTED, actor, job_id, None, None, outbox_row is not None)
        return self._log(actor, "commit_business", OK), job_id

    def read_outbox(self, actor: str) -> tuple[str, list[tuple[str, Mapping[str, Any]]]]:
        refusal = self._refused(actor, "read_outbox")
        if refusal is not None:
            return refusal, []
        return self._log(actor, "read_outbox", OK), list(self.outbox.items())

    def mark_relayed(self, actor: str, job_id: str) -> str:
        refusal = self._refused(actor, "mark_relayed")
        if refusal is not None:
            return refusal
        if self.outbox.pop(job_id, None) is not None:
            self._history.record(ev.OUTBOX_RELAYED, actor, job_id)
        return self._log(actor, "mark_relayed", OK)

    def outbox_pending(self) -> bool:
        return bool(self.outbox)

    def snapshot(self) -> dict[str, Any]:
        """The store's part of the final state."""
        return {  # the run is over: the rows and the call log are handed over, not copied
            "ledger": self.ledger,
            "outbox": list(self.outbox),
            "business_rows": list(self.business_rows),
            "submissions": self.submission_keys,  # JSON sorts the keys
            "store_calls": self.calls,
        }
