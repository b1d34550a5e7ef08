"""FM_009 under its fixed policy: jittered exponential backoff and a retry budget spread the load."""

from collections import Counter

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_009")


def test_fixed_policy_keeps_every_second_under_capacity_and_finishes_all_jobs():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    due = Counter(e.detail["visible_at_ms"] // 1000 for e in result.events if e.kind == "retry_scheduled")
    assert max(due.values()) <= 5  # the retry budget
    assert len(result.final["ledger"]) == 40 and result.final["dead_letters"] == []


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
