"""FM_013 under its fixed policy: the compare-and-set claim lets one dispatcher dispatch the join."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_013")


def test_the_claim_dispatches_the_join_once_and_the_run_succeeds():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    dispatched = [e.job_id for e in result.events if e.kind == "task_dispatched"]
    assert sorted(dispatched) == ["run-1:join", "run-1:left", "run-1:right"]
    assert result.final["runs"]["run-1"]["state"] == "succeeded"
    assert [row["job_id"] for row in result.final["ledger"]].count("run-1:join") == 1


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
