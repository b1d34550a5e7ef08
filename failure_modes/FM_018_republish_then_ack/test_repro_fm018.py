"""FM_018 under its naive policy: the worker dies between republishing j1 and acking it."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_018")


def test_naive_policy_runs_the_copy_and_the_redelivered_original():
    result = FM.run(fixed=False, seed=0)
    [violation] = violations_of(result, "INV_001")
    first, second = evidence(result, violation)
    assert first.job_id == second.job_id == "j1"
    scheduled = next(e for e in result.events if e.kind == "retry_scheduled" and e.job_id == "j1")
    crash = next(e for e in result.events if e.kind == "crashed")
    assert (crash.job_id, crash.detail["point"]) == ("j1", "worker.after_retry")
    expired = next(e for e in result.events if e.kind == "lease_expired" and e.job_id == "j1")
    assert scheduled.index < crash.index < expired.index < second.index
    leases = [e.get("message") for e in result.events if e.kind == "leased" and e.job_id == "j1"]
    assert len(set(leases)) == 2  # the original and its copy, two messages
    assert [row["job_id"] for row in result.final["ledger"]].count("j1") == 2


def test_naive_policy_double_charges_on_every_seed():
    for seed in range(20):
        assert violations_of(FM.run(fixed=False, seed=seed), "INV_001"), seed
