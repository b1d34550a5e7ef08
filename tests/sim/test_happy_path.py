"""The happy path (docs/04_happy_path.md): no faults, every job runs once and every invariant holds."""

from invariants import check_all
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario
from runtime.sim import run

HAPPY = Scenario(
    name="happy path",
    jobs=tuple(JobSpec(job_id=f"j{n}", payload={"amount": n}, submit_at_ms=20 * n) for n in range(1, 6)),
    workers=("w1", "w2"),
)
LIFECYCLE = ["submitted", "leased", "started", "effect_committed", "acked"]
FRAME = ["run_started", "run_ended"]


def test_every_job_goes_through_the_full_lifecycle_once():
    result = run(HAPPY, Policy.naive(), seed=3)
    for n in range(1, 6):
        kinds = [e.kind for e in result.events if e.job_id == f"j{n}"]
        assert kinds == LIFECYCLE, f"j{n}: {kinds}"


def test_happy_path_holds_every_invariant_under_both_presets():
    for policy in (Policy.naive(), Policy.safe()):
        result = run(HAPPY, policy, seed=3)
        assert check_all(result) == ()
        assert sorted(row["amount"] for row in result.final["ledger"]) == [1, 2, 3, 4, 5]
        assert result.final["messages"] == [] and result.final["dead_letters"] == []


def test_happy_path_ends_when_quiet_not_at_the_time_limit():
    result = run(HAPPY, Policy.naive(), seed=3)
    last_ack = max(e.time_ms for e in result.events if e.kind == "acked")
    assert [result.events[0].kind, result.events[-1].kind] == FRAME
    assert result.closing["reason"] == "quiet"
    assert result.end_ms == last_ack < result.header["time_limit_ms"]
