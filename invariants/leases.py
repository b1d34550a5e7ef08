"""Invariants about leases: one live executor per job at any moment."""

from __future__ import annotations

from invariants.registry import SAFETY, Findings, invariant
from invariants.views import Views
from runtime.core import history as ev


@invariant(
    id="INV_006",
    name="single-executor",
    statement="At any moment at most one worker is executing a given job.",
    kind=SAFETY,
)
def check_single_executor(views: Views) -> Findings:
    starts: dict[str, int] = {}
    for event in views.of(ev.STARTED):
        starts[event.job_id] = starts.get(event.job_id, 0) + 1
    rerun = {job_id for job_id, count in starts.items() if count > 1}
    if not rerun:
        return  # every job ran once: no two executions of one job to overlap
    for job_id, spans in views.executions_of(rerun).items():
        if len(spans) < 2:
            continue
        spans = sorted(spans, key=lambda span: (span[0], span[2].index))
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
