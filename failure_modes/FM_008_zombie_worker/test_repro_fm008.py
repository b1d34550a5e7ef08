"""FM_008 under its naive policy: a paused zombie's stale write overwrites the newer result."""

from runtime.catalog import find
from runtime.lab import evidence, violations_of

FM = find("FM_008")


def test_naive_policy_lets_the_zombie_overwrite_w2s_result():
    result = FM.run(fixed=False, seed=0)
    [violation] = violations_of(result, "INV_007")
    newer, stale = evidence(result, violation)
    assert [(e.actor, e.token, e.time_ms) for e in (newer, stale)] == [
        ("w2", 2, 1113),
        ("w1", 1, 3112),
    ]
    resumed = result.events[stale.index - 1]
    assert (resumed.kind, resumed.actor) == ("resumed", "w1")
    assert result.final.results["report:7"]["value"] == "w1@attempt1"  # the stale value won
