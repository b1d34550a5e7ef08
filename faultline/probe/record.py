"""A probe's RunRecord: the client log, the lab's book and the queue's own final state, as one history.

The events come from the lab's book in time order (one CLOCK_MONOTONIC every process reads):
`submitted` / `submit_deduplicated` (the client), `leased` + `started`, `effect_committed` and
`returned` (the lab's handler inside the library's worker), `crashed` / `restarted` / `paused` /
`resumed` (the lab's supervisor, at the moment it struck), `link_fault_*` (the proxy), and `acked` /
`dead_lettered` with `observed: true` when the lab's poll of the queue's own storage first saw the job
succeeded or failed. The final state is the queue's own: the jobs it still owes a run are its
`messages`, the ones it failed its `dead_letters`, every state in `queue_states`; the ledger is the
lab's. The header says `world: probe` and what was probed; `attempt_bound` is the library's own
attempt budget plus the deliveries the drill's fault may take away.
"""

from __future__ import annotations

import json

from faultline.probe.contract import FAILED, QUEUED, RUNNING, SCHEDULED
from runtime.core import history as ev
from runtime.core.history import Event
from runtime.core.policy import Policy
from runtime.core.record import RunRecord

_MESSAGE_STATE = {QUEUED: "ready", SCHEDULED: "delayed", RUNNING: "leased"}


def build_record(
    book,
    origin_ns: int,
    *,
    adapter,
    drill,
    settings: dict,
    knobs: dict,
    configuration: str,
    seed: int,
    ids: dict[str, str],
    final_states: dict[str, str],
    facts: dict,
    probe_id: str = "",
) -> RunRecord:
    rows = [row for row in book.events() if row[2] != "hold"]
    budget = adapter.attempts(knobs)
    messages: dict[str, int] = {}
    last_token: dict[str, int] = {}
    last_attempt: dict[str, int] = {}
    events: list[Event] = []
    submissions: dict[str, str] = {}
    for _seq, t_ns, kind, actor, job, attempt, token, detail_text in rows:
        detail = json.loads(detail_text)
        index = len(events) + 1
        time_ms = max(0, (t_ns - origin_ns) // 1_000_000)
        if kind == ev.SUBMITTED:
            messages[job] = detail["message"]
        elif kind == ev.SUBMIT_DEDUPLICATED:
            submissions[detail["key"]] = job
        elif kind == ev.LEASED:
            detail = {"message": messages.get(job), "lease_expires_at_ms": None}
            last_token[job], last_attempt[job] = token, attempt
        elif kind == ev.ACKED:
            token, attempt = last_token.get(job), last_attempt.get(job)
        elif kind == ev.DEAD_LETTERED:
            attempt = last_attempt.get(job)
            detail = {**detail, "last_error": f"{adapter.name} marked it failed"}
        events.append(Event.of(index, time_ms, kind, actor, job, attempt, token, detail))
    end_ms = max(events[-1].time_ms if events else 0, (facts.get("ended_ns", origin_ns) - origin_ns) // 1_000_000)
    states = {submission: final_states.get(library_id, "missing") for submission, library_id in ids.items()}
    final = {
        "ledger": [
            {"job_id": job, "token": token, "request": request, "idempotency_key": key, "effect": "charge", "amount": 1}
            for job, token, request, key in book.ledger_rows()
        ],
        "dead_letters": [
            [job, last_attempt.get(job), f"{adapter.name} marked it failed"] for job in ids if states.get(job) == FAILED
        ],
        "messages": [
            [messages[job], job, _MESSAGE_STATE[states[job]]] for job in ids if states.get(job) in _MESSAGE_STATE
        ],
        "attempts": {job: attempt for job, attempt in last_attempt.items()},
        "outbox": [],
        "business_rows": [],
        "submissions": submissions,
        "store_calls": [],
        "queue_states": {job: states.get(job, "missing") for job in ids},
    }
    workers = sorted({e.actor for e in events if e.kind == ev.STARTED} | {f"w{n}" for n in range(1, drill.workers + 1)})
    header = {
        "seed": seed,
        "scenario": f"probe {adapter.name} {drill.name}",
        "policy": Policy.naive().evolve(max_attempts=budget).to_dict(),
        "plan": {"faults": []},
        "attempt_bound": budget + drill.faults_cost_attempts,
        "store_capacity_per_s": None,
        "time_limit_ms": end_ms,
        "workers": workers,
        "requests": sorted(
            ({"request": f"r{n}", "key": f"k{n}", "business_row": False} for n in range(1, drill.jobs + 1)),
            key=lambda r: int(str(r["request"])[1:]),
        ),
        "world": "probe",
        "probe": {
            "library": adapter.distribution,
            "version": library_version(adapter.distribution),
            "configuration": configuration,
            "drill": drill.name,
            "id": probe_id,
            "settings": dict(settings),
        },
    }
    opening = Event.of(0, 0, ev.RUN_STARTED, ev.LAB, detail=header)
    closing = Event.of(
        len(events) + 1,
        end_ms,
        ev.RUN_ENDED,
        ev.LAB,
        detail={"reason": "quiet" if facts.get("settled") else "time_limit", "time_limit_ms": end_ms, "final": final},
    )
    return RunRecord(events=(opening, *events, closing))


def library_version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"
