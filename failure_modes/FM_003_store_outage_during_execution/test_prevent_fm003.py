"""FM_003 under its fixed policy: store errors fail the attempt; jobs retry until the store is back."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_003")
OUTAGE_END_MS = 900


def test_fixed_policy_commits_every_job_once_after_the_outage():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    assert any(e.kind == "retry_scheduled" for e in result.events)
    commits = [e for e in result.events if e.kind == "effect_committed"]
    assert sorted(e.job_id for e in commits) == ["j1", "j2", "j3", "j4"]
    late = [e for e in commits if e.time_ms >= 100]
    assert all(e.time_ms >= OUTAGE_END_MS for e in late)


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}


def test_fixed_policy_completes_every_job_on_200_seeds():
    """Not merely terminal: no job is dead-lettered, every effect lands once the store is back."""
    for seed in range(200):
        result = FM.run(fixed=True, seed=seed)
        assert result.final["dead_letters"] == [], seed
        assert sorted(row["job_id"] for row in result.final["ledger"]) == ["j1", "j2", "j3", "j4"]
