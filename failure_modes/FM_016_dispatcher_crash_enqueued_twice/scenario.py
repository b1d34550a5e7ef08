"""FM_016: the dispatcher enqueues a ready task and dies before marking it dispatched; on restart it
enqueues the task again."""

import attrs

from failure_modes.FM_015_worker_killed_mid_run.scenario import ETL
from runtime.core.faults import DISPATCHER_AFTER_FIRST_WRITE, Crash, FaultPlan
from runtime.core.policy import Policy
from runtime.core.scenario import Scenario

# The transforms take 400 ms: the first copy still runs when the dispatcher is back.
SLOW_TRANSFORMS = attrs.evolve(
    ETL,
    tasks=tuple(
        attrs.evolve(task, duration_ms=400) if task.name.startswith("transform_") else task for task in ETL.tasks
    ),
)

SCENARIO = Scenario(
    name="FM_016 dispatcher crash, task enqueued twice",
    jobs=(),
    workflow=SLOW_TRANSFORMS,
    triggers=(0,),
    workers=("w1", "w2", "w3"),
    dispatchers=("dispatcher",),
    restart_delay_ms=100,
    plan=FaultPlan(faults=(Crash(actor="dispatcher", point=DISPATCHER_AFTER_FIRST_WRITE, hit=2),)),
)

NAIVE_POLICY = Policy.naive().evolve(lease_ms=1_000)
FIXED_POLICY = NAIVE_POLICY.evolve(dispatch_atomic=True)
