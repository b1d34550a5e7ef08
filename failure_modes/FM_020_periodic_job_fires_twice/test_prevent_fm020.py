"""FM_020 under its fixed policy: the leader lock lets one scheduler fire each tick."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_020")


def test_one_leader_fires_each_tick_once():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    triggered = [(e.actor, e.get("tick"), e.get("epoch")) for e in result.events if e.kind == "workflow_triggered"]
    assert triggered == [("s1", 1, 1), ("s1", 2, 1)]


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
