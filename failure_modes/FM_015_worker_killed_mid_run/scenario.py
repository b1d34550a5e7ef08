"""FM_015: a worker dies right after committing a task in the middle of an ETL run."""

from runtime.core.faults import WORKER_AFTER_COMMIT, Crash, FaultPlan
from runtime.core.policy import Policy
from runtime.core.scenario import Scenario
from runtime.core.workflow import TaskSpec, WorkflowSpec

ETL = WorkflowSpec(
    name="etl",
    tasks=(
        TaskSpec(name="extract", payload={"amount": 10}),
        TaskSpec(name="transform_orders", payload={"amount": 3}, depends_on=("extract",)),
        TaskSpec(name="transform_refunds", payload={"amount": 4}, depends_on=("extract",)),
        TaskSpec(name="transform_fees", payload={"amount": 5}, depends_on=("extract",)),
        TaskSpec(
            name="load",
            handler="write",
            payload={"key": "warehouse:daily"},
            depends_on=("transform_orders", "transform_refunds", "transform_fees"),
        ),
    ),
)

SCENARIO = Scenario(
    name="FM_015 worker killed mid-run",
    jobs=(),
    workflow=ETL,
    triggers=(0,),
    workers=("w1", "w2", "w3"),
    plan=FaultPlan(faults=(Crash(actor="w2", point=WORKER_AFTER_COMMIT, hit=1),)),
)

NAIVE_POLICY = Policy.naive().evolve(lease_ms=1_000)
FIXED_POLICY = NAIVE_POLICY.evolve(idempotent_effects=True)
