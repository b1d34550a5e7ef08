"""The library API and the CLI conventions a user meets first: the version, examples in every help,
the documented example run as written."""

import contextlib
import io
import re
import tomllib
from pathlib import Path

import click
import pytest

import faultline
from faultline.cli import cli
from tests.builders import call_cli

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "09_library.md"


def test_the_documented_example_runs_and_prints_what_the_doc_shows():
    text = DOC.read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.DOTALL).group(1)
    shown = re.search(r"Output \(real\):\n\n```\n(.*?)```", text, re.DOTALL).group(1)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(DOC), "exec"), {})
    assert printed.getvalue() == shown


def test_the_version_is_one_value_everywhere(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"], prog_name="faultline")
    assert done.value.code == 0
    assert capsys.readouterr().out == f"faultline {faultline.__version__}\n"
    dynamic = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["dynamic"]
    assert dynamic["version"] == {"attr": "faultline.__version__"}


def commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))


@pytest.mark.parametrize("path", list(commands(cli)), ids=" ".join)
def test_every_command_s_help_shows_an_example(path, capsys):
    code, out, _ = call_cli(capsys, *path, "--help")
    assert code == 0
    examples = out.split("Examples:", 1)
    assert len(examples) == 2, f"faultline {' '.join(path)} --help has no example"
    assert f"faultline {' '.join(path)}" in examples[1]


def test_the_library_runs_a_scenario_of_the_user_s_own():
    scenario = faultline.Scenario(
        name="mine",
        jobs=(faultline.JobSpec(job_id="j1", payload={"amount": 5}),),
        plan=faultline.FaultPlan(faults=(faultline.Crash(actor="w1", point="worker.after_commit"),)),
    )
    broken = faultline.run(scenario, faultline.Policy.naive().evolve(lease_ms=1_000))
    assert faultline.violated(broken) == {"INV_001"}
    assert faultline.check(faultline.run(scenario, faultline.Policy.safe())) == ()
    assert faultline.find_fm("fm4").id == "FM_004"


def test_shell_completion_knows_policies_and_paths():
    import os
    import subprocess
    import sys

    def complete(words: str) -> list[str]:
        env = {**os.environ, "_FAULTLINE_COMPLETE": "bash_complete", "COMP_WORDS": words}
        env["COMP_CWORD"] = str(len(words.split()) - (0 if words.endswith(" ") else 1))
        done = subprocess.run([sys.executable, "-m", "faultline"], env=env, capture_output=True, text=True)
        return done.stdout.split()

    assert {"plain,naive", "plain,safe", "plain,FM_001"} <= set(complete("faultline explore --policy "))
    assert complete("faultline run --plan ") == ["file,"]
    assert complete("faultline explore --out-dir ") == ["dir,"]
