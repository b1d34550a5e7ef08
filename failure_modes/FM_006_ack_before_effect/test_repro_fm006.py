"""FM_006 under its naive policy: an early ack plus a crash loses j1 without a trace."""

from faultline.catalog import find
from faultline.testing import evidence, jobs_named, violations_of

FM = find("FM_006")


def test_naive_policy_loses_j1_acked_on_receipt():
    result = FM.run(fixed=False, seed=0)
    [lost] = violations_of(result, "INV_002")
    assert "job j1 acked without its effect: last seen" in lost.message
    submitted, crash = evidence(result, lost)
    assert (submitted.kind, crash.kind, crash.detail["point"]) == (
        "submitted",
        "crashed",
        "worker.before_commit",
    )
    early = violations_of(result, "INV_004")
    assert jobs_named(early) == ["j1", "j2"]
    [ack] = evidence(result, early[0])
    assert ack.detail["on_receipt"] is True and ack.index < crash.index
    assert not any(e.kind == "lease_expired" for e in result.events)  # nothing left to expire
    assert [row["job_id"] for row in result.final["ledger"]] == ["j2"]
