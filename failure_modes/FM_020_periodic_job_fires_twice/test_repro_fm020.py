"""FM_020 under its naive policy: two scheduler instances without a lock each fire every tick."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_020")


def test_naive_policy_starts_two_runs_for_each_tick():
    result = FM.run(fixed=False, seed=0)
    violations = violations_of(result, "INV_016")
    assert [v.message.split(": ", 2)[-1] for v in violations] == [
        "tick 1 started 2 runs (nightly-report-t1-s1, nightly-report-t1-s2)",
        "tick 2 started 2 runs (nightly-report-t2-s1, nightly-report-t2-s2)",
    ]
    for violation in violations:
        assert sorted(e.actor for e in evidence(result, violation)) == ["s1", "s2"]
    assert not any(e.kind == "leader_elected" for e in result.events)
    assert not any(e.kind == "crashed" for e in result.events)  # no fault: two healthy processes


def test_naive_policy_fires_twice_on_every_seed():
    for seed in range(20):
        assert len(violations_of(FM.run(fixed=False, seed=seed), "INV_016")) == 2, seed
