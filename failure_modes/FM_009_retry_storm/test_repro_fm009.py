"""FM_009 under its naive policy: lockstep retries offer the store more than its capacity."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_009")


def test_naive_policy_overloads_the_store_with_synchronized_retries():
    result = FM.run(fixed=False, seed=0)
    [violation] = violations_of(result, "INV_008")
    assert "over its capacity of 24/s" in violation.message
    offered = int(violation.message.split("offered ")[1].split(" calls")[0])
    assert offered >= 30
    first, last = evidence(result, violation)  # the first and last events of the worst second
    assert first.time_ms // 1000 == last.time_ms // 1000
    calls = [call for call in result.final["store_calls"] if call[0] // 1000 == first.time_ms // 1000]
    assert len(calls) == offered  # counted from the store's own call log
    delays = {e.detail["delay_ms"] for e in result.events if e.kind == "retry_scheduled"}
    assert delays == {200}  # fixed backoff: every failed job comes back in lockstep


def test_naive_policy_storms_on_every_seed():
    for seed in range(20):
        assert violations_of(FM.run(fixed=False, seed=seed), "INV_008"), seed
