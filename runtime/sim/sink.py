"""The simulated world's history sink: an append-only list stamped with virtual time."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from runtime.core.history import Event, detail_values

_new_event = tuple.__new__


class History:
    """Append-only event log owned by one run. `record` stamps the index and the virtual time; the
    detail values come positionally, in the kind's key order (runtime.core.history.KEYS)."""

    __slots__ = ("_clock", "events", "_append")

    def __init__(self, clock) -> None:
        self._clock = clock
        self.events: list[Event] = []
        self._append = self.events.append

    def record(self, kind: str, actor: str, job_id=None, attempt=None, token=None, *values: Any) -> Event:
        event = _new_event(Event, (len(self.events), self._clock.now_ms, kind, actor, job_id, attempt, token, values))
        self._append(event)
        return event

    def record_detail(self, kind: str, actor: str, job_id, attempt, token, detail: Mapping[str, Any] | None) -> Event:
        """Like `record`, from a detail dict or None (what protocol code hands over in a Record effect)."""
        return self.record(kind, actor, job_id, attempt, token, *detail_values(kind, detail))

    def record_effect(self, actor: str, effect: tuple) -> None:
        """A Record effect (Record, kind, job_id, attempt, token, detail) that `actor` yielded."""
        _, kind, job_id, attempt, token, detail = effect
        values = detail_values(kind, detail)
        event = (len(self.events), self._clock.now_ms, kind, actor, job_id, attempt, token, values)
        self._append(_new_event(Event, event))

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)
