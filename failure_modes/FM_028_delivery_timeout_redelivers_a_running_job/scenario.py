"""FM_028: w1 works on j1 longer than RabbitMQ's delivery timeout; the broker closes its channel and
redelivers j1 to w2 while w1 is still working; both charge it."""

from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_028 delivery timeout redelivers a running job",
    jobs=(
        JobSpec(job_id="j1", payload={"amount": 10}, duration_ms=3_000),
        JobSpec(job_id="j2", payload={"amount": 20}, submit_at_ms=10),
    ),
    workers=("w1", "w2"),
    broker="rabbitmq",
    consumer_timeout_ms=1_000,
)

NAIVE_POLICY = Policy.naive()
FIXED_POLICY = NAIVE_POLICY.evolve(broker_ack="on_claim", lease_ms=1_000, lease_clock="store", heartbeat_ms=250)
