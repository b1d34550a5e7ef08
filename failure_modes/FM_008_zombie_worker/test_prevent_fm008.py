"""FM_008 under its fixed policy: the store fences the zombie's write by its old token."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_008")


def test_fixed_policy_fences_the_zombie_write():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    [fenced] = [e for e in result.events if e.kind == "write_fenced"]
    assert (fenced.actor, fenced.token, fenced.detail["newest_token"]) == ("w1", 1, 2)
    [row] = result.final["ledger"]
    assert (row["job_id"], row["value"]) == ("j1", "w2@attempt2")


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
