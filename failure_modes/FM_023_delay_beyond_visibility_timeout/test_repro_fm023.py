"""FM_023 under its naive policy: a worker holds a delayed job past its visibility timeout; it runs several times."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_023")


def test_naive_policy_runs_the_delayed_job_on_every_worker_that_held_it():
    result = FM.run(fixed=False, seed=0)
    [charged] = violations_of(result, "INV_001")
    commits = evidence(result, charged)
    assert len(commits) >= 2 and all(e.kind == "effect_committed" and e.job_id == "j1" for e in commits)
    assert all(e.time_ms >= 5_000 for e in commits)  # at its ETA, not before
    [overlap] = violations_of(result, "INV_006")
    assert "job j1 ran on" in overlap.message
    j1 = [e for e in result.events if e.job_id == "j1"]
    first_start = next(e.index for e in j1 if e.kind == "started")
    expired_before_eta = [e for e in j1 if e.kind == "lease_expired" and e.index < first_start]
    assert len(expired_before_eta) >= 1  # the visibility timeout ran out while a worker held it
