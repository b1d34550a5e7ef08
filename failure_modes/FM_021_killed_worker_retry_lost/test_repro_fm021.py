"""FM_021 under its naive policy: the dead worker's job is buried with retries left."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_021")


def test_naive_policy_buries_j1_after_one_attempt_of_three():
    result = FM.run(fixed=False, seed=0)
    [violation] = violations_of(result, "INV_018")
    assert "job j1 was dead-lettered after 1 attempt(s)" in violation.message
    assert "a budget of 3" in violation.message
    [buried] = evidence(result, violation)
    assert (buried.kind, buried.actor, buried.job_id) == ("dead_lettered", "reaper", "j1")
    kinds = [e.kind for e in result.events if e.job_id == "j1"]
    assert kinds.index("crashed") < kinds.index("lease_expired") < kinds.index("dead_lettered")
    assert "attempt_failed" not in kinds  # the handler never failed
    assert [row[0] for row in result.final["dead_letters"]] == ["j1"]
