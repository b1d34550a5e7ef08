"""Bad input beyond the corpus (tests/lab/test_cli_corpus.py): an ASCII terminal, an internal error
that is exit 3 with its traceback in a file, a broken spec that breaks only its own FM."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from faultline import explore
from tests.builders import call_cli

REPO = Path(__file__).resolve().parents[2]


def one_line_exit_2(capsys, *argv) -> str:
    code, out, err = call_cli(capsys, *argv)
    assert code == 2, (argv, code, out, err)
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err, (argv, err)
    assert err.startswith("faultline: error: ")
    return err


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
