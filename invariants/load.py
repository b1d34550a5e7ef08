"""Invariants about load: the store is never offered more requests than its capacity."""

from __future__ import annotations

from invariants.registry import SAFETY, invariant
from runtime import history as ev

STORE_CALL_KINDS = frozenset(
    {
        ev.EFFECT_COMMITTED,
        ev.EFFECT_DEDUPLICATED,
        ev.WRITE_FENCED,
        ev.MISSING_DATA,
        ev.STORE_UNAVAILABLE,
        ev.STORE_OVERLOADED,
        ev.BUSINESS_COMMITTED,
        ev.BUSINESS_ROLLED_BACK,
        ev.SUBMIT_DEDUPLICATED,
    }
)
"""Event kinds that report the outcome of one store call."""


@invariant(
    id="INV_008",
    name="store-load-bounded",
    statement=(
        "In every one-second window the store is offered no more calls than its capacity "
        "(scenarios without a capacity are not judged)."
    ),
    kind=SAFETY,
)
def check_store_load_bounded(result):
    capacity = result.scenario.store_capacity_per_s
    if capacity is None:
        return
    windows: dict[int, list[int]] = {}
    for event in result.events:
        if event.kind in STORE_CALL_KINDS:
            windows.setdefault(event.time_ms // 1000, []).append(event.index)
    over = {second: calls for second, calls in windows.items() if len(calls) > capacity}
    if not over:
        return
    worst = max(over, key=lambda second: (len(over[second]), -second))
    calls = over[worst]
    yield (
        f"the store was offered {len(calls)} calls in [{worst * 1000}, {worst * 1000 + 1000})ms, "
        f"over its capacity of {capacity}/s ({len(over)} second(s) over capacity)",
        [calls[0], calls[capacity], calls[-1]],
    )
