"""FM_014 under its naive policy: the paused old leader fires a tick the new leader already fired."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_014")


def test_naive_policy_starts_two_runs_for_tick_one():
    result = FM.run(fixed=False, seed=0)
    [violation] = violations_of(result, "INV_016")
    assert violation.message == (
        "INV_016 one-leader-one-fire violated: schedule nightly-report: tick 1 started 2 runs "
        "(nightly-report-t1-e2, nightly-report-t1-e1)"
    )
    new, old = evidence(result, violation)
    assert (new.actor, new.get("epoch"), old.actor, old.get("epoch")) == ("s2", 2, "s1", 1)
    between = [(e.kind, e.actor) for e in result.events if new.index < e.index < old.index]
    elected = next(e for e in result.events if e.kind == "leader_elected" and e.get("epoch") == 2)
    paused = next(e for e in result.events if e.kind == "paused")
    assert paused.actor == "s1" and paused.index < elected.index < new.index < old.index
    assert ("resumed", "s1") in between  # the old leader wakes after the new one fired
    assert len(result.final["runs"]) == 3  # tick 1 twice, tick 2 once


def test_naive_policy_fires_tick_one_twice_on_every_seed():
    for seed in range(20):
        assert violations_of(FM.run(fixed=False, seed=seed), "INV_016"), seed
