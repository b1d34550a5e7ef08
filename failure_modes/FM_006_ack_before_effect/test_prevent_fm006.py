"""FM_006 under its fixed policy: acking after the commit lets the lease bring j1 back."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_006")


def test_fixed_policy_recovers_j1_after_the_crash():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    assert [e.job_id for e in result.events if e.kind == "lease_expired"] == ["j1"]
    assert sorted(row["job_id"] for row in result.final["ledger"]) == ["j1", "j2"]


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
