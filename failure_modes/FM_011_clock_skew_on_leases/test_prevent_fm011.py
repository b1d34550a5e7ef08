"""FM_011 under its fixed policy: only the store's reaper judges leases, on the store's clock."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_011")


def test_fixed_policy_never_steals_a_live_lease():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    assert not any(e.kind == "lease_expired" for e in result.events)
    assert [e.actor for e in result.events if e.kind == "started" and e.job_id == "j1"] == ["w1"]


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
