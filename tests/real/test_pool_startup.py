"""The pool survives a database that is locked (SQLite) or refusing connections (Postgres) when it
starts: it waits with a backoff, says so once, and serves the queue once the database is back; no
worker crashes, and no crash recording ever takes the supervisor down."""

import subprocess
import sys

import pytest

from faultline.service.harness import free_port, request, wait_until
from runtime.core.policy import Policy
from runtime.real import jobs
from runtime.real.db import Database
from runtime.real.outage import Outage
from runtime.real.queue import SqlQueue


def test_a_pool_started_while_the_database_is_away_waits_and_then_serves(db_url, tmp_path):
    database = Database(db_url)
    database.reset()
    job_id, _ = jobs.submit(database, SqlQueue(database, Policy.safe()), {"amount": 2, "duration_ms": 10}, "k1")
    away = Outage(database)
    port = free_port()
    errors = open(tmp_path / "stderr.txt", "w+")  # noqa: SIM115 - read back after the pool stops
    pool = subprocess.Popen(
        [sys.executable, "-m", "faultline", "worker", "--db", db_url, "--metrics-port", str(port)],
        stderr=errors,
    )
    try:
        wait_until(lambda: "the database is not ready" in (tmp_path / "stderr.txt").read_text(), timeout=30)
        assert pool.poll() is None  # still waiting, not dead
        away.give_back()
        done = wait_until(lambda: database.read("SELECT count(*) FROM history WHERE kind = 'acked'")[0][0], 30)
        assert done == 1
        assert request(f"http://127.0.0.1:{port}/metrics")[0] == 200
        assert database.read("SELECT count(*) FROM history WHERE kind = 'crashed'") == [(0,)]
    finally:
        pool.terminate()
        pool.wait(timeout=20)
        errors.close()
        database.close()
    assert "Traceback" not in (tmp_path / "stderr.txt").read_text()
    assert database.read("SELECT job_id FROM history WHERE kind = 'acked'") == [(job_id,)]


def test_recording_a_crash_never_takes_the_supervisor_down(db_url, capfd):
    """A worker that died before it registered has no actors row; a recording that meets any other
    error costs that row (one line on stderr), never the pool."""
    from faultline.service.worker import Pool
    from runtime.real import actors

    Database(db_url).reset()
    pool = Pool(db_url, Policy.safe(), 1)
    assert pool.open_database()
    pool._note("w9", lambda tx: actors.record_crash(tx, "w9", how="exit 3"))  # never registered: recorded anyway
    crashed = pool.db.read("SELECT actor, kind FROM history WHERE kind = 'crashed'")
    assert crashed == [("w9", "crashed")]
    pool._note("w1", lambda tx: 1 / 0)
    assert "could not record w1's crash or restart: ZeroDivisionError" in capfd.readouterr().err
    pool.db.close()


def test_a_new_sqlite_database_is_owner_only(tmp_path):
    import stat

    Database(str(tmp_path / "new.sqlite")).reset()
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


@pytest.mark.drill  # RabbitMQ: make drills
def test_a_pool_with_a_broker_serves_every_job_once(db_url, tmp_path):
    """The `faultline worker` pool with RabbitMQ delivering (what bench_real.py's faultline_rabbitmq runs)."""
    import multiprocessing
    import threading
    import uuid

    from faultline.service.worker import Pool
    from runtime.core.brokered import BrokeredQueue
    from runtime.real.broker import DEFAULT_BROKER_URL, RabbitBroker

    database = Database(db_url)
    database.reset()
    broker = RabbitBroker(DEFAULT_BROKER_URL, f"faultline-test-{uuid.uuid4().hex[:12]}", wait_s=0.005)
    broker.prepare()
    queue = BrokeredQueue(SqlQueue(database, Policy.safe()), broker, Policy.safe(), database.record_event)
    for n in range(20):
        queue.enqueue("client", f"j{n}", {"amount": 1}, 10, f"j{n}", None)

    def serve(stop) -> None:
        pool = Pool(db_url, Policy.safe(), 2, broker=broker)

        def stop_when_told() -> None:
            stop.wait()
            pool.stopping = True

        threading.Thread(target=stop_when_told, daemon=True).start()
        pool.run(None)

    stop = multiprocessing.get_context("fork").Event()
    process = multiprocessing.get_context("fork").Process(target=serve, args=(stop,))
    process.start()
    try:
        acked = "SELECT count(DISTINCT job_id) FROM history WHERE kind = 'acked'"
        assert wait_until(lambda: database.read(acked)[0][0] == 20, timeout=60)
    finally:
        stop.set()
        process.join(timeout=20)
        broker.delete()
    ledger = [job for (job,) in database.read("SELECT job_id FROM ledger")]
    assert sorted(ledger) == sorted(f"j{n}" for n in range(20))
    database.close()
