"""Invariants about requests: nothing the scenario asked for vanishes."""

from __future__ import annotations

from invariants.registry import LIVENESS, Findings, invariant
from invariants.views import Views
from runtime.core import history as ev


@invariant(
    id="INV_010",
    name="no-lost-request",
    statement=(
        "Every request the scenario made ends with its effect in the ledger, its job dead-lettered, or an "
        "explicit refusal with a recorded reason: nothing vanishes."
    ),
    kind=LIVENESS,
)
def check_no_lost_request(views: Views) -> Findings:
    answered = {row["request"] for row in views.final["ledger"]}
    answered |= {views.request_of(job_id) for job_id in views.dead_jobs}
    answered |= {event.get("request") for event in views.of(ev.REQUEST_REFUSED)}
    for entry in views.header["requests"]:
        request = entry["request"]
        if request in answered:
            continue
        last = views.last_seen_request.get(request)
        if last is None:
            yield f"request {request} vanished: it never reached the system, {views.closing_phrase}", []
            continue
        yield (
            f"request {request} vanished: no effect in the ledger, not dead-lettered, never refused; "
            f"last seen {last.describe()}, {views.closing_phrase}",
            [last.index],
        )
