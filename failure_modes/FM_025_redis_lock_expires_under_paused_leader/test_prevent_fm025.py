"""FM_025 under its fixed policy: the database refuses the paused leader's stale fencing token."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_025")


def test_the_stale_token_is_fenced_and_each_tick_runs_once():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    [refused] = [e for e in result.events if e.kind == "trigger_refused"]
    assert (refused.actor, refused.get("tick"), refused.get("epoch")) == ("s1", 1, 1)
    # Refused for its token (1, after the store took 2), before the tick's own uniqueness is asked.
    triggers = [(call[1], call[3]) for call in result.final["store_calls"] if call[2] == "trigger_run"]
    assert triggers == [("s2", "ok"), ("s1", "fenced"), ("s2", "ok")]
    ticks = [e.get("tick") for e in result.events if e.kind == "workflow_triggered"]
    assert ticks == [1, 2]
    assert all(run["state"] == "succeeded" for run in result.final["runs"].values())


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
