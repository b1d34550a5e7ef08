"""FM_007 under its naive policy: j1 outlives its lease and runs on two workers at once."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_007")


def test_naive_policy_runs_j1_on_two_workers_at_once():
    result = FM.run(fixed=False, seed=0)
    [violation] = violations_of(result, "INV_006")
    assert "job j1 ran on w1 (0-3010ms) and on w2 (1005-" in violation.message
    first, second = evidence(result, violation)
    assert [(e.kind, e.actor, e.token) for e in (first, second)] == [
        ("started", "w1", 1),
        ("started", "w2", 3),
    ]
    expiry = [e for e in result.events[: second.index] if e.kind == "lease_expired"]
    assert [(e.job_id, e.detail["owner"], e.time_ms) for e in expiry] == [("j1", "w1", 1005)]
    [stale] = violations_of(result, "INV_007")  # w1 finishes and writes under a lease it lost
    assert "w1's write with lease token 1 landed at 3010ms after lease token 3 was granted to w2" in stale.message
    assert not any(e.kind == "lease_renewed" for e in result.events)
