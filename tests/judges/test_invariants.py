"""Each checker on hand-built records: a clean one passes, a violating one is caught with the right
evidence. Every hole the verdicts issue listed has its own violating record here."""

import attrs
import pytest

from invariants import REGISTRY, all_invariants, check_all
from runtime.core.errors import BadInputError
from runtime.core.history import Event
from runtime.core.policy import Policy
from runtime.core.record import RunRecord
from tests.builders import clean_job, e, final_from, history, submitted

SAFE_LIKE = Policy.naive().evolve(max_attempts=3, backoff="exponential", backoff_base_ms=100, jitter="equal")


def ids(result):
    return [v.invariant for v in check_all(result)]


def only(result, invariant_id):
    return list(REGISTRY[invariant_id].violations(result))


def test_registry_ids_are_unique_sorted_and_described():
    registry = all_invariants()
    assert [i.id for i in registry] == sorted(REGISTRY)
    assert [i.id for i in registry] == [f"INV_{n:03d}" for n in range(1, len(registry) + 1)]  # no gaps
    for inv in registry:
        assert inv.statement.endswith(".") and inv.kind in ("safety", "liveness")


def test_clean_history_violates_nothing():
    assert check_all(history(*clean_job("j1"), *clean_job("j2", "w2", 200, 2))) == ()


def test_empty_history_violates_nothing():
    assert check_all(history(requests=())) == ()


# INV_001 effect-once -------------------------------------------------------------------------
def test_effect_once_catches_two_commits_of_one_job():
    rows = clean_job("j1") + [
        e(1000, "leased", "w2", "j1", 2, 2, message=1),
        e(1000, "started", "w2", "j1", 2, 2),
        e(1100, "effect_committed", "w2", "j1", 2, 2, effect="charge", amount=1, request="j1"),
        e(1100, "acked", "w2", "j1", 2, 2),
    ]
    [violation] = only(history(*rows), "INV_001")
    assert violation.events == (4, 8)
    assert "job j1's effect committed 2 times (w1 at 100ms, w2 at 1100ms)" in violation.message


def test_effect_once_accepts_a_deduplicated_rerun():
    rows = clean_job("j1") + [
        e(1000, "leased", "w2", "j1", 2, 2, message=1),
        e(1000, "started", "w2", "j1", 2, 2),
        e(1100, "effect_deduplicated", "w2", "j1", 2, 2),
        e(1100, "acked", "w2", "j1", 2, 2),
    ]
    assert ids(history(*rows)) == []


def test_effect_once_catches_one_request_charged_under_two_job_ids():
    """Hole: a resubmitted request (j1, j1~1) charged once under each id passed when counting per job id."""
    rows = clean_job("j1") + [
        submitted(300, "j1~1", message=2),
        e(300, "leased", "w2", "j1~1", 1, 2, message=2),
        e(300, "started", "w2", "j1~1", 1, 2),
        e(400, "effect_committed", "w2", "j1~1", 1, 2, effect="charge", amount=1, request="j1"),
        e(400, "acked", "w2", "j1~1", 1, 2),
    ]
    [violation] = only(history(*rows, requests=("j1",)), "INV_001")
    assert "request j1 was charged 2 times under jobs j1, j1~1" in violation.message
    assert violation.events == (4, 9)


def test_effect_once_counts_ledger_rows_even_when_the_history_hides_one():
    """Ground truth: a commit whose event was lost (a process killed after its commit) still counts."""
    record = history(*clean_job("j1"))
    hidden = dict(record.final["ledger"][0], token=7)
    record = history(*clean_job("j1"), ledger=[*record.final["ledger"], hidden])
    [violation] = only(record, "INV_001")
    assert "committed 2 times (w1 at 100ms, token 7 with no effect_committed event)" in violation.message
    assert "INV_012" in ids(record)


# INV_002 no-lost-job -------------------------------------------------------------------------
def test_no_lost_job_catches_a_job_stuck_after_a_crash():
    rows = [
        submitted(0, "j1"),
        e(0, "leased", "w1", "j1", 1, 1, message=1),
        e(0, "started", "w1", "j1", 1, 1),
        e(50, "crashed", "w1", "j1", 1, 1, point="worker.before_commit", incarnation=1),
    ]
    [violation] = only(history(*rows, end_ms=30_000, reason="time_limit"), "INV_002")
    assert violation.events == (1, 4)
    assert "job j1 never finished: last seen #4 t=50ms w1 crashed j1" in violation.message
    assert "run ended at 30000ms (its time limit)" in violation.message


def test_no_lost_job_catches_an_ack_without_effect():
    rows = [submitted(0, "j1"), e(10, "acked", "w1", "j1", 1, 1, on_receipt=True)]
    [violation] = only(history(*rows), "INV_002")
    assert "acked without its effect" in violation.message


def test_no_lost_job_accepts_a_dead_lettered_job():
    rows = [submitted(0, "j1"), e(10, "dead_lettered", "w1", "j1", 3, last_error="boom")]
    assert only(history(*rows), "INV_002") == []


def test_no_lost_job_catches_an_ack_the_queue_lost():
    """Hole: `acked` right after the loss it cancels read as finished; the message is still queued."""
    rows = clean_job("j1") + [e(100, "ack_lost", "queue", "j1", 1, 1, cancels=5)]
    [violation] = only(history(*rows), "INV_002")
    assert "job j1 never finished" in violation.message


def test_no_lost_job_does_not_count_a_rejected_ack():
    rows = [
        submitted(0, "j1"),
        e(5, "effect_committed", "w1", "j1", 1, 1, effect="charge", amount=1, request="j1"),
        e(6, "ack_rejected", "w1", "j1", 1, 1, reason="the lease moved on"),
    ]
    assert len(only(history(*rows), "INV_002")) == 1


# INV_003 attempts-bounded --------------------------------------------------------------------
def test_attempts_bounded_catches_a_lease_past_max_attempts():
    rows = [submitted(0, "p1")] + [e(n * 10, "leased", "w1", "p1", n, n, message=1) for n in range(1, 6)]
    [violation] = only(history(*rows, policy=Policy.naive().evolve(max_attempts=3)), "INV_003")
    assert violation.events == (5, 6)
    assert "leased for attempt 4 (budget 3) and kept going to attempt 5" in violation.message


def test_attempts_bounded_catches_leases_that_came_back_through_lease_expiry():
    """Hole: a job leased 36 times through lease expiry (no retry_scheduled at all) passed."""
    rows = [submitted(0, "j1")]
    for n in range(1, 37):
        rows += [
            e(n * 1000, "leased", "w1", "j1", n, n, message=1),
            e(n * 1000 + 1000, "lease_expired", "reaper", "j1", n, n, owner="w1", lease_expires_at_ms=0),
        ]
    [violation] = only(history(*rows), "INV_003")
    assert "leased for attempt 11 (budget 10) and kept going to attempt 36" in violation.message


def test_attempts_bounded_uses_the_lab_ceiling_without_max_attempts():
    rows = [e(n, "leased", "w1", "p1", n, n, message=1) for n in range(1, 11)]
    assert only(history(*rows), "INV_003") == []
    rows.append(e(11, "leased", "w1", "p1", 11, 11, message=1))
    assert len(only(history(*rows), "INV_003")) == 1


# INV_004 acked-implies-committed -------------------------------------------------------------
def test_acked_implies_committed_catches_ack_on_receipt():
    rows = [
        submitted(0, "j1"),
        e(0, "leased", "w1", "j1", 1, 1, message=1),
        e(0, "acked", "w1", "j1", 1, 1, on_receipt=True),
        e(100, "effect_committed", "w1", "j1", 1, 1, effect="charge", amount=1, request="j1"),
    ]
    [violation] = only(history(*rows), "INV_004")
    assert violation.events == (3,)
    assert "acked by w1 at 0ms on receipt" in violation.message


def test_acked_implies_committed_accepts_commit_then_ack():
    assert only(history(*clean_job()), "INV_004") == []


def _republished(ack_first: bool):
    """j1 fails; a delayed copy is scheduled and the original acked (in that order, or the ack first),
    then the copy commits."""
    failed = [
        e(50, "attempt_failed", "w1", "j1", 1, 1, error="boom", reason="handler", accepted=True),
        e(50, "retry_scheduled", "w1", "j1", 1, 1, delay_ms=100, visible_at_ms=150, message=2),
    ]
    ack = [e(50, "acked", "w1", "j1", 1, 1, on_receipt=ack_first)]
    return [
        submitted(0, "j1"),
        e(0, "leased", "w1", "j1", 1, 1, message=1),
        *(ack + failed if ack_first else failed + ack),
        e(150, "leased", "w2", "j1", 2, 2, message=2),
        e(250, "effect_committed", "w2", "j1", 2, 2, effect="charge", amount=1, request="j1"),
        e(250, "acked", "w2", "j1", 2, 2, on_receipt=False),
    ]


def test_acked_implies_committed_accepts_the_ack_that_retires_a_republished_original():
    assert only(history(*_republished(ack_first=False)), "INV_004") == []


def test_acked_implies_committed_still_catches_an_ack_before_the_failure():
    [violation] = only(history(*_republished(ack_first=True)), "INV_004")
    assert violation.events == (3,) and "on receipt" in violation.message


# INV_005 one-job-per-key ---------------------------------------------------------------------
def test_one_job_per_key_catches_a_resubmission_that_made_a_second_job():
    rows = [submitted(0, "j1", key="order-7"), submitted(200, "j1~1", key="order-7")]
    [violation] = only(history(*rows), "INV_005")
    assert violation.events == (1, 2)
    assert "idempotency key 'order-7' created 2 jobs (j1, j1~1)" in violation.message


def test_one_job_per_key_accepts_a_deduplicated_resubmission():
    rows = [submitted(0, "j1", key="order-7"), e(200, "submit_deduplicated", "client", "j1", key="order-7")]
    assert only(history(*rows), "INV_005") == []


# INV_006 single-executor ---------------------------------------------------------------------
def test_single_executor_catches_two_workers_running_one_job():
    rows = [
        submitted(0, "j1"),
        e(0, "started", "w1", "j1", 1, 1),
        e(1000, "lease_expired", "w2", "j1", 1, 1),
        e(1000, "started", "w2", "j1", 2, 2),
        e(5000, "effect_committed", "w1", "j1", 1, 1, effect="charge", amount=1, request="j1"),
        e(6000, "effect_committed", "w2", "j1", 2, 2, effect="charge", amount=1, request="j1"),
    ]
    [violation] = only(history(*rows), "INV_006")
    assert violation.events == (2, 4)
    assert "ran on w1 (0-5000ms) and on w2 (1000-6000ms) at the same time" in violation.message


def test_single_executor_accepts_back_to_back_runs_and_renewals():
    rows = [
        e(0, "started", "w1", "j1", 1, 1),
        e(250, "lease_renewed", "w1", "j1", 1, 1),
        e(400, "crashed", "w1", "j1", 1, 1),
        e(1400, "started", "w2", "j1", 2, 2),
        e(1500, "effect_committed", "w2", "j1", 2, 2, effect="charge", amount=1, request="j1"),
    ]
    assert only(history(*rows), "INV_006") == []


def test_single_executor_does_not_count_a_paused_zombie_as_running():
    rows = [
        e(0, "started", "w1", "j1", 1, 1),
        e(100, "paused", "w1", "j1", duration_ms=3000),
        e(1100, "started", "w2", "j1", 2, 2),
        e(1200, "effect_committed", "w2", "j1", 2, 2, effect="charge", amount=1, request="j1"),
        e(3100, "resumed", "w1", "j1"),
    ]
    assert only(history(*rows), "INV_006") == []


# INV_007 no-stale-write ----------------------------------------------------------------------
def test_no_stale_write_catches_an_old_token_landing_last():
    rows = [
        e(0, "leased", "w1", "j1", 1, 1, message=1),
        e(1100, "leased", "w2", "j1", 2, 2, message=1),
        e(1200, "effect_committed", "w2", "j1", 2, 2, effect="write", key="r", value="a", request="j1"),
        e(3100, "effect_committed", "w1", "j1", 1, 1, effect="write", key="r", value="b", request="j1"),
    ]
    [violation] = only(history(*rows), "INV_007")
    assert violation.events == (2, 3, 4)
    assert "w1's write with lease token 1 landed at 3100ms after lease token 2 was granted to w2" in violation.message
    assert "overwriting w2's newer write (token 2)" in violation.message


def test_no_stale_write_catches_a_stale_write_that_is_the_only_write():
    """Hole: a zombie's write after a newer lease was granted passed when nobody else wrote."""
    rows = [
        e(0, "leased", "w1", "j1", 1, 1, message=1),
        e(1100, "leased", "w2", "j1", 2, 2, message=1),
        e(1150, "crashed", "w2", "j1", 2, 2, point="worker.after_lease", incarnation=1),
        e(3100, "effect_committed", "w1", "j1", 1, 1, effect="write", key="r", value="b", request="j1"),
    ]
    [violation] = only(history(*rows), "INV_007")
    assert violation.events == (2, 4)


def test_no_stale_write_accepts_increasing_tokens_and_fenced_writes():
    rows = [
        e(0, "leased", "w1", "j1", 1, 1, message=1),
        e(100, "effect_committed", "w1", "j1", 1, 1, effect="charge", amount=1, request="j1"),
        e(1100, "leased", "w2", "j1", 2, 2, message=1),
        e(1200, "effect_committed", "w2", "j1", 2, 2, effect="charge", amount=1, request="j1"),
        e(3100, "write_fenced", "w1", "j1", 1, 1, newest_token=2),
    ]
    assert only(history(*rows), "INV_007") == []


# INV_008 store-load-bounded ------------------------------------------------------------------
def test_store_load_bounded_counts_every_store_call_in_the_call_log():
    """Hole: successful claims, outbox reads and marks left no event, so 6 calls read as 3."""
    calls = [
        [1000 + n, "client", op, "ok"] for n, op in enumerate(["claim_submission", "read_outbox", "mark_relayed"] * 2)
    ]
    rows = [e(1000, "outage_ended", "store"), e(1500, "outage_ended", "store")]
    [violation] = only(history(*rows, capacity=3, store_calls=calls), "INV_008")
    assert "offered 6 calls in [1000, 2000)ms, over its capacity of 3/s" in violation.message
    assert "callers: client 6" in violation.message


def test_store_load_bounded_accepts_load_spread_over_seconds_and_no_capacity():
    calls = [[n * 400, "w1", "commit_effect", "committed"] for n in range(10)]
    assert only(history(capacity=3, store_calls=calls, requests=()), "INV_008") == []
    assert only(history(capacity=None, store_calls=calls * 2, requests=()), "INV_008") == []


# INV_009 job-iff-committed -------------------------------------------------------------------
def test_job_iff_committed_catches_a_job_running_on_a_rolled_back_row():
    rows = [
        submitted(0, "j1", business_row=True),
        e(0, "business_rolled_back", "client", "j1", error="store unavailable"),
        e(10, "started", "w1", "j1", 1, 1),
    ]
    [violation] = only(history(*rows), "INV_009")
    assert violation.events == (2, 3)
    assert "job j1 ran at 10ms on missing data" in violation.message


def test_job_iff_committed_catches_a_committed_row_without_a_job():
    rows = [e(0, "business_committed", "client", "j1", outbox=True)]
    [violation] = only(history(*rows), "INV_009")
    assert "committed (#1) but no job was enqueued" in violation.message


def test_job_iff_committed_accepts_the_outbox_order():
    rows = [
        e(0, "business_committed", "client", "j1", outbox=True),
        e(
            50,
            "submitted",
            "relay",
            "j1",
            payload={"business_row": True},
            message=1,
            request="j1",
            key=None,
            outbox=True,
        ),
        e(60, "started", "w1", "j1", 1, 1),
    ]
    assert only(history(*rows), "INV_009") == []


# INV_010 no-lost-request ---------------------------------------------------------------------
def test_no_lost_request_catches_a_request_dropped_after_a_store_error():
    """Hole: a client that dropped a request after a store error lost it with zero violations."""
    rows = [
        e(0, "store_unavailable", "client", "j1", operation="commit_business", error="store unavailable"),
        e(0, "business_rolled_back", "client", "j1", error="store unavailable"),
    ]
    [violation] = only(history(*rows), "INV_010")
    assert "request j1 vanished: no effect in the ledger, not dead-lettered, never refused" in violation.message
    assert violation.events == (2,)


def test_no_lost_request_catches_a_request_that_never_reached_the_system():
    [violation] = only(history(requests=("j9",)), "INV_010")
    assert "request j9 vanished: it never reached the system" in violation.message


def test_no_lost_request_accepts_an_explicit_refusal_and_a_dead_letter():
    rows = [
        e(0, "request_refused", "client", "j1", request="j1", reason="store unavailable"),
        submitted(10, "j2"),
        e(20, "dead_lettered", "w1", "j2", 3, last_error="boom"),
    ]
    assert only(history(*rows), "INV_010") == []


# INV_011 backoff-respected -------------------------------------------------------------------
def _failure(time_ms, attempt, token, delay_ms, visible_at_ms):
    return [
        e(time_ms, "attempt_failed", "w1", "p1", attempt, token, error="boom", reason="handler", accepted=True),
        e(
            time_ms,
            "retry_scheduled",
            "w1",
            "p1",
            attempt,
            token,
            delay_ms=delay_ms,
            visible_at_ms=visible_at_ms,
            message=1,
        ),
    ]


def test_backoff_respected_catches_a_retry_that_ignores_the_backoff():
    """Hole: retries with delay 0 changed 2 of 3 safe histories and no invariant noticed."""
    rows = [submitted(0, "p1"), e(0, "leased", "w1", "p1", 1, 1, message=1), *_failure(50, 1, 1, 0, 50)]
    [violation] = only(history(*rows, policy=SAFE_LIKE), "INV_011")
    assert "retry after attempt 1 waits 0ms; the policy's exponential backoff with equal jitter allows [50, 100]ms" in (
        violation.message
    )


def test_backoff_respected_catches_a_lease_before_the_retry_is_due():
    rows = [
        submitted(0, "p1"),
        e(0, "leased", "w1", "p1", 1, 1, message=1),
        *_failure(50, 1, 1, 80, 130),
        e(100, "leased", "w2", "p1", 2, 2, message=1),
    ]
    [violation] = only(history(*rows, policy=SAFE_LIKE), "INV_011")
    assert "leased again at 100ms, before its retry was due at 130ms" in violation.message


def test_backoff_respected_catches_retries_over_the_budget():
    policy = SAFE_LIKE.evolve(retry_budget_per_s=2)
    rows = [submitted(0, "p1")]
    for n in range(3):
        rows += _failure(10 * n, 1, n + 1, 60, 1_100)
    [violation] = only(history(*rows, policy=policy), "INV_011")
    assert "3 retries fell due in [1000, 2000)ms, over the retry budget of 2/s" in violation.message


def test_backoff_respected_accepts_jittered_delays_in_range():
    rows = [submitted(0, "p1"), e(0, "leased", "w1", "p1", 1, 1, message=1), *_failure(50, 1, 1, 75, 125)]
    rows += [e(125, "leased", "w1", "p1", 2, 2, message=1), *_failure(175, 2, 2, 150, 325)]
    assert only(history(*rows, policy=SAFE_LIKE), "INV_011") == []


# INV_012 history-matches-state ---------------------------------------------------------------
def test_history_matches_state_catches_an_event_without_its_ledger_row():
    record = history(*clean_job("j1"), ledger=[])
    [violation] = only(record, "INV_012")
    assert "w1 recorded effect_committed for job j1 (token 1) but the ledger has no such row" in violation.message
    assert violation.events == (4,)


def test_history_matches_state_catches_a_dead_letter_nobody_recorded():
    rows = [submitted(0, "j1")]
    record = history(*rows, dead_letters=[["j1", 1, "boom"]], messages=[])
    found = [v.message for v in only(record, "INV_012")]
    assert any("the dead-letter queue and the dead_lettered events disagree about j1" in m for m in found)
    assert any("the queue holds 0 message(s) of job j1 but the history leaves 1" in m for m in found)


def test_history_matches_state_accepts_an_honest_record():
    rows = clean_job("j1") + [submitted(200, "j2"), e(300, "dead_lettered", "w2", "j2", 1, last_error="x")]
    assert final_from(rows)["dead_letters"] == [["j2", 1, "x"]]
    assert only(history(*rows), "INV_012") == []


def test_history_matches_state_catches_attempts_edited_to_disagree_with_the_leases():
    record = history(*clean_job("j1"), attempts={"j1": 3})
    [violation] = only(record, "INV_012")
    assert violation.message.endswith("the queue counts 3 attempt(s) of job j1 but the history grants 1 lease(s)")
    assert violation.events == (2,)


def test_history_matches_state_restarts_the_count_at_a_redrive_under_the_same_id():
    rows = [submitted(0, "j1"), e(0, "leased", "w1", "j1", 1, 1, message=1, lease_expires_at_ms=None)]
    rows += [e(50, "attempt_failed", "w1", "j1", 1, 1, error="x", reason="handler", accepted=True)]
    rows += [e(50, "dead_lettered", "w1", "j1", 1, last_error="x")]
    rows += [e(60, "redriven", "operator", "j1", dead_letter="j1", ids="keep"), submitted(60, "j1", message=2)]
    rows += [e(70, "leased", "w1", "j1", 1, 2, message=2, lease_expires_at_ms=None)]
    rows += [e(90, "effect_committed", "w1", "j1", 1, 2, effect="charge", amount=1, request="j1")]
    rows += [e(90, "acked", "w1", "j1", 1, 2, on_receipt=False)]
    honest = {"attempts": {"j1": 1}, "dead_letters": [], "messages": []}
    assert only(history(*rows, **honest), "INV_012") == []
    [violation] = only(history(*rows, **{**honest, "attempts": {"j1": 2}}), "INV_012")
    assert "counts 2 attempt(s) of job j1 but the history grants 1" in violation.message


def test_history_matches_state_catches_messages_the_history_removed():
    record = history(*clean_job("j1"), messages=[[1, "j1", "ready"]])
    [violation] = only(record, "INV_012")
    assert "the queue holds 1 message(s) of job j1 but the history leaves 0" in violation.message


def test_history_matches_state_catches_an_outbox_row_and_a_key_nobody_recorded():
    record = history(*clean_job("j1"), outbox=["j1"], submissions={"order-9": "j1"})
    found = " | ".join(v.message for v in only(record, "INV_012"))
    assert "the outbox and the business_committed/outbox_relayed events disagree about j1" in found
    assert "the store gives key 'order-9' to job j1, which the history never submitted under it" in found


def test_history_matches_state_catches_a_run_the_table_has_in_another_state():
    rows = [
        triggered(0, tasks={"a": []}),
        e(50, "run_finished", "d1", run="r1", state="succeeded", tasks={"a": "succeeded"}),
    ]
    honest = {"runs": {"r1": {"state": "succeeded", "tasks": {"a": "succeeded"}}}}
    assert only(history(*rows, requests=(), **honest), "INV_012") == []
    edited = {"runs": {"r1": {"state": "failed", "tasks": {"a": "failed"}}}}
    [violation] = only(history(*rows, requests=(), **edited), "INV_012")
    assert "says run r1 succeeded, but the runs table has it failed" in violation.message


# INV_017 history-in-time -----------------------------------------------------------------------
def test_history_in_time_catches_time_running_backwards():
    rows = clean_job("j1")
    rows[3] = {**rows[3], "time_ms": 50}
    rows[2] = {**rows[2], "time_ms": 80}
    [violation] = only(history(*rows), "INV_017")
    assert "time runs backwards: #4 t=50ms w1 effect_committed j1 comes after #3 t=80ms w1 started j1" in (
        violation.message
    )


def outage(start, end):
    return [e(start, "outage_started", "store", until_ms=end), e(end, "outage_ended", "store")]


def in_time(*rows):
    return sorted(rows, key=lambda row: row["time_ms"])  # stable: ties keep their order


def job_through_an_outage(commit_ms: int):
    """j1 leased and started at 20 ms, inside an outage of [10, 200); its effect at `commit_ms`."""
    charged = e(commit_ms, "effect_committed", "w1", "j1", 1, 1, effect="charge", amount=1)
    leased = e(20, "leased", "w1", "j1", 1, 1, message=1)
    acked = e(max(commit_ms, 250), "acked", "w1", "j1", 1, 1, on_receipt=False)
    return in_time(submitted(0, "j1"), *outage(10, 200), leased, e(20, "started", "w1", "j1", 1, 1), charged, acked)


def test_history_in_time_catches_a_store_commit_inside_an_outage_in_either_world():
    [violation] = only(history(*job_through_an_outage(150)), "INV_017")
    assert "1 change(s) committed while the store was recorded away in [10, 200)ms" in violation.message
    assert violation.events == (2, 5)


def test_history_in_time_lets_the_simulated_broker_work_through_an_outage_but_not_the_real_queue():
    rows = job_through_an_outage(250)
    assert only(history(*rows), "INV_017") == []  # the simulator's broker stays up
    real = history(*rows)
    header = {**real.events[0].detail, "world": "real"}
    real = attrs.evolve(real, events=(Event.of(0, 0, "run_started", "lab", detail=header), *real.events[1:]))
    [violation] = only(real, "INV_017")
    assert "#3 t=20ms w1 leased j1" in violation.message  # the real queue lives in the database


def test_the_record_reader_refuses_a_history_whose_time_runs_backwards():
    rows = clean_job("j1")
    rows[3] = {**rows[3], "time_ms": 50}
    rows[2] = {**rows[2], "time_ms": 80}
    with pytest.raises(BadInputError, match=r"time runs backwards at event #4 \(50 ms after #3 at 80 ms\)"):
        RunRecord.from_jsonl(history(*rows).jsonl())


# Redrives: a job redriven as a new one finished as the old one ---------------------------------
def redriven_as_new():
    rows = [submitted(0, "j1", key="order-1"), e(0, "leased", "w1", "j1", 1, 1, message=1)]
    rows += [e(50, "attempt_failed", "w1", "j1", 1, 1, error="x", reason="handler", accepted=True)]
    rows += [e(50, "dead_lettered", "w1", "j1", 1, last_error="x")]
    rows += [e(60, "redriven", "operator", "j1~r1", dead_letter="j1", ids="mint")]
    rows += [{**submitted(60, "j1~r1", key="order-1", message=2), "actor": "operator"}]
    rows += [e(70, "leased", "w1", "j1~r1", 1, 2, message=2)]
    rows += [e(90, "effect_committed", "w1", "j1~r1", 1, 2, effect="charge", amount=1, request="j1")]
    rows += [e(90, "acked", "w1", "j1~r1", 1, 2, on_receipt=False)]
    return rows


ONE_ATTEMPT = Policy.naive().evolve(max_attempts=1)


def test_a_job_redriven_under_a_new_id_is_not_lost_and_its_key_made_one_client_job():
    record = history(*redriven_as_new(), dead_letters=[], messages=[], policy=ONE_ATTEMPT)
    assert ids(record) == []


# INV_018 work-progresses ---------------------------------------------------------------------
def failed_attempt(time_ms, attempt, token, job="j1", worker="w1"):
    return [
        e(time_ms, "leased", worker, job, attempt, token, message=1, lease_expires_at_ms=None),
        e(time_ms + 10, "attempt_failed", worker, job, attempt, token, error="x", reason="handler", accepted=True),
    ]


def test_work_progresses_catches_a_dead_letter_before_the_budget_is_spent():
    rows = [submitted(0, "j1"), *failed_attempt(0, 1, 1), e(10, "dead_lettered", "w1", "j1", 1, last_error="x")]
    [violation] = only(history(*rows, policy=SAFE_LIKE, messages=[]), "INV_018")
    assert "job j1 was dead-lettered after 1 attempt(s) since it last started afresh, with a budget of 3" in (
        violation.message
    )
    spent = [submitted(0, "j1"), *failed_attempt(0, 1, 1), *failed_attempt(100, 2, 2), *failed_attempt(300, 3, 3)]
    spent.append(e(310, "dead_lettered", "w1", "j1", 3, last_error="x"))
    assert only(history(*spent, policy=SAFE_LIKE, messages=[]), "INV_018") == []


def test_work_progresses_catches_a_redrive_that_gave_no_fresh_budget():
    rows = [submitted(0, "j1"), *failed_attempt(0, 1, 1), e(10, "dead_lettered", "w1", "j1", 1, last_error="x")]
    rows += [e(20, "redriven", "operator", "j1", dead_letter="j1", ids="keep"), submitted(20, "j1", message=2)]
    rows += [e(20, "dead_lettered", "queue", "j1", 1, last_error="attempts exhausted before another delivery")]
    [violation] = only(history(*rows, policy=ONE_ATTEMPT, messages=[], attempts={"j1": 0}), "INV_018")
    assert "job j1 was dead-lettered after 0 attempt(s) since it last started afresh, with a budget of 1" in (
        violation.message
    )
    assert violation.events == (7,)


def test_work_progresses_catches_the_store_fencing_the_newest_lease_and_a_lease_lost_for_nothing():
    rows = [submitted(0, "j1"), e(0, "leased", "w1", "j1", 1, 1, message=1, lease_expires_at_ms=1000)]
    rows += [e(0, "started", "w1", "j1", 1, 1), e(100, "write_fenced", "w1", "j1", 1, 1, newest_token=1)]
    rows += [e(200, "lease_lost", "w1", "j1", 1, 1)]
    found = [v.message for v in only(history(*rows, policy=SAFE_LIKE), "INV_018")]
    assert any("fenced w1's write of job j1 (token 1) although no newer lease" in m for m in found)
    assert any(
        "w1 lost its lease of job j1 (token 1) though it had neither expired nor been replaced" in m for m in found
    )


def test_work_progresses_accepts_a_fence_after_a_newer_lease_and_a_refused_payload():
    rows = [submitted(0, "j1"), e(0, "leased", "w1", "j1", 1, 1, message=1, lease_expires_at_ms=1000)]
    rows += [e(1000, "lease_expired", "reaper", "j1", 1, 1, owner="w1", lease_expires_at_ms=1000)]
    rows += [e(1000, "leased", "w2", "j1", 2, 2, message=1, lease_expires_at_ms=2000)]
    rows += [e(1100, "write_fenced", "w1", "j1", 1, 1, newest_token=2), e(1100, "lease_lost", "w1", "j1", 1, 1)]
    rows += [
        submitted(1200, "j2"),
        e(1200, "dead_lettered", "queue", "j2", 0, last_error="payload refused", reason="payload"),
    ]
    assert only(history(*rows, policy=SAFE_LIKE), "INV_018") == []


def test_no_lost_job_says_left_the_queue_when_nothing_acked_it():
    rows = [submitted(0, "j1")]
    [violation] = only(history(*rows, messages=[]), "INV_002")
    assert "job j1 left the queue without its effect" in violation.message


@pytest.mark.parametrize("inv", all_invariants(), ids=lambda inv: inv.id)
def test_every_checker_is_silent_on_a_clean_history(inv):
    assert inv.violations(history(*clean_job(), capacity=100)) == []


# Workflows: INV_013-INV_016 -------------------------------------------------------------------------
def triggered(time_ms, run="r1", tasks=None, schedule=None, tick=None, actor="client", epoch=None):
    tasks = tasks if tasks is not None else {"a": [], "b": [], "join": ["a", "b"]}
    return e(
        time_ms,
        "workflow_triggered",
        actor,
        None,
        run=run,
        workflow="etl",
        tasks=tasks,
        schedule=schedule,
        tick=tick,
        epoch=epoch,
    )


def task(run, name, worker, start, token, dispatched_by="client"):
    """A task instance: dispatched, then the clean life of its job `<run>:<name>`."""
    job = f"{run}:{name}"
    return [
        e(start, "task_dispatched", dispatched_by, job, run=run, task=name),
        submitted(start, job, message=token),
        e(start, "leased", worker, job, 1, token, message=token, lease_expires_at_ms=None),
        e(start, "started", worker, job, 1, token),
        e(start + 100, "effect_committed", worker, job, 1, token, effect="charge", amount=1, request=job),
        e(start + 100, "acked", worker, job, 1, token, on_receipt=False),
    ]


def fan_in_run(join_start=200, join_dispatches=1, finished=True):
    rows = [triggered(0)] + task("r1", "a", "w1", 0, 1) + task("r1", "b", "w2", 0, 2)
    for n in range(join_dispatches):
        rows += task("r1", "join", f"w{n + 1}", join_start, 3 + n, dispatched_by=f"w{n + 1}")
    if finished:
        rows.append(e(join_start + 150, "run_finished", "w1", None, run="r1", state="succeeded"))
    rows.sort(key=lambda row: row["time_ms"])  # the history in time order (a stable sort)
    return history(*rows, requests=())


def test_a_clean_fan_in_run_holds_every_workflow_invariant():
    record = fan_in_run()
    for inv in ("INV_013", "INV_014", "INV_015", "INV_016"):
        assert only(record, inv) == [], inv


def test_a_task_started_before_its_parents_succeeded_breaks_inv_013():
    [violation] = only(fan_in_run(join_start=50), "INV_013")
    assert "run r1: task join started at 50ms before its parent(s) a, b succeeded" in violation.message


def test_a_fan_in_task_dispatched_twice_breaks_inv_014_and_its_effect_lands_twice():
    record = fan_in_run(join_dispatches=2)
    [violation] = only(record, "INV_014")
    assert "run r1: task join was dispatched 2 times (w1 at 200ms, w2 at 200ms)" in violation.message
    assert [v.message for v in only(record, "INV_001")]  # the join's effect, twice under one job id


def test_a_run_that_never_finishes_breaks_inv_015():
    [violation] = only(fan_in_run(finished=False), "INV_015")
    assert "workflow run r1 never reached a terminal state, run ended at" in violation.message


def test_two_leaders_in_one_epoch_and_a_tick_fired_twice_break_inv_016():
    rows = [
        e(0, "leader_elected", "s1", None, lock="scheduler", epoch=1),
        triggered(10, run="r1", tasks={"a": []}, schedule="nightly", tick=1, actor="s1", epoch=1),
        e(20, "leader_elected", "s2", None, lock="scheduler", epoch=1),
        triggered(30, run="r2", tasks={"a": []}, schedule="nightly", tick=1, actor="s2", epoch=1),
        e(40, "run_finished", "w1", None, run="r1", state="succeeded"),
        e(40, "run_finished", "w1", None, run="r2", state="succeeded"),
    ]
    messages = [v.message for v in only(history(*rows, requests=()), "INV_016")]
    assert any("lock scheduler: s1, s2 all led in epoch 1" in m for m in messages)
    assert any("schedule nightly: tick 1 started 2 runs (r1, r2)" in m for m in messages)
