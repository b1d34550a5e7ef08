"""FM_018 under its fixed policy: the retry is one operation on the same message."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_018")


def test_the_crash_after_the_nack_loses_nothing_and_runs_j1_once():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    assert any(e.kind == "crashed" and e.detail["point"] == "worker.after_retry" for e in result.events)
    leases = {e.get("message") for e in result.events if e.kind == "leased" and e.job_id == "j1"}
    assert len(leases) == 1  # one message, handed back with its delay
    assert [row["job_id"] for row in result.final["ledger"]].count("j1") == 1


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
