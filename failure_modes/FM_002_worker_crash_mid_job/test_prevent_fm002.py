"""FM_002 under its fixed policy: the reaper reclaims the expired lease and j1 completes once."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_002")


def test_fixed_policy_recovers_j1_through_lease_expiry():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    expired = [e for e in result.events if e.kind == "lease_expired"]
    assert [(e.actor, e.job_id, e.detail["owner"]) for e in expired] == [("reaper", "j1", "w1")]
    assert sorted(row["job_id"] for row in result.final["ledger"]) == ["j1", "j2", "j3"]
    assert result.final["messages"] == []
    assert result.closing["reason"] == "quiet"


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
