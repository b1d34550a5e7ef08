"""The QueuePort contract: leases with expiry and fresh tokens, acks accepted, rejected or lost,
failure reports, the attempt bound at grant time, the dedupe window, dead letters."""

from runtime.core.faults import DuplicateDelivery, FaultPlan
from runtime.core.policy import Policy

NAIVE = Policy.naive()


def kinds(world):
    return [e.kind for e in world.events()]


def test_messages_are_leased_oldest_first_with_growing_tokens(make_world):
    world = make_world(NAIVE)
    for n in (1, 2, 3):
        world.queue.enqueue("client", f"j{n}", {"amount": n}, 100, f"j{n}", None)
    leases = [world.queue.lease("w1", world.now()) for _ in range(3)]
    assert [d.job_id for d in leases] == ["j1", "j2", "j3"]
    assert [d.attempt for d in leases] == [1, 1, 1] and leases[0].token < leases[1].token < leases[2].token
    assert world.queue.lease("w1", world.now()) is None


def test_an_acked_message_is_gone_and_a_second_ack_is_rejected(make_world):
    world = make_world(NAIVE)
    world.queue.enqueue("client", "j1", {}, 100, "j1", None)
    delivery = world.queue.lease("w1", world.now())
    assert world.queue.ack("w1", delivery) is True and world.queue.is_idle()
    assert world.queue.ack("w1", delivery) is False
    assert kinds(world)[-2:] == ["acked", "ack_rejected"]


def test_an_expired_lease_is_reclaimed_and_its_old_ack_rejected(make_world):
    world = make_world(NAIVE.evolve(lease_ms=100, lease_clock="store"))
    world.queue.enqueue("client", "j1", {}, 100, "j1", None)
    old = world.queue.lease("w1", world.now())
    world.advance(150)
    assert world.queue.reap("reaper", world.now(), 0) == 1
    new = world.queue.lease("w2", world.now())
    assert (new.attempt, new.token > old.token) == (2, True)
    assert world.queue.ack("w1", old) is False
    assert world.events()[-1].kind == "ack_rejected" and "moved on" in world.events()[-1].detail["reason"]
    assert world.queue.ack("w2", new) is True


def test_a_renewed_lease_outlives_its_first_expiry(make_world):
    world = make_world(NAIVE.evolve(lease_ms=100, lease_clock="store"))
    world.queue.enqueue("client", "j1", {}, 100, "j1", None)
    delivery = world.queue.lease("w1", world.now())
    world.advance(80)
    assert world.queue.renew("w1", delivery) is not None
    world.advance(80)
    assert world.queue.reap("reaper", world.now(), 0) == 0
    assert world.queue.ack("w1", delivery) is True


def test_a_retry_is_not_visible_before_its_delay(make_world):
    world = make_world(NAIVE.evolve(max_attempts=3))
    world.queue.enqueue("client", "j1", {}, 100, "j1", None)
    delivery = world.queue.lease("w1", world.now())
    accepted = world.queue.report_failure("w1", delivery, error="boom", reason="handler", delay_ms=200, republish=False)
    assert accepted is True and world.queue.lease("w1", world.now()) is None
    world.advance(200)
    assert world.queue.lease("w1", world.now()).attempt == 2
    assert kinds(world)[-4:] == ["leased", "attempt_failed", "retry_scheduled", "leased"]


def test_a_failure_on_the_final_attempt_dead_letters_the_job(make_world):
    world = make_world(NAIVE.evolve(max_attempts=1))
    world.queue.enqueue("client", "j1", {}, 100, "j1", None)
    delivery = world.queue.lease("w1", world.now())
    world.queue.report_failure("w1", delivery, error="boom", reason="handler", delay_ms=None, republish=False)
    assert world.queue.is_idle() and world.queue.snapshot()["dead_letters"] == [["j1", 1, "boom"]]


def test_a_failure_report_after_the_lease_moved_on_is_not_accepted(make_world):
    world = make_world(NAIVE.evolve(lease_ms=100, lease_clock="store"))
    world.queue.enqueue("client", "j1", {}, 100, "j1", None)
    old = world.queue.lease("w1", world.now())
    world.advance(150)
    world.queue.reap("reaper", world.now(), 0)
    world.queue.lease("w2", world.now())
    assert world.queue.report_failure("w1", old, error="x", reason="handler", delay_ms=0, republish=False) is False
    assert world.events()[-1].detail["accepted"] is False


def test_a_lease_expiring_on_the_final_attempt_dead_letters_the_job(make_world):
    world = make_world(NAIVE.evolve(lease_ms=100, max_attempts=2, lease_clock="store"))
    world.queue.enqueue("client", "j1", {}, 100, "j1", None)
    for _ in range(2):
        world.queue.lease("w1", world.now())
        world.advance(100)
        world.queue.reap("reaper", world.now(), 0)
    assert world.queue.is_idle()
    assert world.queue.snapshot()["dead_letters"] == [["j1", 2, "lease expired on the final attempt"]]


def test_a_lost_ack_on_the_final_attempt_never_leads_to_a_lease_past_the_bound(make_world):
    world = make_world(NAIVE.evolve(max_attempts=1), FaultPlan(faults=(DuplicateDelivery(job="j1"),)))
    world.queue.enqueue("client", "j1", {}, 100, "j1", None)
    delivery = world.queue.lease("w1", world.now())
    assert world.queue.ack("w1", delivery) is True
    assert world.queue.lease("w2", world.now()) is None  # redelivered, but attempt 2 would pass the bound
    events = world.events()
    assert [e.kind for e in events][-3:] == ["acked", "ack_lost", "dead_lettered"]
    assert events[-2].detail["cancels"] == events[-3].index
    assert world.queue.snapshot()["dead_letters"] == [["j1", 1, "attempts exhausted before another delivery"]]


def test_the_dedupe_window_drops_a_second_publish_and_says_so(make_world):
    world = make_world(NAIVE.evolve(publish_dedupe_window_ms=1_000))
    assert world.queue.enqueue("relay", "j1", {}, 100, "j1", None, True) is True
    world.advance(999)
    assert world.queue.enqueue("relay", "j1", {}, 100, "j1", None, True) is False
    assert world.events()[-1].kind == "publish_deduplicated"
    world.advance(1)
    assert world.queue.enqueue("relay", "j1", {}, 100, "j1", None, True) is True  # outside the window


def test_without_a_window_a_second_publish_is_a_second_message(make_world):
    world = make_world(NAIVE)
    world.queue.enqueue("relay", "j1", {}, 100, "j1", None, True)
    world.queue.enqueue("relay", "j1", {}, 100, "j1", None, True)
    messages = [e.detail["message"] for e in world.events() if e.kind == "submitted"]
    assert len(set(messages)) == 2 and len(world.queue.snapshot()["messages"]) == 2


def test_the_retry_budget_moves_a_retry_past_a_full_second_to_the_same_offset(make_world):
    world = make_world(NAIVE.evolve(max_attempts=5, retry_budget_per_s=2))
    for n in (1, 2, 3):
        world.queue.enqueue("client", f"j{n}", {}, 100, f"j{n}", None)
    deliveries = [world.queue.lease("w1", world.now()) for _ in range(3)]
    for delivery in deliveries:
        world.queue.report_failure("w1", delivery, error="x", reason="handler", delay_ms=300, republish=False)
    due = [e.detail["visible_at_ms"] for e in world.events() if e.kind == "retry_scheduled"]
    assert due == [300, 300, 1300]  # two fit in [0, 1000); the third waits for the next second, same offset
    world.advance(300)
    assert [world.queue.lease("w1", world.now()).job_id for _ in range(2)] == ["j1", "j2"]
    assert world.queue.lease("w1", world.now()) is None
    world.advance(1000)
    assert world.queue.lease("w1", world.now()).job_id == "j3"


def bury(world, job_id="j1"):
    world.queue.enqueue("client", job_id, {"amount": 1}, 100, job_id, "key-1")
    delivery = world.queue.lease("w1", world.now())
    world.queue.report_failure("w1", delivery, error="boom", reason="handler", delay_ms=None, republish=False)


def test_a_redrive_under_the_same_id_gives_a_fresh_attempt_budget_and_the_job_runs_again(make_world):
    world = make_world(NAIVE.evolve(max_attempts=1))
    bury(world)
    assert world.queue.redrive("operator", True) == 1
    again = world.queue.lease("w1", world.now())
    assert (again.job_id, again.attempt, again.key, again.payload) == ("j1", 1, "key-1", {"amount": 1})
    snapshot = world.queue.snapshot()
    assert snapshot["dead_letters"] == [] and snapshot["attempts"]["j1"] == 1
    assert kinds(world)[-3:] == ["redriven", "submitted", "leased"]


def test_a_redrive_with_new_ids_publishes_a_new_job_of_the_same_request(make_world):
    world = make_world(NAIVE.evolve(max_attempts=1))
    bury(world)
    assert world.queue.redrive("operator", False) == 1
    again = world.queue.lease("w1", world.now())
    assert (again.job_id, again.attempt, again.request, again.key) == ("j1~r1", 1, "j1", "key-1")
    redriven = next(e for e in world.events() if e.kind == "redriven")
    assert (redriven.job_id, redriven.detail) == ("j1~r1", {"dead_letter": "j1", "ids": "mint"})
    assert world.queue.redrive("operator", False) == 0  # nothing left to move


def test_a_broker_delivery_claims_a_ready_job_and_only_a_redelivery_takes_a_held_one(make_world):
    """What a broker's delivery of a job becomes (runtime/core/decisions.py, claims_delivery)."""
    world = make_world(NAIVE)
    for job in ("j1", "j2"):
        world.queue.enqueue("client", job, {}, 100, job, None)
    first = world.queue.claim("w1", "j1", False)
    assert (first.job_id, first.attempt) == ("j1", 1)
    assert world.queue.claim("w2", "j1", False) is None  # a second copy of one publish: w1 holds it
    again = world.queue.claim("w2", "j1", True)  # the broker took it back from w1
    assert (again.job_id, again.attempt) == ("j1", 2) and again.token > first.token
    assert world.queue.ack("w1", first) is False  # w1's lease was superseded
    assert world.queue.ack("w2", again) is True
    assert world.queue.claim("w1", "j1", True) is None  # done: nothing to claim
    assert world.queue.claim("w1", "nobody", False) is None
    assert [e.job_id for e in world.events() if e.kind == "leased"] == ["j1", "j1"]
