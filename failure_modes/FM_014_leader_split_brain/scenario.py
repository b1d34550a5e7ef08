"""FM_014: the leader pauses past its lock lease; a new leader fires tick 1; the old one wakes and fires it again."""

from runtime.core.faults import SCHEDULER_BEFORE_TRIGGER, FaultPlan, Pause
from runtime.core.policy import Policy
from runtime.core.scenario import Scenario
from runtime.core.workflow import TaskSpec, WorkflowSpec

REPORT = WorkflowSpec(
    name="nightly-report",
    tasks=(
        TaskSpec(name="collect", payload={"amount": 1}),
        TaskSpec(name="report", handler="write", payload={"key": "report:nightly"}, depends_on=("collect",)),
    ),
    schedule_every_ms=5_000,
)

SCENARIO = Scenario(
    name="FM_014 leader split brain",
    jobs=(),
    workflow=REPORT,
    schedulers=("s1", "s2"),
    ticks=2,
    leader_lease_ms=1_000,
    workers=("w1", "w2"),
    plan=FaultPlan(faults=(Pause(actor="s1", point=SCHEDULER_BEFORE_TRIGGER, hit=1, duration_ms=3_000),)),
)

NAIVE_POLICY = Policy.naive().evolve(lease_ms=1_000, leader_lock=True)
FIXED_POLICY = NAIVE_POLICY.evolve(fenced_triggers=True)
