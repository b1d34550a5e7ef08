"""FM_007 under its fixed policy: heartbeats keep j1's lease alive while it runs."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_007")


def test_fixed_policy_renews_the_lease_and_runs_j1_once():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    renewals = [e for e in result.events if e.kind == "lease_renewed" and e.job_id == "j1"]
    assert len(renewals) == 12 and {e.actor for e in renewals} == {"w1"}
    assert [e.actor for e in result.events if e.kind == "started" and e.job_id == "j1"] == ["w1"]
    assert not any(e.kind == "lease_expired" for e in result.events)


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
