"""Store: in-memory transactional tables with unique keys, fencing, outages and a capacity.

Each public method is one atomic transaction. During an injected outage every call raises
StoreUnavailableError; over capacity every call raises StoreOverloadedError.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runtime.errors import (
    FencedWriteError,
    StoreOverloadedError,
    StoreUnavailableError,
    UniqueViolationError,
)

COMMITTED = "committed"
DEDUPLICATED = "deduplicated"


class MissingRowError(Exception):
    """The business row a job needs does not exist (it never committed)."""


class Store:
    def __init__(self, clock, faults, capacity_per_s: int | None = None) -> None:
        self._clock = clock
        self._faults = faults
        self._outages = bool(faults.outages)  # no outage planned: skip the check on every call
        self._capacity = capacity_per_s
        self._window = -1
        self._window_requests = 0
        self.ledger: list[dict[str, Any]] = []  # one row per committed effect
        self.results: dict[str, dict[str, Any]] = {}  # key -> last written value
        self.idempotency_keys: dict[str, int] = {}  # job id -> ledger row (unique)
        self.submission_keys: dict[str, str] = {}  # client key -> job id (unique)
        self.fences: dict[str, int] = {}  # job id -> newest lease token seen
        self.business_rows: dict[str, Mapping[str, Any]] = {}
        self.outbox: dict[str, Mapping[str, Any]] = {}  # job id -> job, not yet relayed

    def _request(self) -> None:
        now = self._clock.now_ms
        if self._outages and self._faults.store_down(now):
            raise StoreUnavailableError("store unavailable")
        if self._capacity is not None:
            window = now // 1000
            if window != self._window:
                self._window, self._window_requests = window, 0
            self._window_requests += 1
            if self._window_requests > self._capacity:
                raise StoreOverloadedError(f"store over capacity ({self._capacity} requests/s)")

    def commit_effect(
        self,
        job_id: str,
        token: int,
        effect: Mapping[str, Any],
        *,
        idempotent: bool,
        fencing: bool,
        requires_row: bool = False,
    ) -> str:
        """Apply a job's effect in one transaction; returns COMMITTED or DEDUPLICATED."""
        self._request()
        if fencing and token < self.fences.get(job_id, 0):
            raise FencedWriteError(f"token {token} is older than token {self.fences[job_id]} already seen")
        if requires_row and job_id not in self.business_rows:
            raise MissingRowError(f"business row for {job_id} does not exist")
        if idempotent and job_id in self.idempotency_keys:
            return DEDUPLICATED
        if fencing:
            self.fences[job_id] = token
        self.ledger.append({"job_id": job_id, "token": token, **effect})
        if idempotent:
            self.idempotency_keys[job_id] = len(self.ledger) - 1
        if "key" in effect:
            self.results[effect["key"]] = dict(effect)
        return COMMITTED

    def claim_submission(self, key: str, job_id: str) -> str:
        """Insert (key -> job_id) under a unique constraint; return the job id that owns key."""
        self._request()
        return self.submission_keys.setdefault(key, job_id)

    def commit_business(
        self, job_id: str, row: Mapping[str, Any], *, outbox_row: Mapping[str, Any] | None = None
    ) -> None:
        """Commit a business row; with an outbox row, the job commits in the same transaction."""
        self._request()
        if job_id in self.business_rows:
            raise UniqueViolationError(f"business row for {job_id} already exists")
        self.business_rows[job_id] = row
        if outbox_row is not None:
            self.outbox[job_id] = outbox_row

    def read_outbox(self) -> list[tuple[str, Mapping[str, Any]]]:
        self._request()
        return list(self.outbox.items())

    def mark_relayed(self, job_id: str) -> None:
        self._request()
        self.outbox.pop(job_id, None)
