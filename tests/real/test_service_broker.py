"""The job service with RabbitMQ delivering (`faultline serve --broker`, `faultline worker --broker`):
every submitted job is announced once committed and runs once, through a worker SIGKILLed mid-run;
a redrive, which the broker can't carry yet, is refused and moves nothing; bad broker options are
exit 2. The test's queue is its own, deleted afterwards."""

import os
import signal
import uuid

import pytest

from faultline.service.harness import post_job, request, service, wait_until, workers
from runtime.real.broker import DEFAULT_BROKER_URL, RabbitBroker
from runtime.real.db import Database


@pytest.fixture
def broker_queue():
    name = f"faultline-test-{uuid.uuid4().hex[:12]}"
    yield name
    RabbitBroker(DEFAULT_BROKER_URL, name).delete()


@pytest.mark.drill  # RabbitMQ and real processes: make drills
def test_jobs_submitted_to_the_service_run_once_through_the_broker_and_a_killed_worker(db_url, broker_queue):
    Database(db_url).reset()  # the test process's Postgres database holds earlier tests' rows
    extra = ("--broker", DEFAULT_BROKER_URL, "--broker-queue", broker_queue)
    with service(db_url, "safe", *extra) as base, workers(db_url, "safe", 2, *extra) as metrics:
        ids = [post_job(base, {"amount": 1, "duration_ms": 300}, key=f"k{n}")[1]["job_id"] for n in range(8)]
        database = Database(db_url)
        holding = "SELECT a.pid FROM messages m JOIN actors a ON a.name = m.owner WHERE m.state = 'leased'"
        [(pid,), *_] = wait_until(lambda: database.read(holding), timeout=20)
        os.kill(pid, signal.SIGKILL)  # the worker running a job dies mid-run; the pool starts another
        acked = "SELECT count(DISTINCT job_id) FROM history WHERE kind = 'acked'"
        assert wait_until(lambda: database.read(acked)[0][0] == len(ids), timeout=60)
        assert database.read("SELECT count(*) FROM history WHERE kind = 'crashed'")[0][0] == 1
        assert request(f"{metrics}/metrics")[0] == 200
        status, answer = request(f"{base}/dead-letters/redrive", b'{"ids": "keep"}')
        assert status == 409 and answer["field"] == "request"
    ledger = [job for (job,) in database.read("SELECT job_id FROM ledger")]
    assert sorted(ledger) == sorted(ids)  # each job's effect exactly once
    database.close()


def test_bad_broker_options_are_refused_before_anything_starts(faultline_cli, tmp_path):
    db = str(tmp_path / "jobs.sqlite")
    for args, message in (
        (("worker", "--db", db, "--broker-queue", "q"), "--broker-queue only applies with --broker"),
        (("serve", "--db", db, "--broker", "http://x"), "must be an amqp://"),
        (("worker", "--db", db, "--broker", DEFAULT_BROKER_URL, "--broker-queue", "amq.x"), "not starting with amq."),
        (("up", "--db", db, "--broker", "amqp://guest:guest@127.0.0.1:1/%2F"), "no RabbitMQ answers at"),
    ):
        done = faultline_cli(*args)
        assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1, args
    assert not os.path.exists(db)
