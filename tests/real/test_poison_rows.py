"""The queue survives any row: jobs planted straight into the database (by an older version, another
tool, a hand) that no worker can interpret are dead-lettered with the reason, and every other job
still completes, on SQLite and on Postgres."""

import json

from faultline.service.harness import scrape, wait_until, workers
from runtime.core import history as ev
from runtime.core.policy import Policy
from runtime.core.ports import Delivery
from runtime.real import jobs
from runtime.real.db import Database
from runtime.real.queue import SqlQueue

# (job id, payload text, duration_ms): each at the head of the queue, ahead of the good jobs.
PLANTED = [
    ("bad-max-attempts", '{"max_attempts": "x"}', 10),
    ("bad-backoff", '{"fail_n_times": 1, "backoff_ms": "x"}', 10),
    ("bad-fail-n-times", '{"fail_n_times": "x"}', 10),
    ("bad-amount", '{"amount": "x"}', 10),
    ("bad-poison", '{"poison": "yes"}', 10),
    ("bad-write", '{"write": ""}', 10),
    ("not-json", "not json at all", 10),
    ("not-an-object", "[1, 2]", 10),
    ("nan", '{"amount": NaN}', 10),
    ("nul", '{"note": "a\\u0000b"}', 10),
    ("surrogate", '{"note": "\\ud800"}', 10),
    ("deep", "[" * 100_000 + "]" * 100_000, 10),
    ("huge", json.dumps({"pad": "x" * 70_000}), 10),
    ("negative-duration", '{"amount": 1}', -5),
]


def plant(db: Database, rows, sqlite_extra: bool) -> list[str]:
    """Insert messages directly, ahead of every other message, with no job_attempts row."""
    planted = [(job, payload, duration) for job, payload, duration in rows]
    if sqlite_extra:  # SQLite stores any value in any column: a duration that is not a number
        planted.append(("text-duration", '{"amount": 1}', "abc"))
    with db.transaction() as tx:
        for n, (job_id, payload, duration) in enumerate(planted):
            tx.run(
                "INSERT INTO messages (id, job_id, payload, duration_ms, request, key, seq, state, visible_at_ms) "
                "VALUES (?, ?, ?, ?, ?, NULL, ?, 'ready', 0)",
                (900_000 + n, job_id, payload, duration, job_id, -1_000 + n),
            )
    return [job_id for job_id, _, _ in planted]


def test_planted_rows_are_dead_lettered_with_the_reason_and_every_other_job_completes(db_url):
    database = Database(db_url)
    database.reset()
    policy = Policy.safe()
    queue = SqlQueue(database, policy)
    good = [jobs.submit(database, queue, {"amount": n, "duration_ms": 10}, f"good-{n}")[0] for n in range(1, 6)]
    good.append(jobs.submit(database, queue, {"fail_n_times": 1, "duration_ms": 10}, "retried")[0])
    bad = plant(database, PLANTED, sqlite_extra=database.dialect == "sqlite")
    with workers(db_url) as pool:

        def settled():
            done = database.read("SELECT count(*) FROM history WHERE kind = 'acked'")[0][0]
            dead = database.read("SELECT count(*) FROM dead_letters")[0][0]
            return done == len(good) and dead == len(bad)

        wait_until(settled, timeout=60)
        assert scrape(pool)["faultline_worker_payloads_refused_total"] == len(bad)
        crashes = database.read("SELECT count(*) FROM history WHERE kind = 'crashed'")[0][0]
    events = database.events()
    buried = {e.job_id: e for e in events if e.kind == ev.DEAD_LETTERED}
    assert sorted(buried) == sorted(bad)
    for job_id, event in buried.items():
        assert event.get("reason") == "payload" and event.actor == "queue", event
        assert event.get("last_error").startswith("payload refused: "), event
        assert not any(e.kind == ev.LEASED and e.job_id == job_id for e in events), job_id  # never ran
    assert buried["bad-max-attempts"].get("last_error") == (
        "payload refused: payload.max_attempts: must be an integer in [1, 100], got 'x'"
    )
    assert {e.job_id for e in events if e.kind == ev.ACKED} == set(good)
    assert crashes == 0
    database.close()


def test_a_refused_row_leaves_the_lease_transaction_to_the_next_job(db_url):
    """The queue port alone: a lease skips (and buries) every planted row and grants the next job."""
    database = Database(db_url)
    database.reset()
    queue = SqlQueue(database, Policy.safe())
    job_id, _ = jobs.submit(database, queue, {"amount": 3}, None)
    plant(database, PLANTED[:3], sqlite_extra=False)
    delivery = queue.lease("w1", 0)
    assert isinstance(delivery, Delivery) and delivery.job_id == job_id and delivery.payload == {"amount": 3}
    assert queue.refused == 3
    assert [row[0] for row in database.read("SELECT job_id FROM dead_letters ORDER BY id")] == [
        "bad-max-attempts",
        "bad-backoff",
        "bad-fail-n-times",
    ]
    database.close()
