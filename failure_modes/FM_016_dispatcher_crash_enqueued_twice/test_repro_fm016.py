"""FM_016 under its naive policy: the restarted dispatcher enqueues a task it had already enqueued."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_016")


def test_naive_policy_enqueues_transform_orders_twice():
    result = FM.run(fixed=False, seed=0)
    [violation] = violations_of(result, "INV_014")
    first, second = evidence(result, violation)
    assert first.job_id == second.job_id == "run-1:transform_orders"
    crash = next(e for e in result.events if e.kind == "crashed")
    restart = next(e for e in result.events if e.kind == "restarted")
    assert (crash.actor, crash.detail["point"], crash.job_id) == (
        "dispatcher",
        "dispatcher.after_first_write",
        "run-1:transform_orders",
    )
    assert first.index < crash.index < restart.index < second.index
    [double] = violations_of(result, "INV_001")
    assert [e.job_id for e in evidence(result, double)] == ["run-1:transform_orders"] * 2


def test_naive_policy_enqueues_twice_on_every_seed():
    for seed in range(20):
        assert violations_of(FM.run(fixed=False, seed=seed), "INV_014"), seed
