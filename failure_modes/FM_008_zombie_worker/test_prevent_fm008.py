"""FM_008 under its fixed policy: the store fences the zombie's write by its old token."""

from invariants import check_all
from runtime.catalog import find
from runtime.lab import failing_seeds

FM = find("FM_008")


def test_fixed_policy_fences_the_zombie_write():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    [fenced] = [e for e in result.events if e.kind == "write_fenced"]
    assert (fenced.actor, fenced.token) == ("w1", 1)
    assert "token 1 is older than token 2" in fenced.detail["reason"]
    assert result.final.results["report:7"]["value"] == "w2@attempt2"


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
