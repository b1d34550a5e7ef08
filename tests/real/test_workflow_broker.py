"""The scheduler document's second milestone: a workflow's tasks on RabbitMQ and its schedulers'
leader on a Redis lock, a worker SIGKILLed mid-task; under the safe policy every task is processed
exactly once - simulated over seeds, and for real on both databases."""

import attrs
import pytest

from faultline.explore.workloads import workflow_workload
from invariants import check_all
from runtime.core.faults import WORKER_BEFORE_COMMIT, Crash, FaultPlan
from runtime.core.policy import Policy
from runtime.real.run import run_real
from runtime.sim import run
from tests.real.conftest import SCALE

PERIODIC = "examples/periodic_redis.yml"
KILLED = FaultPlan(faults=(Crash(actor="w1", point=WORKER_BEFORE_COMMIT, hit=1),))


def scenario():
    base = workflow_workload(PERIODIC, 3, KILLED)
    assert base.leader_lock == "redis"  # the spec says where its leader lock lives
    return attrs.evolve(base, broker="rabbitmq")


def exactly_once(record) -> None:
    assert check_all(record) == ()
    assert any(e.kind == "crashed" and e.actor == "w1" for e in record.events)
    committed = [row["job_id"] for row in record.final["ledger"]]
    assert committed and len(committed) == len(set(committed))  # every task's effect, once
    assert all(run["state"] == "succeeded" for run in record.final["runs"].values())


def test_the_workflow_on_the_broker_and_the_redis_lock_holds_in_the_simulator():
    for seed in range(30):
        exactly_once(run(scenario(), Policy.safe(), seed))


@pytest.mark.drill  # for real on both databases, RabbitMQ and Redis: make drills
def test_the_workflow_on_rabbitmq_and_redis_processes_every_task_once_after_a_sigkill(db_url, redis_url):
    exactly_once(run_real(scenario(), Policy.safe(), db_url=db_url, scale=SCALE, lock_url=redis_url))
