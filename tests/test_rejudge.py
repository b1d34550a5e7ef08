"""A history file alone is enough: records written with `--history` and read back (no live objects)
get the same verdicts, and every event carries only the detail keys docs/02_history.md documents."""

import pytest

from faultline import explore
from faultline.catalog import catalog
from invariants import check_all
from runtime.core import history as ev
from runtime.core.errors import BadInputError
from runtime.core.record import RunRecord
from tests.builders import call_cli


def _records():
    for mode in catalog():
        for fixed in (False, True):
            yield f"{mode.id}-{'fixed' if fixed else 'naive'}", mode.run(fixed=fixed)
    for policy in ("naive", "safe"):
        sweep = explore.Sweep(policy_name=policy)
        for seed in range(15):
            yield f"{policy}-seed{seed}", sweep.run_seed(seed)[0]


RECORDS = list(_records())


@pytest.mark.parametrize("name, record", RECORDS, ids=[name for name, _ in RECORDS])
def test_a_history_read_back_from_its_file_gets_the_same_verdicts(name, record):
    again = RunRecord.from_jsonl(record.jsonl())
    assert again.scenario is None and again.policy is None  # nothing live: the file alone
    assert again.digest == record.digest
    assert [v.to_json_dict() for v in check_all(again)] == [v.to_json_dict() for v in check_all(record)]


@pytest.mark.parametrize("name, record", RECORDS, ids=[name for name, _ in RECORDS])
def test_every_event_carries_only_documented_detail_keys(name, record):
    for event in record.events:
        documented = set(ev.SCHEMA[event.kind].detail)
        assert set(event.detail) <= documented, (event.kind, set(event.detail) - documented)
    optional = {"runs"} if "runs" not in record.final else set()  # runs: only when a workflow ran
    assert set(record.final) == set(ev.FINAL_STATE_KEYS) - optional


def test_the_cli_history_file_round_trips(capsys, tmp_path):
    target = tmp_path / "h.jsonl"
    call_cli(capsys, "run", "FM_004", "--history", str(target))
    record = RunRecord.from_jsonl(target.read_text())
    assert {v.invariant for v in check_all(record)} == {"INV_001", "INV_005"}


def test_a_history_whose_indexes_are_not_positions_is_bad_input():
    lines = RECORDS[0][1].jsonl().splitlines()
    lines[1], lines[2] = lines[2], lines[1]  # two events swapped: each keeps its index
    with pytest.raises(BadInputError, match="line 2 has index 2"):
        RunRecord.from_jsonl("\n".join(lines) + "\n")
