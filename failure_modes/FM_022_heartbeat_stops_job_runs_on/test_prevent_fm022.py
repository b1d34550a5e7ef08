"""FM_022 under its fixed policy: the job renews from its own loop and abandons a lease it cannot renew."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_022")


def test_fixed_policy_abandons_the_unrenewable_lease_and_charges_once():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    w1 = [e.kind for e in result.events if e.actor == "w1" and e.job_id == "j1"]
    assert w1[3:5] == ["heartbeat_stopped", "lease_lost"]  # the first lease, abandoned; a later one renews
    assert w1.count("heartbeat_stopped") == 1
    assert [row["job_id"] for row in result.final["ledger"]].count("j1") == 1


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
