"""FM_014 under its fixed policy: the store refuses the stale leader's trigger."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_014")


def test_the_stale_epoch_is_refused_and_each_tick_runs_once():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    [refused] = [e for e in result.events if e.kind == "trigger_refused"]
    assert (refused.actor, refused.get("tick"), refused.get("epoch")) == ("s1", 1, 1)
    ticks = [e.get("tick") for e in result.events if e.kind == "workflow_triggered"]
    assert ticks == [1, 2]
    assert all(run["state"] == "succeeded" for run in result.final["runs"].values())


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
