"""FM_005 under its naive policy: a poison job is retried forever and the jobs behind it starve."""

from faultline.catalog import find
from faultline.testing import evidence, jobs_named, violations_of

FM = find("FM_005")


def test_naive_policy_retries_p1_without_bound():
    result = FM.run(fixed=False, seed=0)
    [violation] = violations_of(result, "INV_003")
    assert violation.message.startswith(
        "INV_003 attempts-bounded violated: job p1 was leased for attempt 11 (budget 10)"
    )
    first, last = evidence(result, violation)
    assert (first.kind, first.job_id, first.attempt) == ("leased", "p1", 11)
    assert last.attempt > 100
    delays = {e.detail["delay_ms"] for e in result.events if e.kind == "retry_scheduled"}
    assert delays == {0}  # retried at once, every time


def test_naive_policy_starves_the_jobs_behind_p1():
    result = FM.run(fixed=False, seed=0)
    assert jobs_named(violations_of(result, "INV_002")) == ["p1", "j1", "j2", "j3"]
    assert not any(e.kind == "leased" and e.job_id != "p1" for e in result.events)
    assert result.closing["reason"] == "time_limit"
