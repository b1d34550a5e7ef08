"""FM_022 under its naive policy: a dead heartbeat thread lets the lease lapse while the job runs on."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_022")


def test_naive_policy_runs_j1_on_two_workers_and_charges_twice():
    result = FM.run(fixed=False, seed=0)
    [twice] = violations_of(result, "INV_001")
    first, second = evidence(result, twice)
    assert {(first.actor, first.kind), (second.actor, second.kind)} == {
        ("w1", "effect_committed"),
        ("w2", "effect_committed"),
    }
    [overlap] = violations_of(result, "INV_006")
    assert "job j1 ran on w1" in overlap.message and "at the same time" in overlap.message
    [stale] = violations_of(result, "INV_007")
    granted, late = evidence(result, stale)
    assert (granted.kind, granted.actor, late.actor, late.token) == ("leased", "w2", "w1", 1)
    kinds = [(e.actor, e.kind) for e in result.events if e.job_id == "j1"]
    assert kinds.index(("w1", "heartbeat_stopped")) < kinds.index(("reaper", "lease_expired"))
    assert ("w1", "lease_lost") not in kinds  # w1 never noticed
