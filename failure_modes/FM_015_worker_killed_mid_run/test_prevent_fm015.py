"""FM_015 under its fixed policy: lease expiry brings the task back, its key absorbs the retry."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_015")


def test_the_run_completes_with_every_effect_once():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    crash = next(e for e in result.events if e.kind == "crashed")
    assert any(e.kind == "effect_deduplicated" and e.job_id == crash.job_id for e in result.events)
    ledger = [row["job_id"] for row in result.final["ledger"]]
    assert sorted(ledger) == sorted(set(ledger)) and len(ledger) == 5
    assert result.final["runs"]["run-1"]["state"] == "succeeded"


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
