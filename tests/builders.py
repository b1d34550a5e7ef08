"""Test helpers: hand-built run records for checker tests, and the CLI run in-process."""

from __future__ import annotations

from typing import Any

from faultline.cli import main
from runtime.core.history import RUN_ENDED, RUN_STARTED, Event
from runtime.core.policy import Policy
from runtime.core.record import RunRecord


def e(time_ms, kind, actor, job_id=None, attempt=None, token=None, **detail):
    """One row of a hand-built history (the index is filled in by `history`)."""
    return dict(time_ms=time_ms, kind=kind, actor=actor, job_id=job_id, attempt=attempt, token=token, detail=detail)


def final_from(rows) -> dict:
    """The final state an honest store and queue would report after `rows`."""
    ledger: list[Any] = []
    dead: list[Any] = []
    business: list[Any] = []
    pending: dict[Any, Any] = {}
    attempts: dict[Any, Any] = {}
    for row in rows:
        kind, job, detail = row["kind"], row["job_id"], row["detail"]
        if kind == "submitted":
            attempts.setdefault(job, 0)
        elif kind == "leased":
            attempts[job] = attempts.get(job, 0) + 1
        if kind == "effect_committed":
            request = detail.get("request", job.split("~")[0])
            effect = {k: v for k, v in detail.items() if k != "request"}
            ledger.append({"job_id": job, "token": row["token"], "request": request, "idempotency_key": None, **effect})
        elif kind == "dead_lettered":
            dead.append([job, row["attempt"], detail.get("last_error", "")])
            pending.pop(job, None)
        elif kind == "business_committed":
            business.append(job)
        elif kind in ("submitted", "ack_lost"):
            pending[job] = pending.get(job, 0) + 1
        elif kind == "acked" and pending.get(job):
            pending[job] -= 1
    messages = [[n, job, "ready"] for n, (job, count) in enumerate(sorted(pending.items()), 1) for _ in range(count)]
    return {
        "ledger": ledger,
        "dead_letters": dead,
        "messages": messages,
        "attempts": attempts,
        "outbox": [],
        "business_rows": business,
        "submissions": {},
        "store_calls": [],
    }


def history(
    *rows,
    policy: Policy | None = None,
    capacity: int | None = None,
    end_ms: int | None = None,
    requests: tuple[str, ...] | None = None,
    reason: str = "quiet",
    final: dict | None = None,
    **final_changes,
) -> RunRecord:
    """A record: a header, `rows` at indexes 1.., and a closing event whose final state agrees with the
    rows unless `final` (or a key of it given by keyword) says otherwise."""
    policy = policy or Policy.naive()
    jobs = sorted({r["job_id"].split("~")[0] for r in rows if r["job_id"]})
    header = {
        "seed": 0,
        "scenario": "hand-built",
        "policy": policy.to_dict(),
        "plan": {"faults": []},
        "attempt_bound": policy.attempt_bound,
        "store_capacity_per_s": capacity,
        "time_limit_ms": 60_000,
        "workers": ["w1", "w2"],
        "requests": [
            {"request": r, "key": None, "business_row": False} for r in (requests if requests is not None else jobs)
        ],
    }
    state = final if final is not None else final_from(rows)
    state = {**state, **final_changes}
    end = end_ms if end_ms is not None else (rows[-1]["time_ms"] if rows else 0)
    events = [Event.of(0, 0, RUN_STARTED, "lab", detail=header)]
    events += [Event.of(i, **row) for i, row in enumerate(rows, 1)]
    closing = {"reason": reason, "time_limit_ms": 60_000, "final": state}
    events.append(Event.of(len(events), end, RUN_ENDED, "lab", detail=closing))
    return RunRecord(events=tuple(events))


def submitted(time_ms, job_id, key=None, message=None, **payload):
    return e(
        time_ms,
        "submitted",
        "client",
        job_id,
        payload=payload,
        key=key,
        request=job_id.split("~")[0],
        message=message or int(job_id.split("~")[0][1:] or 0),
        outbox=False,
    )


def clean_job(job_id="j1", worker="w1", start=0, token=1):
    """submitted -> leased -> started -> effect_committed -> acked."""
    return [
        submitted(start, job_id),
        e(start, "leased", worker, job_id, 1, token, message=int(job_id[1:]), lease_expires_at_ms=None),
        e(start, "started", worker, job_id, 1, token),
        e(start + 100, "effect_committed", worker, job_id, 1, token, effect="charge", amount=1, request=job_id),
        e(start + 100, "acked", worker, job_id, 1, token, on_receipt=False),
    ]


def call_cli(capsys, *argv) -> tuple[int, str, str]:
    """Run `faultline ARGV` in-process; return (exit code, stdout, stderr)."""
    try:
        main(list(argv))
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
