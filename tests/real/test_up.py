"""`make up` runs `faultline up`: the service and a worker pool on one SQLite file; the proof request
from the job-system document succeeds on its third attempt; Ctrl-C stops both, no process left."""

import signal
import subprocess
import sys
from pathlib import Path

import psutil

from faultline.service.harness import free_port, post_job, request, wait_until

ROOT = Path(__file__).resolve().parents[2]


def test_make_up_runs_faultline_up():
    recipe = (ROOT / "Makefile").read_text().split("\nup: $(STAMP)\n", 1)[1].splitlines()[0]
    assert recipe.strip() == "@$(BIN)/faultline up $(if $(BROKER),--broker '$(BROKER)')"  # make up BROKER=amqp://...


def test_up_serves_the_proof_request_and_ctrl_c_leaves_no_process(tmp_path):
    port, metrics = free_port(), free_port()
    db = tmp_path / "jobs.sqlite"
    args = ["up", "--db", str(db), "--port", str(port), "--metrics-port", str(metrics)]
    up = subprocess.Popen([sys.executable, "-m", "faultline", *args], stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:

        def ready():
            try:
                return (
                    request(f"{base}/health", timeout=1)[0] == 200
                    and request(f"http://127.0.0.1:{metrics}/metrics", timeout=1)[0] == 200
                )
            except OSError:
                return False

        wait_until(ready, timeout=30)
        family = psutil.Process(up.pid).children(recursive=True)
        assert len(family) >= 4  # serve, worker, and the pool's worker processes and dispatcher
        status, created = post_job(base, {"fail_n_times": 2}, "proof-1")
        assert status == 201
        job = wait_until(lambda: (s := request(f"{base}/jobs/{created['job_id']}")[1])["state"] == "succeeded" and s)
        assert job["attempts"] == 3 and job["last_error"] == "handler error: simulated failure 2 of 2"
    finally:
        up.send_signal(signal.SIGINT)
        code = up.wait(timeout=30)
    assert code == 130
    gone, alive = psutil.wait_procs(family, timeout=10)
    assert alive == [], alive
    assert "the job service at " + base in up.stderr.read()
