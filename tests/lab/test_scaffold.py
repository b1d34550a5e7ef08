"""`faultline fm new` in a temporary copy of the repo: layout, index regeneration, make targets."""

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COPIED = [
    "runtime",
    "faultline",
    "invariants",
    "failure_modes",
    "docs",
    "examples",  # docs/images/workflow_etl.svg is drawn from a run of examples/etl_fanout.yml
    "Makefile",
    "pyproject.toml",
    "requirements.txt",
]


@pytest.fixture
def repo_copy(tmp_path):
    """A copy of the repo whose .venv is a thin wrapper around this interpreter (no install)."""
    root = tmp_path / "repo"
    root.mkdir()
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, root / name)
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, command in {"python": '"$@"', "faultline": '-m faultline "$@"'}.items():
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" {command}\n')
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    (root / ".venv" / ".installed-stamp").touch()
    return root


def sh(root, *argv):
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}  # a throwaway copy
    return subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, check=False)


def test_fm_new_scaffolds_the_next_folder_and_wires_docs_and_make(repo_copy):
    done = sh(repo_copy, ".venv/bin/faultline", "fm", "new", "lost_wakeup")
    assert done.returncode == 0, done.stderr
    number = len([p for p in (REPO / "failure_modes").iterdir() if p.name.startswith("FM_")]) + 1
    fm_id = f"FM_{number:03d}"
    folder = repo_copy / "failure_modes" / f"{fm_id}_lost_wakeup"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [
            "__init__.py",
            "spec.md",
            "scenario.py",
            f"test_repro_fm{number:03d}.py",
            f"test_prevent_fm{number:03d}.py",
        ]
    )
    assert f"make test-fm{number}" in done.stdout

    index = (repo_copy / "docs" / "failure_mode_index.md").read_text()
    assert f"| {fm_id} | TODO" in index and f"`make test-fm{number}`" in index

    repro = sh(repo_copy, "make", f"test-fm{number}")
    assert repro.returncode != 0
    assert f"{fm_id}'s spec names no invariant to violate" in repro.stderr

    prevent = sh(repo_copy, "make", f"test-fm{number}-fix")
    assert prevent.returncode != 0
    assert f"{fm_id} prevention not written yet" in prevent.stdout


def test_fm_new_rejects_bad_and_taken_names(repo_copy):
    bad = sh(repo_copy, ".venv/bin/faultline", "fm", "new", "Lost Wakeup")
    assert bad.returncode == 2 and "e.g. lost_wakeup" in bad.stderr
    taken = sh(repo_copy, ".venv/bin/faultline", "fm", "new", "poison_job")
    assert taken.returncode == 2 and "is taken by FM_005" in taken.stderr
    assert not any("wakeup" in p.name for p in (repo_copy / "failure_modes").iterdir())


@pytest.mark.drill  # explores, shrinks, then runs two make targets in a copy: about 7 s
def test_fm_new_from_a_shrunk_finding_makes_an_fm_whose_make_targets_pass(repo_copy):
    found = sh(repo_copy, ".venv/bin/faultline", "explore", "--policy", "naive", "--seeds", "3", "--shrink")
    assert found.returncode == 1, found.stderr
    shrunk = repo_copy / "shrunk-INV_001-seed0.json"
    assert json.loads(shrunk.read_text())["found"]["invariant"] == "INV_001"
    done = sh(repo_copy, ".venv/bin/faultline", "fm", "new", "found", "--from", str(shrunk))
    assert done.returncode == 0, done.stderr
    number = len([p for p in (REPO / "failure_modes").iterdir() if p.name.startswith("FM_")]) + 1
    spec = (repo_copy / "failure_modes" / f"FM_{number:03d}_found" / "spec.md").read_text()
    assert "invariants: [INV_001]" in spec
    assert f"| FM_{number:03d} | Found by the explorer" in (repo_copy / "docs" / "failure_mode_index.md").read_text()
    repro = sh(repo_copy, "make", f"test-fm{number}")
    assert repro.returncode == 0, repro.stdout[-2000:] + repro.stderr
    assert "✓ reproduced: INV_001 violated" in repro.stdout
    prevent = sh(repo_copy, "make", f"test-fm{number}-fix")
    assert prevent.returncode == 0, prevent.stdout[-2000:] + prevent.stderr


def test_fm_new_from_a_file_that_is_not_a_finding_is_bad_input(repo_copy):
    plain = repo_copy / "plain.json"
    plain.write_text('{"faults": []}')
    done = sh(repo_copy, ".venv/bin/faultline", "fm", "new", "found", "--from", str(plain))
    assert done.returncode == 2 and "is not a shrunk finding" in done.stderr and done.stderr.count("\n") == 1
