"""The command line at its edges: Ctrl-C during a sweep on several processes stops it at once with
what was found so far (exit 130); a disk that fills while an output is written is exit 2 naming the
path, and no partial file is left."""

import errno
import json
import os
import signal
import subprocess
import sys
import time

from tests.builders import call_cli


def test_ctrl_c_stops_a_sweep_on_two_processes_with_what_was_found(tmp_path):
    from faultline.probe.run import process_tree

    sweep = subprocess.Popen(
        [sys.executable, "-m", "faultline", "explore", "--seeds", "1000000", "--processes", "2", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        start_new_session=True,
    )
    try:
        for _ in range(600):  # bounded: up to 60 s for its two worker processes to be running
            if len(process_tree(sweep.pid)) >= 3:
                break
            time.sleep(0.1)
        time.sleep(1)  # a few batches finish meanwhile
        os.killpg(sweep.pid, signal.SIGINT)  # Ctrl-C reaches the terminal's whole process group
        out, err = sweep.communicate(timeout=30)
    finally:
        if sweep.poll() is None:  # never leave a million-seed sweep running behind a failed test
            os.killpg(sweep.pid, signal.SIGKILL)
            sweep.wait(10)
    assert sweep.returncode == 130, err
    report = json.loads(out)
    assert report["interrupted"] is True and report["seeds"] < 1_000_000
    assert "interrupted after" in err and "Traceback" not in err


def test_a_full_disk_while_writing_an_output_is_exit_2_and_leaves_no_partial_file(capsys, tmp_path, monkeypatch):
    import faultline.cli.common as common

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(common.os, "fsync", full)
    target = tmp_path / "h.jsonl"
    code, out, err = call_cli(capsys, "run", "FM_001", "--history", str(target))
    assert code == 2 and err.count("\n") == 1
    assert f"--history {str(target)!r}: writing failed (No space left on device); nothing written" in err
    assert list(tmp_path.iterdir()) == []
