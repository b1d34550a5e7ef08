"""`faultline check-determinism`: two fresh processes, two hash seeds, one history - or the first
divergent event side by side."""

import subprocess
import sys

SPEC = """---
id: FM_001
title: "Jobs submitted in set order → a history that depends on the hash seed"
invariants: []
seen_in: null
---
"""

# Deliberately nondeterministic: the submit order comes from iterating a set of strings.
SCENARIO = """
from faultline import JobSpec, Policy, Scenario

IDS = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"}
SCENARIO = Scenario(
    name="FM_001 set order",
    jobs=tuple(JobSpec(job_id=job, payload={"amount": 1}, submit_at_ms=10 * n) for n, job in enumerate(IDS)),
    workers=("w1",),
)
NAIVE_POLICY = Policy.naive()
FIXED_POLICY = Policy.safe()
"""


def check(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "faultline", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_fm001_is_deterministic():
    done = check("check-determinism", "FM_001")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "deterministic: 17 events, byte-identical under PYTHONHASHSEED 0 and 4242" in done.stdout


def test_a_scenario_that_iterates_a_set_shows_the_first_divergent_event(tmp_path):
    folder = tmp_path / "fms" / "FM_001_set_order"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "spec.md").write_text(SPEC)
    (folder / "scenario.py").write_text(SCENARIO)
    done = check("--fm-path", str(tmp_path / "fms"), "check-determinism", "FM_001", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("NOT deterministic: the histories diverge at event #")
    assert "PYTHONHASHSEED=0" in done.stdout and "PYTHONHASHSEED=4242" in done.stdout
    assert any(line.lstrip().startswith(("job_id ◀", "detail.requests ◀")) for line in lines)
