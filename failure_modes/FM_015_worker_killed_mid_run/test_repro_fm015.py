"""FM_015 under its naive policy: the killed worker's task is retried after its lease expires and
charges twice."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_015")


def test_naive_policy_commits_the_killed_workers_task_twice():
    result = FM.run(fixed=False, seed=0)
    [violation] = violations_of(result, "INV_001")
    crash = next(e for e in result.events if e.kind == "crashed")
    assert (crash.actor, crash.detail["point"]) == ("w2", "worker.after_commit")
    task = crash.job_id
    assert task.startswith("run-1:transform_")  # the middle of the DAG
    first, second = evidence(result, violation)
    assert first.job_id == second.job_id == task and first.index < crash.index < second.index
    expired = next(e for e in result.events if e.kind == "lease_expired")
    assert expired.job_id == task and crash.index < expired.index < second.index
    assert result.final["runs"]["run-1"]["state"] == "succeeded"  # it completes, charged twice


def test_naive_policy_double_charges_on_every_seed():
    for seed in range(20):
        assert violations_of(FM.run(fixed=False, seed=seed), "INV_001"), seed
