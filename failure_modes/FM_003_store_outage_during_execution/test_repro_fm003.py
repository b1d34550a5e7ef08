"""FM_003 under its naive policy: jobs are acked although their commit failed in the outage."""

from faultline.catalog import find
from faultline.testing import evidence, jobs_named, violations_of

FM = find("FM_003")


def test_naive_policy_acks_jobs_whose_commit_failed():
    result = FM.run(fixed=False, seed=0)
    acked_without_effect = violations_of(result, "INV_004")
    assert jobs_named(acked_without_effect) == ["j1", "j2", "j3", "j4"]
    for violation in acked_without_effect:
        [ack] = evidence(result, violation)
        assert ack.kind == "acked"
        before = [e.kind for e in result.events[: ack.index] if e.job_id == ack.job_id]
        assert before[-2:] == ["store_unavailable", "error_ignored"]
    lost = violations_of(result, "INV_002")
    assert len(lost) == 4 and all("acked without its effect" in v.message for v in lost)
    assert result.final["ledger"] == []
