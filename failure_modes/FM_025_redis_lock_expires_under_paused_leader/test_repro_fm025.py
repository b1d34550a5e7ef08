"""FM_025 under its naive policy: the paused leader's Redis lock expires and tick 1 fires twice."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_025")


def test_naive_policy_starts_two_runs_for_tick_one():
    result = FM.run(fixed=False, seed=0)
    [violation] = violations_of(result, "INV_016")
    assert violation.message == (
        "INV_016 one-leader-one-fire violated: schedule hourly-invoices: tick 1 started 2 runs "
        "(hourly-invoices-t1-e2, hourly-invoices-t1-e1)"
    )
    new, old = evidence(result, violation)
    assert (new.actor, new.get("epoch"), old.actor, old.get("epoch")) == ("s2", 2, "s1", 1)
    elected = next(e for e in result.events if e.kind == "leader_elected" and e.get("epoch") == 2)
    paused = next(e for e in result.events if e.kind == "paused")
    resumed = next(e for e in result.events if e.kind == "resumed")
    assert paused.actor == resumed.actor == "s1"
    assert paused.index < elected.index < new.index < resumed.index < old.index
    # The lock is Redis's: no store call took or renewed it.
    assert not [call for call in result.final["store_calls"] if call[2] == "acquire_lock"]


def test_naive_policy_fires_tick_one_twice_on_every_seed():
    for seed in range(20):
        assert violations_of(FM.run(fixed=False, seed=seed), "INV_016"), seed
