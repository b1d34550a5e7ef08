"""Every FM folder is complete and honest: four files, a spec naming registered invariants,
a naive run that breaks exactly what the spec says, and a CLI that agrees."""

import json

import pytest

from faultline.catalog import catalog, normalize_id
from invariants import REGISTRY, check_all
from tests.builders import call_cli

MODES = catalog()
SECTIONS = (
    "## Trigger",
    "## Symptoms",
    "## Violated invariants",
    "## Detection",
    "## Recovery / prevention",
    "## Acceptance",
)


def cli_json(capsys, *argv):
    code, out, _ = call_cli(capsys, *argv, "--json")
    return code, json.loads(out)


def test_catalog_has_fm_001_to_012_in_order():
    assert [m.id for m in MODES][:12] == [f"FM_{n:03d}" for n in range(1, 13)]


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.id)
def test_folder_has_spec_scenario_and_both_tests(mode):
    names = {p.name for p in mode.folder.iterdir()}
    n = f"{mode.number:03d}"
    assert {"spec.md", "scenario.py", f"test_repro_fm{n}.py", f"test_prevent_fm{n}.py"} <= names
    spec = (mode.folder / "spec.md").read_text()
    assert [s for s in SECTIONS if s not in spec] == []
    assert mode.seen_in and mode.seen_in in spec  # the public report is cited


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.id)
def test_spec_names_registered_invariants_that_the_naive_run_breaks(mode):
    assert mode.invariants and all(i in REGISTRY for i in mode.invariants)
    violated = {v.invariant for v in check_all(mode.run(fixed=False))}
    assert set(mode.invariants) <= violated


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.id)
def test_cli_run_exits_1_naming_the_spec_invariant_and_0_with_fix_on_seeds_0_to_9(mode, capsys):
    code, data = cli_json(capsys, "run", mode.id)
    assert code == 1
    assert set(mode.invariants) <= {v["invariant"] for v in data["violations"]}
    for seed in range(10):
        code, data = cli_json(capsys, "run", mode.id, "--fix", "--seed", str(seed))
        assert (code, data["violations"]) == (0, []), (mode.id, seed)


@pytest.mark.parametrize("text", ["FM_007", "FM_7", "fm7", "7", "FM_007_lease_expires"])
def test_fm_ids_are_accepted_in_every_spelling(text):
    assert normalize_id(text) == "FM_007"
