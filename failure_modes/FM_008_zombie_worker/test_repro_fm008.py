"""FM_008 under its naive policy: a paused zombie's stale write overwrites the newer result."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_008")


def test_naive_policy_lets_the_zombie_overwrite_w2s_result():
    result = FM.run(fixed=False, seed=0)
    [violation] = violations_of(result, "INV_007")
    lease, newer, stale = evidence(result, violation)
    assert (lease.kind, lease.actor, lease.token) == ("leased", "w2", 2)
    assert [(e.actor, e.token, e.time_ms) for e in (newer, stale)] == [
        ("w2", 2, 1105),
        ("w1", 1, 3110),
    ]
    resumed = result.events[stale.index - 1]
    assert (resumed.kind, resumed.actor) == ("resumed", "w1")
    assert [row["value"] for row in result.final["ledger"]] == ["w2@attempt2", "w1@attempt1"]  # the stale value last
