"""Every bad input gets exit 2 and one line naming the value and the fix: no traceback, no file
left behind. The inputs are the ones a tester found ending in tracebacks (exit 1, the code that
means "an invariant is violated"), plus plans whose faults could never fire."""

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from faultline import explore
from tests.builders import call_cli

REPO = Path(__file__).resolve().parent.parent


def one_line_exit_2(capsys, *argv) -> str:
    code, out, err = call_cli(capsys, *argv)
    assert code == 2, (argv, code, out, err)
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err, (argv, err)
    assert err.startswith("faultline: error: ")
    return err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "FM_99"], "unknown failure mode 'FM_99' (known: FM_001"),
        (["run", "FM_001", "--seed", "-1"], "seed must be an integer in [0, 2**64 - 1], got '-1'"),
        (["run", "FM_001", "--seed", "1.5"], "got '1.5' (try --seed 0)"),
        (["run", "FM_001", "--seed", "²"], "got '²' (try --seed 0)"),
        (["run", "FM_001", "--seed", "9" * 5000], "seed must be an integer in [0, 2**64 - 1], got '999"),
        (["run", "FM_001", "--seed", str(2**64)], "seed must be an integer in [0, 2**64 - 1]"),
        (["run", "FM_001", "--set", "lease=1"], "unknown policy field 'lease'"),
        (["run", "FM_001", "--set", "lease_ms"], "--set expects FIELD=VALUE, got 'lease_ms'"),
        (["run", "FM_001", "--set", "lease_ms=" + "9" * 5000], "must be an integer"),
        (["run", "FM_001", "--plan", "/nonexistent/plan.json"], "cannot read fault plan"),
        (["run", "FM_001", "--history", "/nonexistent/dir/h.jsonl"], "folder '/nonexistent/dir' does not exist"),
        (["run", "--jobs", "10001"], "'--jobs': 10001 is not in the range 1<=x<=10000"),
        (["run", "--workers", "0"], "'--workers': 0 is not in the range 1<=x<=64"),
        (["run", "--policy", "yolo"], "unknown explorer policy 'yolo'"),
        (["report", "FM_001", "--out", ""], "--out '': needs a file path (or - for stdout)"),
        (["run", "FM_001", "--json", "--history", "-"], "--history - and --json both want stdout"),
        (["run", "FM_001", "--history", "-", "--trace", "-"], "--history - and --trace - both want stdout"),
        (["explore", "--dask", "bogus"], "--dask 'bogus' is neither 'local' nor a scheduler address"),
        (["explore", "--seeds", "1", "--shard", "2/2"], "shard 2/2 of 1 seed(s) from 0 is empty"),
        (["explode"], "No such command 'explode'"),
    ],
)
def test_bad_input_is_one_line_exit_2_no_traceback(capsys, argv, message):
    assert message in one_line_exit_2(capsys, *argv)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\xff\xfe not utf-8", "is not UTF-8 text (byte 0); save it as UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "is 200000 characters; at most 65536 are allowed"),
        (b"[" * 30_000 + b"]" * 30_000, "is nested too deeply to be a fault plan"),
        (b'{"faults":[{"kind":["crash"]}]}', "fault #1: unknown kind ['crash']"),
        (b'{"faults":[{"kind":"crash","actor":"w1","point":"worker.lunch"}]}', "unknown fault point 'worker.lunch'"),
        (
            b'{"faults":[{"kind":"crash","actor":"w9","point":"worker.after_lease"}]}',
            "unknown actor 'w9' (known: w1, w2, client, relay)",
        ),
        (b'{"faults":[{"kind":"duplicate_delivery","job":"j7"}]}', "unknown job 'j7' (the scenario's jobs: j1, j2)"),
        (
            b'{"faults":[{"kind":"crash","actor":"client","point":"worker.after_lease"}]}',
            "client never reaches 'worker.after_lease' (its points: client.after_submit",
        ),
        (
            b'{"faults":[{"kind":"crash","actor":"relay","point":"relay.after_publish"}]}',
            "no run of this scenario and policy reaches 'relay.after_publish'",
        ),
        (
            b'{"faults":[{"kind":"crash","actor":"client","point":"client.before_business_commit"}]}',
            "reaches 'client.before_business_commit' (no job has a business row)",
        ),
        (b'{"faults":[{"kind":"clock_skew","actor":"client","skew_ms":5}]}', "'client' is not a worker"),
        (
            b'{"faults":[{"kind":"pause","actor":"w1","point":"worker.after_lease","duration_ms":36000000}]}',
            "duration_ms must be an integer in [1, 3600000], got 36000000",
        ),
        (b'{"faults":[{"kind":"store_outage","start_ms":0,"end_ms":99999999999}]}', "end_ms must be an integer in"),
        (
            b'{"faults":[{"kind":"crash","actor":"w1","point":"worker.after_lease","hit":' + b"9" * 5000 + b"}]}",
            "not valid JSON",
        ),
        (
            b'{"faults":[{"kind":"poison_job","job":"j1"},{"kind":"poison_job","job":"j1"}]}',
            "fault #2 (poison_job) repeats fault #1",
        ),
    ],
)
def test_bad_plans_are_one_line_exit_2_and_write_nothing(capsys, tmp_path, content, message):
    plan = tmp_path / "plan.json"
    plan.write_bytes(content)
    history = tmp_path / "h.jsonl"
    err = one_line_exit_2(capsys, "run", "FM_001", "--plan", str(plan), "--history", str(history))
    assert message in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_history_at_a_directory_or_an_unwritable_path_is_bad_input(capsys, tmp_path):
    assert "is a folder; give a file path" in one_line_exit_2(capsys, "run", "FM_001", "--history", str(tmp_path))
    assert "cannot be written" in one_line_exit_2(capsys, "run", "FM_001", "--history", "/proc/version")
    assert list(tmp_path.iterdir()) == []


def test_a_300_character_file_name_is_bad_input(capsys, tmp_path):
    err = one_line_exit_2(capsys, "run", "FM_001", "--trace", str(tmp_path / ("t" * 300)))
    assert "the file name is too long" in err and list(tmp_path.iterdir()) == []


def test_a_special_file_is_refused_and_left_as_it_is(capsys):
    err = one_line_exit_2(capsys, "run", "FM_001", "--history", "/dev/null")
    assert "is a special file (a device, a pipe or a socket)" in err and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_outputs_are_checked_before_any_work(capsys, tmp_path):
    """A bad second output leaves the first one unwritten: nothing half-done."""
    history = tmp_path / "h.jsonl"
    one_line_exit_2(capsys, "run", "FM_001", "--history", str(history), "--trace", str(tmp_path / "no" / "t.json"))
    assert list(tmp_path.iterdir()) == []


def test_fm_new_rejects_a_name_with_a_trailing_newline(capsys):
    err = one_line_exit_2(capsys, "fm", "new", "lost_wakeup\n")
    assert "must be lowercase ASCII words joined by underscores" in err


def test_processes_are_capped_at_the_cpu_count():
    assert explore.usable_processes(3000) == (os.cpu_count() or 1)


def test_seeds_are_generated_lazily():
    seeds = explore.shard_seeds(0, 10**12, (3, 4))
    assert isinstance(seeds, range) and len(seeds) == 250_000_000_000 and seeds[0] == 2


def test_an_ascii_terminal_still_gets_every_listing():
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    done = subprocess.run(
        [sys.executable, "-m", "faultline", "list"], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0 and "FM_001" in done.stdout and "Traceback" not in done.stderr


def test_an_internal_error_is_exit_3_with_one_line_naming_the_traceback_file(tmp_path):
    script = (
        "import faultline.runspec as r\n"
        "def boom(self): raise RuntimeError('planted')\n"
        "r.RunSpec.run = boom\n"
        "from faultline.cli import main\n"
        "main(['run', 'FM_001'])\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 3 and done.stderr.count("\n") == 1
    assert "internal error (RuntimeError: planted); the traceback is in " in done.stderr
    [crash] = list(tmp_path.glob("faultline-crash-*.txt"))
    assert "RuntimeError: planted" in crash.read_text()


def test_a_broken_spec_breaks_only_its_own_failure_mode(tmp_path):
    """A broken front matter names the file in one line; every other FM still lists and runs."""
    root = tmp_path / "repo"
    for name in ("runtime", "faultline", "invariants", "failure_modes"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    spec = root / "failure_modes" / "FM_002_worker_crash_mid_job" / "spec.md"
    spec.write_text(spec.read_text().replace("invariants: [INV_002, INV_010]", "invariants: [INV_002"))
    env = {**os.environ, "PYTHONPATH": str(root)}

    def faultline(*argv):
        return subprocess.run(
            [sys.executable, "-m", "faultline", *argv], cwd=root, capture_output=True, text=True, env=env, check=False
        )

    listed = faultline("list", "--json")
    assert listed.returncode == 0 and "FM_002" not in {m["id"] for m in json.loads(listed.stdout)}
    assert "FM_002_worker_crash_mid_job/spec.md: front matter is not valid YAML" in listed.stderr
    assert faultline("run", "FM_001").returncode == 1
    broken = faultline("run", "FM_002")
    assert broken.returncode == 2 and broken.stderr.count("\n") == 1 and "spec.md" in broken.stderr
