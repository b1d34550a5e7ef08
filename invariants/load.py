"""Invariants about load: the store is never offered more calls than its capacity."""

from __future__ import annotations

import bisect
from collections import Counter

from invariants.registry import SAFETY, Findings, invariant
from invariants.views import Views


@invariant(
    id="INV_008",
    name="store-load-bounded",
    statement=(
        "In every one-second window the store is offered no more calls than its capacity (counted from the "
        "store's own call log; scenarios without a capacity are not judged)."
    ),
    kind=SAFETY,
)
def check_store_load_bounded(views: Views) -> Findings:
    capacity = views.header["store_capacity_per_s"]
    if capacity is None:
        return
    calls = views.final["store_calls"]
    if len(calls) <= capacity:
        return  # fewer calls in the whole run than one second allows
    windows = Counter(call[0] // 1000 for call in calls)
    over = {second: count for second, count in windows.items() if count > capacity}
    if not over:
        return
    worst = max(over, key=lambda second: (over[second], -second))
    start = worst * 1000
    callers = Counter(call[1] for call in views.final["store_calls"] if call[0] // 1000 == worst)
    who = ", ".join(f"{actor} {count}" for actor, count in callers.most_common(4))
    times = [event.time_ms for event in views.events]
    first = bisect.bisect_left(times, start)
    last = max(first, bisect.bisect_left(times, start + 1000) - 1)
    yield (
        f"the store was offered {over[worst]} calls in [{start}, {start + 1000})ms, over its capacity of "
        f"{capacity}/s ({len(over)} second(s) over capacity; callers: {who})",
        sorted({first, last}),
    )
