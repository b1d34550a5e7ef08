"""FM_021 under its fixed policy: the expired lease requeues j1 and w2 completes it once."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_021")


def test_fixed_policy_retries_the_dead_workers_job():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    assert [e.job_id for e in result.events if e.kind == "lease_expired"] == ["j1"]
    assert sorted(row["job_id"] for row in result.final["ledger"]) == ["j1", "j2"]
    assert result.final["dead_letters"] == []


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
