"""Invariant records, violations and the registry. Checkers read only the RunRecord."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import attrs

from invariants.views import Views
from runtime.core.record import RunRecord, gc_paused

Findings = Iterator[tuple[str, list[int]]]
"""What a checker yields: one (sentence, event indexes that prove it) per violation."""
Checker = Callable[[Views], Findings]

SAFETY = "safety"
LIVENESS = "liveness"


@attrs.frozen(kw_only=True)
class Violation:
    """One broken promise: which invariant, one sentence, and the event indexes that prove it."""

    invariant: str
    message: str
    events: tuple[int, ...]

    def to_json_dict(self) -> dict[str, object]:
        return {"invariant": self.invariant, "message": self.message, "events": list(self.events)}


@attrs.frozen(kw_only=True)
class Invariant:
    id: str
    name: str
    statement: str
    kind: str = attrs.field(validator=attrs.validators.in_((SAFETY, LIVENESS)))
    check: Checker = attrs.field(eq=False, repr=False)

    def violations(self, record: RunRecord, views: Views | None = None) -> list[Violation]:
        views = views if views is not None else Views(record)
        return [
            Violation(
                invariant=self.id,
                message=f"{self.id} {self.name} violated: {message}",
                events=tuple(events),
            )
            for message, events in self.check(views)
        ]


REGISTRY: dict[str, Invariant] = {}


def invariant(*, id: str, name: str, statement: str, kind: str) -> Callable[[Checker], Checker]:
    """Register a checker. It reads the run's Views and yields (sentence, event indexes) per violation."""

    def register(check: Checker) -> Checker:
        if id in REGISTRY:
            raise ValueError(f"invariant id {id} is registered twice")
        REGISTRY[id] = Invariant(id=id, name=name, statement=statement, kind=kind, check=check)
        return check

    return register


def all_invariants() -> tuple[Invariant, ...]:
    if len(_SORTED) != len(REGISTRY):  # registered since the last call (or never sorted)
        _SORTED[:] = [REGISTRY[key] for key in sorted(REGISTRY)]
    return tuple(_SORTED)


_SORTED: list[Invariant] = []


def check_all(record: RunRecord) -> tuple[Violation, ...]:
    """Every registered invariant, in id order, over one run (the shared views computed once)."""
    views = Views(record)
    found: list[Violation] = []
    with gc_paused():  # as during the run: the views are thousands of small, short-lived records
        for inv in all_invariants():
            found.extend(inv.violations(record, views))
    return tuple(found)


def violated_ids(violations: Iterable[Violation]) -> tuple[str, ...]:
    return tuple(sorted({v.invariant for v in violations}))
