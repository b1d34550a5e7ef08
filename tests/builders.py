"""Test helpers: hand-built histories for checker tests, and the CLI run in-process."""

from __future__ import annotations

from runtime.cli import main
from runtime.faults import FaultPlan
from runtime.history import Event
from runtime.policies import Policy
from runtime.scenario import JobSpec, Scenario
from runtime.sim import FinalState, Result


def e(time_ms, kind, actor, job_id=None, attempt=None, token=None, **detail):
    """One row of a hand-built history (the index is filled in by `history`)."""
    return dict(
        time_ms=time_ms,
        kind=kind,
        actor=actor,
        job_id=job_id,
        attempt=attempt,
        token=token,
        detail=detail,
    )


def history(*rows, policy: Policy | None = None, capacity: int | None = None, end_ms: int | None = None) -> Result:
    events = tuple(Event(index=i, **row) for i, row in enumerate(rows))
    scenario = Scenario(
        name="hand-built",
        jobs=(JobSpec(job_id="j1"),),
        plan=FaultPlan(),
        store_capacity_per_s=capacity,
    )
    return Result(
        scenario=scenario,
        policy=policy or Policy.naive(),
        seed=0,
        events=events,
        final=FinalState(ledger=(), results={}, dead_letters={}, unfinished=(), business_rows=()),
        end_ms=end_ms if end_ms is not None else (events[-1].time_ms if events else 0),
        steps=0,
    )


def submitted(time_ms, job_id, key=None, **payload):
    return e(time_ms, "submitted", "client", job_id, payload=payload, key=key)


def clean_job(job_id="j1", worker="w1", start=0, token=1):
    """submitted -> leased -> started -> effect_committed -> acked."""
    return [
        submitted(start, job_id),
        e(start, "leased", worker, job_id, 1, token),
        e(start, "started", worker, job_id, 1, token),
        e(start + 100, "effect_committed", worker, job_id, 1, token, effect="charge", amount=1),
        e(start + 100, "acked", worker, job_id, 1, token),
    ]


def call_cli(capsys, *argv) -> tuple[int, str, str]:
    """Run `faultline ARGV` in-process; return (exit code, stdout, stderr)."""
    try:
        main(list(argv))
        code = 0
    except SystemExit as done:
        code = done.code or 0
    out, err = capsys.readouterr()
    return code, out, err
