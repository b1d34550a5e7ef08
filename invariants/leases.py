"""Invariants about leases: one live executor per job at any moment."""

from __future__ import annotations

from invariants.registry import SAFETY, invariant
from runtime import history as ev


def execution_intervals(result) -> dict[str, list[tuple[int, int, object]]]:
    """job -> [(start_ms, end_ms, started_event)]. An execution runs from `started` to the
    executor's next event other than a lease renewal (its commit, failure, crash or pause)."""
    running: dict[str, object] = {}
    intervals: dict[str, list] = {}
    for event in result.events:
        started = running.get(event.actor)
        if started is not None and event.kind != ev.LEASE_RENEWED:
            intervals.setdefault(started.job_id, []).append((started.time_ms, event.time_ms, started))
            del running[event.actor]
        if event.kind == ev.STARTED:
            running[event.actor] = event
    for started in running.values():
        intervals.setdefault(started.job_id, []).append((started.time_ms, result.end_ms, started))
    return intervals


@invariant(
    id="INV_006",
    name="single-executor",
    statement="At any moment at most one worker is executing a given job.",
    kind=SAFETY,
)
def check_single_executor(result):
    for job_id, spans in execution_intervals(result).items():
        if len(spans) < 2:
            continue
        spans.sort(key=lambda span: (span[0], span[2].index))
        widest = spans[0]
        for span in spans[1:]:
            if span[0] < widest[1] and span[2].actor != widest[2].actor:
                first, second = widest[2], span[2]
                yield (
                    f"job {job_id} ran on {first.actor} ({widest[0]}-{widest[1]}ms) and on "
                    f"{second.actor} ({span[0]}-{span[1]}ms) at the same time",
                    [first.index, second.index],
                )
                break
            if span[1] > widest[1]:
                widest = span
