"""Faultline as a user installs it: a wheel in a fresh virtualenv, used from a project folder of its
own. Slow (it builds and installs), so it runs with `make drills`."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.drill
ROOT = Path(__file__).resolve().parents[2]


def sh(*argv, cwd):
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600)


def test_an_installed_wheel_scaffolds_lists_and_runs_a_project_s_own_fm(tmp_path):
    wheels, venv, project = tmp_path / "wheels", tmp_path / "venv", tmp_path / "shop"
    project.mkdir()
    built = sh(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        str(wheels),
        ".",
        cwd=ROOT,
    )
    assert built.returncode == 0, built.stderr
    assert sh(sys.executable, "-m", "venv", str(venv), cwd=tmp_path).returncode == 0
    wheel = next(wheels.glob("faultline-*.whl"))
    installed = sh(
        str(venv / "bin" / "pip"), "install", "-q", str(wheel), "-c", str(ROOT / "requirements.txt"), cwd=tmp_path
    )
    assert installed.returncode == 0, installed.stderr
    (project / "pyproject.toml").write_text(
        '[project]\nname = "shop"\nversion = "0"\n\n[tool.faultline]\nfailure_modes = "fms"\n'
    )
    faultline = str(venv / "bin" / "faultline")
    new = sh(faultline, "fm", "new", "lost_charge", cwd=project)
    assert new.returncode == 0, new.stderr
    assert (project / "fms" / "FM_001_lost_charge" / "scenario.py").is_file()
    assert not list((venv / "lib").rglob("*_lost_charge"))  # nothing written into site-packages
    listed = sh(faultline, "list", "--json", cwd=project)
    assert '"id": "FM_001"' in listed.stdout and "lost_charge" in listed.stdout
    assert sh(faultline, "run", "FM_001", cwd=project).returncode == 0
    assert sh(faultline, "--version", cwd=project).stdout.startswith("faultline ")
