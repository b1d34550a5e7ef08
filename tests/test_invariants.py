"""Each checker on hand-built histories: a clean one passes, a violating one is caught with
the right evidence."""

import pytest

from invariants import REGISTRY, all_invariants, check_all
from runtime.policies import Policy
from tests.builders import clean_job, e, history, submitted


def ids(result):
    return [v.invariant for v in check_all(result)]


def only(result, invariant_id):
    return [v for v in REGISTRY[invariant_id].violations(result)]


def test_registry_ids_are_unique_sorted_and_described():
    registry = all_invariants()
    assert [i.id for i in registry] == sorted(REGISTRY)
    for inv in registry:
        assert inv.statement.endswith(".") and inv.kind in ("safety", "liveness")


def test_clean_history_violates_nothing():
    assert check_all(history(*clean_job("j1"), *clean_job("j2", "w2", 0, 2))) == ()


def test_empty_history_violates_nothing():
    assert check_all(history()) == ()


# INV_001 effect-once -------------------------------------------------------------------------
def test_effect_once_catches_two_commits_of_one_job():
    rows = clean_job("j1") + [
        e(1000, "leased", "w2", "j1", 2, 2),
        e(1000, "started", "w2", "j1", 2, 2),
        e(1100, "effect_committed", "w2", "j1", 2, 2, effect="charge", amount=1),
        e(1100, "acked", "w2", "j1", 2, 2),
    ]
    [violation] = only(history(*rows), "INV_001")
    assert violation.events == (3, 7)
    assert "job j1's effect committed 2 times (w1 at 100ms, w2 at 1100ms)" in violation.message


def test_effect_once_accepts_a_deduplicated_rerun():
    rows = clean_job("j1") + [
        e(1000, "leased", "w2", "j1", 2, 2),
        e(1000, "started", "w2", "j1", 2, 2),
        e(1100, "effect_deduplicated", "w2", "j1", 2, 2),
        e(1100, "acked", "w2", "j1", 2, 2),
    ]
    assert ids(history(*rows)) == []


# INV_002 no-lost-job -------------------------------------------------------------------------
def test_no_lost_job_catches_a_job_stuck_after_a_crash():
    rows = [
        submitted(0, "j1"),
        e(0, "leased", "w1", "j1", 1, 1),
        e(0, "started", "w1", "j1", 1, 1),
        e(50, "crashed", "w1", "j1", 1, 1, point="worker.before_commit"),
    ]
    [violation] = only(history(*rows, end_ms=30_000), "INV_002")
    assert violation.events == (0, 3)
    assert "job j1 never finished: last seen #3 t=50ms w1 crashed j1" in violation.message
    assert "run ended at 30000ms" in violation.message


def test_no_lost_job_catches_an_ack_without_effect():
    rows = [submitted(0, "j1"), e(10, "acked", "w1", "j1", 1, 1)]
    [violation] = only(history(*rows), "INV_002")
    assert "acked without its effect" in violation.message


def test_no_lost_job_accepts_a_dead_lettered_job():
    rows = [submitted(0, "j1"), e(10, "dead_lettered", "w1", "j1", 3, last_error="boom")]
    assert only(history(*rows), "INV_002") == []


def test_no_lost_job_ignores_stale_acks():
    rows = [
        submitted(0, "j1"),
        e(5, "effect_committed", "w1", "j1", 1, 1),
        e(6, "acked", "w1", "j1", 1, 1, stale=True),
    ]
    assert len(only(history(*rows), "INV_002")) == 1


# INV_003 attempts-bounded --------------------------------------------------------------------
def test_attempts_bounded_catches_retries_past_max_attempts():
    rows = [submitted(0, "p1")] + [e(n * 10, "retry_scheduled", "w1", "p1", n, n, delay_ms=0) for n in range(1, 5)]
    [violation] = only(history(*rows, policy=Policy.naive().evolve(max_attempts=3)), "INV_003")
    assert violation.events == (3, 4)
    assert "retried after attempt 3 (budget 3) and kept going to attempt 5" in violation.message


def test_attempts_bounded_uses_the_lab_ceiling_without_max_attempts():
    rows = [e(n, "retry_scheduled", "w1", "p1", n, n) for n in range(1, 10)]
    assert only(history(*rows), "INV_003") == []
    rows.append(e(10, "retry_scheduled", "w1", "p1", 10, 10))
    assert len(only(history(*rows), "INV_003")) == 1


# INV_004 acked-implies-committed -------------------------------------------------------------
def test_acked_implies_committed_catches_ack_on_receipt():
    rows = [
        submitted(0, "j1"),
        e(0, "leased", "w1", "j1", 1, 1),
        e(0, "acked", "w1", "j1", 1, 1, on_receipt=True),
        e(100, "effect_committed", "w1", "j1", 1, 1),
    ]
    [violation] = only(history(*rows), "INV_004")
    assert violation.events == (2,)
    assert "acked by w1 at 0ms on receipt" in violation.message


def test_acked_implies_committed_accepts_commit_then_ack():
    assert only(history(*clean_job()), "INV_004") == []


# INV_005 one-job-per-key ---------------------------------------------------------------------
def test_one_job_per_key_catches_a_resubmission_that_made_a_second_job():
    rows = [submitted(0, "j1", key="order-7"), submitted(200, "j1~1", key="order-7")]
    [violation] = only(history(*rows), "INV_005")
    assert violation.events == (0, 1)
    assert "idempotency key 'order-7' created 2 jobs (j1, j1~1)" in violation.message


def test_one_job_per_key_accepts_a_deduplicated_resubmission():
    rows = [
        submitted(0, "j1", key="order-7"),
        e(200, "submit_deduplicated", "client", "j1", key="order-7"),
    ]
    assert only(history(*rows), "INV_005") == []


# INV_006 single-executor ---------------------------------------------------------------------
def test_single_executor_catches_two_workers_running_one_job():
    rows = [
        submitted(0, "j1"),
        e(0, "started", "w1", "j1", 1, 1),
        e(1000, "lease_expired", "w2", "j1", 1, 1),
        e(1000, "started", "w2", "j1", 2, 2),
        e(5000, "effect_committed", "w1", "j1", 1, 1),
        e(6000, "effect_committed", "w2", "j1", 2, 2),
    ]
    [violation] = only(history(*rows), "INV_006")
    assert violation.events == (1, 3)
    assert "ran on w1 (0-5000ms) and on w2 (1000-6000ms) at the same time" in violation.message


def test_single_executor_accepts_back_to_back_runs_and_renewals():
    rows = [
        e(0, "started", "w1", "j1", 1, 1),
        e(250, "lease_renewed", "w1", "j1", 1, 1),
        e(400, "crashed", "w1", "j1", 1, 1),
        e(1400, "started", "w2", "j1", 2, 2),
        e(1500, "effect_committed", "w2", "j1", 2, 2),
    ]
    assert only(history(*rows), "INV_006") == []


def test_single_executor_does_not_count_a_paused_zombie_as_running():
    rows = [
        e(0, "started", "w1", "j1", 1, 1),
        e(100, "paused", "w1", "j1", duration_ms=3000),
        e(1100, "started", "w2", "j1", 2, 2),
        e(1200, "effect_committed", "w2", "j1", 2, 2),
        e(3100, "resumed", "w1", "j1"),
    ]
    assert only(history(*rows), "INV_006") == []


# INV_007 no-stale-write ----------------------------------------------------------------------
def test_no_stale_write_catches_an_old_token_landing_last():
    rows = [
        e(1200, "effect_committed", "w2", "j1", 2, 2, effect="write", key="r"),
        e(3100, "effect_committed", "w1", "j1", 1, 1, effect="write", key="r"),
    ]
    [violation] = only(history(*rows), "INV_007")
    assert violation.events == (0, 1)
    assert "w1's write with lease token 1 landed at 3100ms after w2's" in violation.message


def test_no_stale_write_accepts_increasing_tokens_and_fenced_writes():
    rows = [
        e(100, "effect_committed", "w1", "j1", 1, 1),
        e(1200, "effect_committed", "w2", "j1", 2, 2),
        e(3100, "write_fenced", "w1", "j1", 1, 1),
    ]
    assert only(history(*rows), "INV_007") == []


# INV_008 store-load-bounded ------------------------------------------------------------------
def test_store_load_bounded_catches_a_second_over_capacity():
    rows = [e(1000 + n, "store_unavailable", "w1", f"j{n}", 1, n) for n in range(5)]
    [violation] = only(history(*rows, capacity=3), "INV_008")
    assert "offered 5 calls in [1000, 2000)ms, over its capacity of 3/s" in violation.message
    assert violation.events == (0, 3, 4)


def test_store_load_bounded_accepts_load_spread_over_seconds_and_no_capacity():
    rows = [e(n * 400, "effect_committed", "w1", f"j{n}", 1, n) for n in range(10)]
    assert only(history(*rows, capacity=3), "INV_008") == []
    assert only(history(*rows * 2, capacity=None), "INV_008") == []


# INV_009 job-iff-committed -------------------------------------------------------------------
def test_job_iff_committed_catches_a_job_running_on_a_rolled_back_row():
    rows = [
        submitted(0, "j1", business_row=True),
        e(0, "business_rolled_back", "client", "j1", error="store unavailable"),
        e(10, "started", "w1", "j1", 1, 1),
    ]
    [violation] = only(history(*rows), "INV_009")
    assert violation.events == (1, 2)
    assert "job j1 ran at 10ms on missing data" in violation.message


def test_job_iff_committed_catches_a_committed_row_without_a_job():
    rows = [e(0, "business_committed", "client", "j1")]
    [violation] = only(history(*rows), "INV_009")
    assert "committed (#0) but no job was enqueued" in violation.message


def test_job_iff_committed_accepts_the_outbox_order():
    rows = [
        e(0, "business_committed", "client", "j1", outbox=True),
        e(50, "submitted", "relay", "j1", payload={"business_row": True}),
        e(60, "started", "w1", "j1", 1, 1),
    ]
    assert only(history(*rows), "INV_009") == []


@pytest.mark.parametrize("inv", all_invariants(), ids=lambda inv: inv.id)
def test_every_checker_is_silent_on_a_clean_history(inv):
    assert inv.violations(history(*clean_job(), capacity=100)) == []
