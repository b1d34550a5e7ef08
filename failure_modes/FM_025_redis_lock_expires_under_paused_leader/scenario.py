"""FM_025: the leader's Redis lock (SET NX PX) expires while it is paused; a second scheduler takes
it and fires tick 1; the old leader wakes and fires tick 1 too."""

from runtime.core.faults import SCHEDULER_BEFORE_TRIGGER, FaultPlan, Pause
from runtime.core.policy import Policy
from runtime.core.scenario import Scenario
from runtime.core.workflow import TaskSpec, WorkflowSpec

INVOICES = WorkflowSpec(
    name="hourly-invoices",
    tasks=(
        TaskSpec(name="gather", payload={"amount": 1}),
        TaskSpec(name="send", handler="write", payload={"key": "invoices:hourly"}, depends_on=("gather",)),
    ),
    schedule_every_ms=4_000,
)

SCENARIO = Scenario(
    name="FM_025 Redis lock expires under a paused leader",
    jobs=(),
    workflow=INVOICES,
    schedulers=("s1", "s2"),
    ticks=2,
    leader_lease_ms=800,
    leader_lock="redis",
    workers=("w1", "w2"),
    plan=FaultPlan(faults=(Pause(actor="s1", point=SCHEDULER_BEFORE_TRIGGER, hit=1, duration_ms=2_500),)),
)

NAIVE_POLICY = Policy.naive().evolve(lease_ms=1_000, leader_lock=True)
FIXED_POLICY = NAIVE_POLICY.evolve(fenced_triggers=True)
