"""FM_004 under its naive policy: a lost submit reply makes a second job for the same request."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_004")


def test_naive_policy_creates_two_jobs_for_order_1001():
    result = FM.run(fixed=False, seed=0)
    [violation] = violations_of(result, "INV_005")
    assert "idempotency key 'order-1001' created 2 jobs (j1, j1~1)" in violation.message
    first, second = evidence(result, violation)
    assert [(e.kind, e.job_id, e.detail["key"]) for e in (first, second)] == [
        ("submitted", "j1", "order-1001"),
        ("submitted", "j1~1", "order-1001"),
    ]
    between = [e.kind for e in result.events[first.index + 1 : second.index] if e.actor == "client"]
    assert between == ["submit_retried"]
    charged = sorted(row["job_id"] for row in result.final["ledger"])
    assert charged == ["j1", "j1~1", "j2"]  # the customer pays 40 twice
    [twice] = violations_of(result, "INV_001")  # one request, two effects
    assert "key 'order-1001' was charged 2 times under jobs j1, j1~1" in twice.message
