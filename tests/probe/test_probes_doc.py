"""docs/probes.md is the measured matrix (`faultline probe matrix --out docs/probes.md`): it holds a row
for every queue x drill x configuration the code offers, names the installed library versions, and
every row's command reproduces it."""

import re
from pathlib import Path

from faultline.probe.adapters import ADAPTERS
from faultline.probe.drills import DRILLS
from faultline.probe.record import library_version

DOC = Path(__file__).resolve().parents[2] / "docs" / "probes.md"
MATRIX_DRILLS = [name for name in DRILLS if name != "no-fault"]


def rows() -> dict[tuple[str, str, str], list[str]]:
    found = {}
    for line in DOC.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 11 and cells[0] in ADAPTERS:
            found[(cells[0], cells[1], cells[2])] = cells
    return found


def test_every_queue_drill_and_configuration_has_a_measured_row():
    expected = {(a, d, c) for a in ADAPTERS for d in MATRIX_DRILLS for c in ("default", "recommended")}
    assert set(rows()) == expected


def test_each_row_reproduces_with_its_command_and_says_what_it_measured():
    for (adapter, drill, configuration), cells in rows().items():
        verdict, lost, doubled, stuck = cells[3:7]
        assert verdict == "holds" or re.fullmatch(r"(INV_\d{3}(, )?)+", verdict), cells
        if not verdict.startswith("refused"):
            assert lost.isdigit() and doubled.isdigit() and stuck.isdigit(), cells
        assert cells[10] == f"`faultline probe {adapter} --drill {drill} --config {configuration}`"


def test_the_versions_named_are_the_installed_ones():
    text = DOC.read_text()
    for adapter in ADAPTERS.values():
        assert f"{adapter.distribution} {library_version(adapter.distribution)}" in text
