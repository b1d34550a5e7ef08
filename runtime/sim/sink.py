"""The simulated world's history sink: an append-only list stamped with virtual time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from runtime.core.history import Event

_new_event = tuple.__new__


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

    def record_detail(self, kind, actor, job_id, attempt, token, detail) -> Event:
        """Like `record`, with the detail dict as given (the caller must not change it afterwards)."""
        event = _new_event(Event, (len(self.events), self._clock.now_ms, kind, actor, job_id, attempt, token, detail))
        self._append(event)
        return event

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)
