"""The probe drills: one planned fault each, landed on a third-party queue for real.

A drill is data: the jobs the client submits, where the lab's handler holds, what the lab does to
the worker when a handler reaches that hold (or to the network at a moment), and how long the queue
is then given to settle. The same drills run against every adapter (`faultline probe --list`).
"""

from __future__ import annotations

import attrs

KILL, STOP = "kill", "stop"


@attrs.frozen(kw_only=True)
class Strike:
    """What the lab does to the worker holding job `job` at `point` on attempt `attempt`."""

    point: str
    job: str = "s1"
    attempt: int = 1
    action: str = KILL
    """`kill`: SIGKILL its whole process group (pool children too), then restart it like a process
    manager would after `restart_ms`; `stop`: SIGSTOP it for `stop_ms`, then SIGCONT."""
    restart_ms: int = 1000
    stop_ms: int = 0


@attrs.frozen(kw_only=True)
class LinkFault:
    """A network fault at the lab's proxy, between the workers and the server."""

    mode: str  # cut, blackhole, latency
    point: str = "after_effect"
    """It starts when a handler reaches this hold (so it lands while a job is in flight)."""
    job: str = "s1"
    for_ms: int = 5000
    latency_ms: int = 0


@attrs.frozen(kw_only=True)
class Drill:
    name: str
    summary: str
    jobs: int = 3
    duplicate_key: bool = False
    """Submit s1's key again as s2 (a client retry after a lost reply)."""
    delay_ms: int = 0
    """Every job is submitted to run this much later (ETA, countdown, schedule_in)."""
    workers: int = 1
    hold_ms: int = 0
    """How long the handler waits at the strike's point (the strike lands meanwhile)."""
    work_ms: int = 50
    strike: Strike | None = None
    link: LinkFault | None = None
    settle_ms: int = 20_000
    """After the last fault, how long the queue is given to finish every job (the quiet period)."""
    faults_cost_attempts: int = 0
    """Deliveries a fault may take away: the attempt budget the judges allow on top of the library's."""
    settings: dict = attrs.field(factory=dict)
    """Knob values the drill needs where the adapter has the knob (a short visibility timeout, so that
    the fault outlasts it); a value the user sets wins."""


DRILLS: dict[str, Drill] = {
    drill.name: drill
    for drill in (
        Drill(name="no-fault", summary="three jobs and no fault: the adapter's happy path (a contract check)"),
        Drill(
            name="worker-crash",
            summary="the worker is SIGKILLed while running a job, before its effect; a process manager restarts it",
            strike=Strike(point="before_effect", action=KILL),
            hold_ms=30_000,
            faults_cost_attempts=1,
        ),
        Drill(
            name="crash-after-effect",
            summary="the worker is SIGKILLed after the job's effect committed, before it returned to the queue",
            strike=Strike(point="after_effect", action=KILL),
            hold_ms=30_000,
            faults_cost_attempts=1,
        ),
        Drill(
            name="worker-stall",
            summary="the worker is SIGSTOPped mid-job for longer than the lease or visibility timeout, then SIGCONT; "
            "a second worker is running",
            workers=2,
            strike=Strike(point="before_effect", action=STOP, stop_ms=8_000),
            hold_ms=2_000,
            faults_cost_attempts=1,
            settings={"visibility_timeout": 3},
        ),
        Drill(
            name="duplicate-submit",
            summary="the client submits the same job twice under one key (a retry after a lost reply)",
            duplicate_key=True,
            settle_ms=10_000,
        ),
        Drill(
            name="broker-cut",
            summary="every connection between the workers and the server is cut for 5 s while a job is finishing",
            link=LinkFault(mode="cut", point="after_effect", for_ms=5_000),
            hold_ms=500,
            faults_cost_attempts=1,
        ),
        Drill(
            name="broker-blackhole",
            summary="the link between the workers and the server lets no byte through for 8 s while a job is "
            "finishing, then delivers what it held (a partition: each side waits on its own timeouts)",
            link=LinkFault(mode="blackhole", point="after_effect", for_ms=8_000),
            hold_ms=500,
            faults_cost_attempts=1,
        ),
        Drill(
            name="broker-latency",
            summary="300 ms added each way between the workers and the server for 5 s while a job runs",
            link=LinkFault(mode="latency", point="before_effect", for_ms=5_000, latency_ms=300),
            hold_ms=500,
            faults_cost_attempts=1,
        ),
        Drill(
            name="delayed-job",
            summary="a job is delayed (ETA / countdown / schedule_in) past the visibility timeout; two workers run",
            jobs=2,
            workers=2,
            delay_ms=6_000,
            settle_ms=15_000,
            settings={"visibility_timeout": 3},
        ),
    )
}
