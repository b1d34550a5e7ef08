"""FM_013 under its naive policy: two dispatchers both dispatch the join task of one run."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_013")


def test_naive_policy_dispatches_the_join_twice_and_charges_it_twice():
    result = FM.run(fixed=False, seed=0)
    [violation] = violations_of(result, "INV_014")
    assert violation.message.startswith("INV_014 task-dispatched-once violated: run run-1: task join was dispatched 2")
    dispatches = evidence(result, violation)
    assert [(e.kind, e.job_id) for e in dispatches] == [("task_dispatched", "run-1:join")] * 2
    assert {e.actor for e in dispatches} == {"d1", "d2"}
    parents = [e for e in result.events if e.kind == "effect_committed" and e.job_id in ("run-1:left", "run-1:right")]
    assert len({e.time_ms for e in parents}) == 1  # the two parents finished at the same instant
    assert all(parent.index < dispatches[0].index for parent in parents)
    [double] = violations_of(result, "INV_001")
    assert [e.job_id for e in evidence(result, double)] == ["run-1:join", "run-1:join"]
    assert [row["job_id"] for row in result.final["ledger"]].count("run-1:join") == 2


def test_naive_policy_double_dispatches_on_every_seed():
    for seed in range(20):
        assert violations_of(FM.run(fixed=False, seed=seed), "INV_014"), seed
