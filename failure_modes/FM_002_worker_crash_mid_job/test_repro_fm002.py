"""FM_002 under its naive policy: a crashed worker's job is never picked up again."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_002")


def test_naive_policy_leaves_j1_stuck_after_w1_crashes():
    """Leases never expire, so j1 stays leased by a dead incarnation: INV_002 is violated."""
    result = FM.run(fixed=False, seed=0)
    [violation] = violations_of(result, "INV_002")
    assert violation.message.startswith("INV_002 no-lost-job violated: job j1 never finished")
    submitted, last = evidence(result, violation)
    assert (submitted.kind, submitted.job_id) == ("submitted", "j1")
    assert (last.kind, last.actor, last.job_id) == ("crashed", "w1", "j1")
    assert (result.closing["reason"], result.end_ms) == ("time_limit", result.header["time_limit_ms"])
    assert result.final["messages"] == [[1, "j1", "leased"]]  # still leased by the dead incarnation
    assert not any(e.kind == "lease_expired" for e in result.events)
    # The other jobs finish: the failure is silent from the queue's point of view.
    assert sorted(row["job_id"] for row in result.final["ledger"]) == ["j2", "j3"]
