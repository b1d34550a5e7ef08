"""FM_010 under its naive policy: jobs enqueued for business rows that never committed run anyway."""

from faultline.catalog import find
from faultline.testing import evidence, jobs_named, violations_of

FM = find("FM_010")


def test_naive_policy_runs_jobs_on_missing_data():
    result = FM.run(fixed=False, seed=0)
    violations = violations_of(result, "INV_009")
    assert jobs_named(violations) == ["j1", "j2"]
    [started] = evidence(result, violations[0])
    assert (started.kind, started.job_id) == ("started", "j1")
    assert "its business row had not committed" in violations[0].message
    [rollback] = [e for e in result.events if e.kind == "business_rolled_back"]
    assert (rollback.job_id, rollback.get("error")) == ("j1", "store unavailable")
    crash = next(e for e in result.events if e.kind == "crashed")
    assert (crash.actor, crash.job_id) == ("client", "j2")
    assert sorted(row[0] for row in result.final["dead_letters"]) == ["j1", "j2"]
    assert any(e.kind == "missing_data" for e in result.events)
