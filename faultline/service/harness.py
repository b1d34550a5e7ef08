"""Start `faultline serve` and `faultline worker` as real processes on free loopback ports, and talk
to them over real HTTP (urllib). Every wait is bounded."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(
    url: str,
    body: bytes | None = None,
    method: str | None = None,
    timeout: float = 10,
    content_type: str = "application/json",
):
    """(status, parsed JSON or text) of one HTTP request."""
    headers = {"Content-Type": content_type} if body is not None else {}
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    text = raw.decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def post_job(base: str, payload: dict, key: str | None = None):
    body = {"payload": payload} | ({"idempotency_key": key} if key is not None else {})
    return request(f"{base}/jobs", json.dumps(body).encode())


def post_workflow(base: str, yaml_text: str):
    """Create a workflow from its YAML (sent as the body); (status, answer)."""
    return request(f"{base}/workflows", yaml_text.encode(), content_type="application/yaml")


def trigger(base: str, workflow_id: str):
    return request(f"{base}/workflows/{workflow_id}/trigger", b"", method="POST")


def wait_until(check, timeout: float = 20, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"not true within {timeout} s: {check}")


@contextlib.contextmanager
def process(*args: str, ready_url: str, env: dict[str, str] | None = None):
    """`faultline ARGS` in its own process until the block ends; ready once `ready_url` answers."""
    with tempfile.TemporaryFile(mode="w+") as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "faultline", *args],
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env={**os.environ, **(env or {})},
        )

        def answers():
            if proc.poll() is not None:
                errors.seek(0)
                raise RuntimeError(f"faultline {args[0]} exited {proc.returncode}: {errors.read().strip()[-2000:]}")
            try:
                return request(ready_url, timeout=1)[0] == 200
            except OSError:
                return False

        try:
            wait_until(answers, timeout=20)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def service(db: str, policy: str = "safe", *extra: str):
    """`faultline serve` on a free port (`extra`: more options, e.g. --workers 2)."""
    with service_process(db, policy, *extra) as (base, _):
        yield base


@contextlib.contextmanager
def service_process(db: str, policy: str = "safe", *extra: str, env: dict[str, str] | None = None):
    """`service`, yielding (its URL, its process); `env`: more environment (a drill's fault point)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ("serve", "--db", db, "--port", str(port), "--policy", policy, *extra)
    with process(*args, ready_url=f"{base}/health", env=env) as proc:
        yield base, proc


@contextlib.contextmanager
def workers(db: str, policy: str = "safe", concurrency: int = 2, *extra: str):
    """`faultline worker` on a free metrics port (`extra`: more options, e.g. --broker URL)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with process(
        "worker",
        "--db",
        db,
        "--policy",
        policy,
        "--concurrency",
        str(concurrency),
        "--metrics-port",
        str(port),
        *extra,
        ready_url=f"{base}/metrics",
    ):
        yield base


def scrape(base: str) -> dict[str, float]:
    """The Prometheus samples at `base`/metrics, by name (labels dropped: summed)."""
    from prometheus_client.parser import text_string_to_metric_families

    status, text = request(f"{base}/metrics")
    assert status == 200
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name] = found.get(sample.name, 0.0) + sample.value
    return found
