"""The drill docs state exact metric values; this runs each stated command and compares, so the
docs cannot drift from the code."""

import json
import re
import shlex
from pathlib import Path

import pytest

from faultline.cli import main

# The simulated drills (real_drills.md is the real world's, checked by make drills).
DRILLS = sorted(
    p for p in (Path(__file__).resolve().parents[2] / "docs" / "drills").glob("*.md") if p.stem != "real_drills"
)
BLOCK = re.compile(r"^Run: `(faultline [^`]+)`\n\n((?:\|.*\|\n)+)", re.MULTILINE)
ROW = re.compile(r"^\| `([^`]+)` \| ([0-9.]+) \|$")


def blocks(doc: Path) -> list[tuple[str, dict[str, float]]]:
    found = []
    for command, table in BLOCK.findall(doc.read_text()):
        rows = {match[1]: match[2] for line in table.splitlines() if (match := ROW.match(line))}
        found.append((command, {name: float(value) for name, value in rows.items()}))
    return found


def metrics_of(capsys, command: str) -> dict:
    argv = [arg for arg in shlex.split(command)[1:] if arg != "--metrics"] + ["--json"]
    with pytest.raises(SystemExit):
        main(argv)
    return json.loads(capsys.readouterr().out)["metrics"]


def test_there_are_three_seed_drills_with_expected_metrics():
    assert [d.stem for d in DRILLS] == ["database_outage", "duplicate_submission", "worker_crash"]
    assert all(len(blocks(doc)) >= 2 for doc in DRILLS)


@pytest.mark.parametrize("doc", DRILLS, ids=lambda d: d.stem)
def test_drill_metrics_match_the_run(doc, capsys):
    for command, expected in blocks(doc):
        actual = metrics_of(capsys, command)
        assert {name: actual.get(name) for name in expected} == expected, command


@pytest.mark.parametrize("doc", DRILLS, ids=lambda d: d.stem)
def test_drill_images_exist(doc):
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", doc.read_text()):
        assert (doc.parent / image).is_file(), image
