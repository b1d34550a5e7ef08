"""FM_027: the client publishes j2 to RabbitMQ without publisher confirms; its connection drops with
the publish on the way; the broker never gets j2, and nobody knows."""

from runtime.core.faults import FaultPlan, LostPublish
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_027 publish without confirms loses a task",
    jobs=(
        JobSpec(job_id="j1", payload={"amount": 10}),
        JobSpec(job_id="j2", payload={"amount": 25}, submit_at_ms=50),
        JobSpec(job_id="j3", payload={"amount": 40}, submit_at_ms=100),
    ),
    workers=("w1", "w2"),
    broker="rabbitmq",
    plan=FaultPlan(faults=(LostPublish(job="j2"),)),
)

NAIVE_POLICY = Policy.naive()
FIXED_POLICY = NAIVE_POLICY.evolve(publisher_confirms=True)
