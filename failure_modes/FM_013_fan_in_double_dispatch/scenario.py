"""FM_013: two parents finish together; two dispatchers each see the join ready and both enqueue it."""

from runtime.core.policy import Policy
from runtime.core.scenario import Scenario
from runtime.core.workflow import TaskSpec, WorkflowSpec

FAN_IN = WorkflowSpec(
    name="fan-in",
    tasks=(
        TaskSpec(name="left", payload={"amount": 3}),
        TaskSpec(name="right", payload={"amount": 4}),
        TaskSpec(name="join", payload={"amount": 10}, depends_on=("left", "right")),
    ),
)

SCENARIO = Scenario(
    name="FM_013 fan-in double dispatch",
    jobs=(),
    workflow=FAN_IN,
    triggers=(0,),
    workers=("w1", "w2"),
    dispatchers=("d1", "d2"),
    duration_jitter_ms=0,  # the two parents finish at the same instant
    poll_ms=300,  # workers and dispatchers look every 300 ms: the parents start, and finish, together
    dispatch_ms=150,  # the enqueue's round trip: the second dispatcher reads before the first one writes
)

NAIVE_POLICY = Policy.naive().evolve(lease_ms=1_000)
FIXED_POLICY = NAIVE_POLICY.evolve(dispatch_cas=True)
