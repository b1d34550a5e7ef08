"""FM_012 under its naive policy: a relay crash between publish and mark-sent runs j1 twice."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_012")


def test_naive_policy_publishes_j1_twice_and_charges_it_twice():
    """The restarted relay publishes j1's row again; the second message charges j1 again: INV_001."""
    result = FM.run(fixed=False, seed=0)
    [violation] = violations_of(result, "INV_001")
    assert violation.message.startswith("INV_001 effect-once violated: job j1's effect committed 2 times")
    publishes = [e for e in result.events if e.kind == "submitted" and e.job_id == "j1"]
    assert [(e.actor, e.detail["outbox"]) for e in publishes] == [("relay", True), ("relay", True)]
    assert publishes[0].detail["message"] != publishes[1].detail["message"]
    crash = next(e for e in result.events if e.kind == "crashed")
    assert (crash.actor, crash.job_id, crash.detail["point"]) == ("relay", "j1", "relay.after_publish")
    assert publishes[0].index < crash.index < publishes[1].index
    commits = evidence(result, violation)
    assert [(e.kind, e.job_id) for e in commits] == [("effect_committed", "j1"), ("effect_committed", "j1")]
    assert [row["job_id"] for row in result.final["ledger"]].count("j1") == 2


def test_naive_policy_double_charges_on_every_seed():
    for seed in range(20):
        assert violations_of(FM.run(fixed=False, seed=seed), "INV_001"), seed
