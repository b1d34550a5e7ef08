"""A history file alone is enough: records written with `--history` and read back (no live objects)
get the same verdicts, and every event carries only the detail keys docs/02_history.md documents."""

import functools
from typing import Any

import pytest

from faultline import explore
from faultline.catalog import catalog
from invariants import check_all
from runtime.core import history as ev
from runtime.core.errors import BadInputError
from runtime.core.record import RunRecord
from tests.builders import call_cli

RUNS: dict[str, tuple[str, Any]] = {
    f"{mode.id}-{'fixed' if fixed else 'naive'}": (mode.id, fixed) for mode in catalog() for fixed in (False, True)
}
RUNS |= {f"{policy}-seed{seed}": (policy, seed) for policy in ("naive", "safe") for seed in range(10)}


@functools.cache
def record_of(name: str) -> RunRecord:
    """Made when a test asks (each test process makes only its own), not at collection."""
    what, which = RUNS[name]
    if isinstance(which, bool):
        return next(mode for mode in catalog() if mode.id == what).run(fixed=which)
    return explore.Sweep(policy_name=what).run_seed(which)[0]


@pytest.fixture(params=sorted(RUNS))
def record(request) -> RunRecord:
    return record_of(request.param)


def test_a_history_read_back_from_its_file_gets_the_same_verdicts(record):
    again = RunRecord.from_jsonl(record.jsonl())
    assert again.scenario is None and again.policy is None  # nothing live: the file alone
    assert again.digest == record.digest
    assert [v.to_json_dict() for v in check_all(again)] == [v.to_json_dict() for v in check_all(record)]


def test_every_event_carries_only_documented_detail_keys(record):
    for event in record.events:
        documented = set(ev.SCHEMA[event.kind].detail)
        assert set(event.detail) <= documented, (event.kind, set(event.detail) - documented)
    optional = {"queue_states"}  # probes only
    if "runs" not in record.final:  # only when a workflow ran
        optional.add("runs")
    assert set(record.final) == set(ev.FINAL_STATE_KEYS) - optional


def test_the_cli_history_file_round_trips(capsys, tmp_path):
    target = tmp_path / "h.jsonl"
    call_cli(capsys, "run", "FM_004", "--history", str(target))
    record = RunRecord.from_jsonl(target.read_text())
    assert {v.invariant for v in check_all(record)} == {"INV_001", "INV_005"}


def test_a_history_whose_indexes_are_not_positions_is_bad_input():
    lines = record_of("FM_001-naive").jsonl().splitlines()
    lines[1], lines[2] = lines[2], lines[1]  # two events swapped: each keeps its index
    with pytest.raises(BadInputError, match="line 2 has index 2"):
        RunRecord.from_jsonl("\n".join(lines) + "\n")
