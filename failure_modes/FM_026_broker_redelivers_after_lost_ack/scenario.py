"""FM_026: RabbitMQ delivers j1 to w1; w1 charges it and dies before its ack; the broker sees the
connection go and redelivers j1 at once (redelivered=true) to w2, which charges it again."""

from runtime.core.faults import WORKER_AFTER_COMMIT, Crash, FaultPlan
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_026 broker redelivers after a lost ack",
    jobs=(
        JobSpec(job_id="j1", payload={"amount": 10}),
        JobSpec(job_id="j2", payload={"amount": 25}, submit_at_ms=50),
    ),
    workers=("w1", "w2"),
    broker="rabbitmq",
    plan=FaultPlan(faults=(Crash(actor="w1", point=WORKER_AFTER_COMMIT, hit=1),)),
    restart_delay_ms=2_000,
)

# No lease in the database: the broker alone brings a dead consumer's job back.
NAIVE_POLICY = Policy.naive()
FIXED_POLICY = NAIVE_POLICY.evolve(idempotent_effects=True)
