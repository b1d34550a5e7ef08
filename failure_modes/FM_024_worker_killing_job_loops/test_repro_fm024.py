"""FM_024 under its naive policy: a job that kills its worker comes back forever, never counted."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_024")


def test_naive_policy_redelivers_the_worker_killing_job_past_its_budget():
    result = FM.run(fixed=False, seed=0)
    [over] = violations_of(result, "INV_003")
    assert over.message.startswith("INV_003 attempts-bounded violated: job j1 was leased for attempt 4 (budget 3)")
    assert "the queue called it attempt 1" in over.message
    first, last = evidence(result, over)
    assert (first.kind, first.job_id, first.attempt) == ("leased", "j1", 1)
    assert last.index > first.index
    crashes = [e for e in result.events if e.kind == "crashed" and e.job_id == "j1"]
    assert len(crashes) > 3
    assert result.closing["reason"] == "time_limit" and result.final["dead_letters"] == []
    [lost] = violations_of(result, "INV_002")
    assert "job j1 never finished" in lost.message
    [counts] = violations_of(result, "INV_012")
    assert "attempt(s) of job j1 but the history grants" in counts.message
