"""FM_011 under its naive policy: a worker with a fast clock steals a job whose lease is live."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_011")


def test_naive_policy_lets_the_fast_clock_steal_j1():
    result = FM.run(fixed=False, seed=0)
    violations = violations_of(result, "INV_006")
    assert "job j1 ran on w1" in violations[0].message
    first, second = evidence(result, violations[0])
    assert [(e.actor, e.kind) for e in (first, second)] == [("w1", "started"), ("w2", "started")]
    steal = next(e for e in result.events if e.kind == "lease_expired")
    assert steal.actor == "w2"  # a worker, not the reaper, judged the lease
    assert steal.detail["lease_expires_at_ms"] > steal.time_ms  # still live by the true clock
