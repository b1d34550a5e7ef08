"""The job service over real sockets: a chunked body past the limit is refused as it streams; two slow
requests run side by side; 200 truly concurrent POSTs of one key, across two service processes,
make exactly one job (on SQLite and on Postgres)."""

import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import uvicorn

from faultline.service.api import create_app
from faultline.service.harness import free_port, post_job, request, service, wait_until
from faultline.service.schemas import MAX_BODY_BYTES
from runtime.real import jobs
from runtime.real.db import Database


def counts(url: str) -> tuple[int, int, int]:
    database = Database(url)
    try:
        return tuple(
            database.read(
                "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM submissions), "
                "(SELECT count(*) FROM history)"
            )[0]
        )
    finally:
        database.close()


def chunked_post(base: str, total: int) -> bytes:
    """POST /jobs with Transfer-Encoding: chunked and no Content-Length, `total` bytes of a JSON body
    that never ends; returns what the server answered."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b'{"payload": {"pad": "' + b"x" * (64 * 1024)
        sent = 0
        try:
            while sent < total:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
                chunk = b"x" * (64 * 1024)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while we were still sending: what it said is below
        answer = b""
        try:
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except (ConnectionResetError, TimeoutError):
            pass
        return answer


def test_a_chunked_body_past_the_limit_gets_413_and_writes_nothing(db_url):
    Database(db_url).reset()
    with service(db_url) as base:
        before = counts(db_url)
        answer = chunked_post(base, 5 * 1024 * 1024)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413"), answer[:200]
        assert json.loads(body) == {"error": f"the body is over {MAX_BODY_BYTES} bytes", "field": "body"}
        assert counts(db_url) == before
        assert post_job(base, {"amount": 1})[0] == 201  # and the service still serves


def test_two_slow_requests_run_side_by_side(tmp_path, monkeypatch):
    """Each request waits inside the database call until the other one is inside it too: requests that
    ran one at a time would never meet (the barrier would time out and the test fail)."""
    meeting = threading.Barrier(2, timeout=10)

    def slow_status(db, job_id):
        meeting.wait()
        return None

    monkeypatch.setattr(jobs, "status", slow_status)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(str(tmp_path / "s.sqlite")), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=10)
        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(lambda job: request(f"http://127.0.0.1:{port}/jobs/{job}"), ["a", "b"]))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert [status for status, _ in answers] == [404, 404]
    assert not meeting.broken


@pytest.mark.parametrize("processes", [2])
@pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.drill)], indirect=True
)  # Postgres' run is in make drills; SQLite's shows the rule in make test
def test_two_hundred_concurrent_posts_of_one_key_make_exactly_one_job(db_url, processes):
    Database(db_url).reset()
    with service(db_url, "safe", "--workers", str(processes)) as base:
        start = threading.Barrier(200, timeout=30)

        def post(_):
            start.wait()
            return post_job(base, {"amount": 7}, "order-200")

        with ThreadPoolExecutor(max_workers=200) as pool:
            answers = list(pool.map(post, range(200)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * 199 + [201], statuses
    assert len({body["job_id"] for _, body in answers}) == 1
    database = Database(db_url)
    assert database.read("SELECT count(*) FROM messages")[0][0] == 1
    assert database.read("SELECT key, job_id FROM submissions") == [("order-200", answers[0][1]["job_id"])]
    database.close()
