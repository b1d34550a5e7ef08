"""The queue on its own: the attempt bound at grant time, lost and rejected acks, the dedupe window,
and a lease expiring on the final attempt."""

from runtime.clock import VirtualClock
from runtime.faults import DuplicateDelivery, FaultInjector, FaultPlan
from runtime.history import History
from runtime.policies import Policy
from runtime.queue import Queue
from runtime.store import Store


def make_queue(policy: Policy, plan: FaultPlan | None = None):
    clock = VirtualClock()
    history = History(clock)
    faults = FaultInjector(plan or FaultPlan())
    store = Store(clock, history, faults)
    return clock, history, Queue(clock, history, policy, faults, store)


def kinds(history):
    return [(e.kind, e.job_id, e.attempt) for e in history.events]


def test_a_lost_ack_on_the_final_attempt_never_leads_to_a_lease_past_the_bound():
    clock, history, queue = make_queue(
        Policy.naive().evolve(max_attempts=1), FaultPlan(faults=(DuplicateDelivery(job="j1"),))
    )
    queue.enqueue("client", "j1", {}, 100, "j1", None)
    delivery = queue.lease("w1", 0)
    assert queue.ack("w1", delivery) is True
    assert queue.lease("w2", 0) is None  # redelivered, but attempt 2 would pass the bound
    assert kinds(history)[-3:] == [
        ("acked", "j1", 1),
        ("ack_lost", "j1", 1),
        ("dead_lettered", "j1", 1),
    ]
    assert history.events[-2].detail["cancels"] == history.events[-3].index
    assert queue.dead_letters == [("j1", 1, "attempts exhausted before another delivery")]


def test_an_ack_from_a_lease_that_moved_on_is_rejected_and_recorded():
    clock, history, queue = make_queue(Policy.naive().evolve(lease_ms=100))
    queue.enqueue("client", "j1", {}, 100, "j1", None)
    old = queue.lease("w1", 0)
    clock.advance_to(200)
    new = queue.lease("w2", 200)  # w2's clock reclaims the expired lease
    assert new.token > old.token
    assert queue.ack("w1", old) is False
    assert history.events[-1].kind == "ack_rejected" and "moved on" in history.events[-1].detail["reason"]
    assert queue.ack("w2", new) is True


def test_a_lease_expiring_on_the_final_attempt_dead_letters_the_job():
    clock, history, queue = make_queue(Policy.naive().evolve(lease_ms=100, max_attempts=2, lease_clock="store"))
    queue.enqueue("client", "j1", {}, 100, "j1", None)
    queue.lease("w1", 0)
    clock.advance_to(100)
    queue.reap("reaper", 100, 0)
    queue.lease("w1", 100)
    clock.advance_to(200)
    queue.reap("reaper", 200, 0)
    assert queue.is_idle()
    assert queue.dead_letters == [("j1", 2, "lease expired on the final attempt")]


def test_the_dedupe_window_drops_a_second_publish_and_says_so():
    clock, history, queue = make_queue(Policy.naive().evolve(publish_dedupe_window_ms=1_000))
    assert queue.enqueue("relay", "j1", {}, 100, "j1", None, True) is True
    clock.advance_to(999)
    assert queue.enqueue("relay", "j1", {}, 100, "j1", None, True) is False
    assert history.events[-1].kind == "publish_deduplicated" and history.events[-1].detail["first"] == 0
    clock.advance_to(1_000)
    assert queue.enqueue("relay", "j1", {}, 100, "j1", None, True) is True  # outside the window


def test_without_a_window_a_second_publish_is_a_second_message():
    clock, history, queue = make_queue(Policy.naive())
    queue.enqueue("relay", "j1", {}, 100, "j1", None, True)
    queue.enqueue("relay", "j1", {}, 100, "j1", None, True)
    messages = [e.detail["message"] for e in history.events if e.kind == "submitted"]
    assert messages == [1, 2] and len(queue.messages) == 2
