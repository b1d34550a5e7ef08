"""Faultline, the lab: the CLI, the explorer, the presentation of runs, the failure-mode catalog.

The library API (docs/09_library.md): build a scenario, a policy and a fault plan, run it in either
world, and judge the record::

    import faultline
    record = faultline.run("FM_001")                      # an FM's scenario, naive policy
    assert faultline.violated(record) == {"INV_001"}
"""

from __future__ import annotations

from invariants import Violation, check_all
from runtime.core.faults import (
    ClockSkew,
    Crash,
    CrashJob,
    DuplicateDelivery,
    FaultPlan,
    Pause,
    PoisonJob,
    SlowJob,
    StoreOutage,
    SubmitTimeout,
)
from runtime.core.policy import Policy
from runtime.core.record import RunRecord
from runtime.core.scenario import JobSpec, Scenario

__version__ = "0.2.0"

__all__ = [
    "ClockSkew",
    "Crash",
    "CrashJob",
    "DuplicateDelivery",
    "FaultPlan",
    "JobSpec",
    "Pause",
    "PoisonJob",
    "Policy",
    "RunRecord",
    "Scenario",
    "SlowJob",
    "StoreOutage",
    "SubmitTimeout",
    "Violation",
    "__version__",
    "check",
    "find_fm",
    "run",
    "violated",
]


def run(
    what: Scenario | str,
    policy: Policy | None = None,
    *,
    seed: int = 0,
    plan: FaultPlan | None = None,
    fixed: bool = False,
    real: bool = False,
    db: str | None = None,
    time_scale: float = 1.0,
) -> RunRecord:
    """Run a Scenario (with `policy`, default `Policy.naive()`) or an FM by id (its naive policy, or
    its fixed one with `fixed=True`; `policy` overrides either). `plan` replaces the scenario's fault
    plan. `real=True` runs it in the real world on `db` (a SQLite path or a postgresql:// URL)."""
    if isinstance(what, str):
        mode = find_fm(what)
        scenario, policy = mode.scenario, policy or mode.policy(fixed=fixed)
    else:
        scenario, policy = what, policy or Policy.naive()
    if real:
        from runtime.real.db import DEFAULT_DB
        from runtime.real.run import run_real

        return run_real(scenario, policy, seed, plan, db_url=db or DEFAULT_DB, scale=time_scale)
    from runtime.sim import run as simulate

    return simulate(scenario, policy, seed, plan)


def check(record: RunRecord) -> tuple[Violation, ...]:
    """Every invariant over one run record (history and final state): the violations, in id order."""
    return check_all(record)


def violated(record: RunRecord) -> set[str]:
    """The ids of the invariants `record` violates."""
    return {violation.invariant for violation in check_all(record)}


def find_fm(fm_id: str):
    """A failure mode of the catalog by id ('FM_001', 'fm1', '1')."""
    from faultline import catalog

    return catalog.find(fm_id)
