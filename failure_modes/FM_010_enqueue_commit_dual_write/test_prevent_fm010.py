"""FM_010 under its fixed policy: the outbox makes the row and the job commit together."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_010")


def test_fixed_policy_enqueues_only_committed_work():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    jobs = [(e.actor, e.job_id) for e in result.events if e.kind == "submitted"]
    assert jobs == [("relay", "j1"), ("relay", "j2"), ("relay", "j3")]  # only after their rows committed
    assert result.final["business_rows"] == ["j1", "j2", "j3"]
    assert sorted(row["job_id"] for row in result.final["ledger"]) == ["j1", "j2", "j3"]
    # The rolled-back and the crashed requests are sent again (client_resubmits), not lost.
    retried = [(e.job_id, e.detail["reason"]) for e in result.events if e.kind == "submit_retried"]
    assert retried == [("j1", "store error"), ("j1", "crashed")]


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
