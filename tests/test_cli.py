"""The `faultline` command: exit codes, JSON output, history files, and one-line input errors."""

import json

import pytest

from runtime.history import from_jsonl
from tests.builders import call_cli

call = call_cli


def test_run_fm001_json_exits_1_naming_the_spec_invariant(capsys):
    code, out, _ = call(capsys, "run", "FM_001", "--json")
    data = json.loads(out)
    assert code == 1
    assert set(data) == {"fm", "policy", "seed", "digest", "events", "violations", "metrics"}
    assert (data["fm"], data["policy"], data["seed"]) == ("FM_001", "naive", 0)
    assert [v["invariant"] for v in data["violations"]] == ["INV_001"]
    assert data["violations"][0]["events"] == [6, 13]


def test_run_fm001_fix_exits_0_for_seeds_0_to_49(capsys):
    for seed in range(50):
        code, out, _ = call(capsys, "run", "FM_001", "--fix", "--seed", str(seed), "--json")
        assert code == 0 and json.loads(out)["violations"] == [], seed


def test_run_prints_timeline_verdict_and_replay_command(capsys):
    code, out, _ = call(capsys, "run", "fm1")
    assert code == 1
    assert "◀ effect_committed" in out
    assert "INV_001 effect-once violated: job j1's effect committed 2 times" in out
    assert "replay: faultline run FM_001 --seed 0" in out
    assert "idempotent_effects: False → True" in out


def test_expect_violation_turns_a_reproduced_break_into_success(capsys):
    code, out, _ = call(capsys, "run", "FM_002", "--expect-violation")
    assert code == 0 and "✓ reproduced: INV_002 violated" in out
    code, _, err = call(capsys, "run", "FM_002", "--fix", "--expect-violation")
    assert code == 1 and "expected INV_002 to be violated, but it held" in err


def test_history_file_is_the_canonical_jsonl(capsys, tmp_path):
    target = tmp_path / "h.jsonl"
    code, out, _ = call(capsys, "run", "FM_003", "--fix", "--json", "--history", str(target))
    assert code == 0
    events = from_jsonl(target.read_text())
    assert [e.to_json_dict() for e in events] == json.loads(out)["events"]


def test_plan_file_replaces_the_scenario_plan(capsys, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text('{"faults": []}')
    code, out, _ = call(capsys, "run", "FM_001", "--plan", str(plan), "--json")
    assert code == 0 and json.loads(out)["violations"] == []


def test_set_overrides_a_policy_field(capsys):
    code, out, _ = call(capsys, "run", "FM_001", "--set", "idempotent_effects=true", "--json")
    assert code == 0 and json.loads(out)["policy"] == "naive+overrides"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "FM_99"], "unknown failure mode 'FM_99' (known: FM_001"),
        (["run", "FM_001", "--seed", "-1"], "seed must be a non-negative integer, got '-1'"),
        (["run", "FM_001", "--seed", "1.5"], "seed must be a non-negative integer, got '1.5'"),
        (["run", "FM_001", "--set", "lease=1"], "unknown policy field 'lease'"),
        (["run", "FM_001", "--set", "lease_ms"], "--set expects FIELD=VALUE, got 'lease_ms'"),
        (["run", "FM_001", "--plan", "/nonexistent/plan.json"], "cannot read fault plan"),
        (["run", "FM_001", "--history", "/nonexistent/dir/h.jsonl"], "folder '/nonexistent/dir'"),
        (["explode"], "No such command 'explode'"),
    ],
)
def test_bad_input_is_one_line_exit_2_no_traceback(capsys, argv, message):
    code, out, err = call(capsys, *argv)
    assert code == 2
    assert out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_malformed_plan_is_one_line_and_writes_nothing(capsys, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text('{"faults": [{"kind": "crash", "actor": "w1", "point": "worker.lunch"}]}')
    history = tmp_path / "h.jsonl"
    code, _, err = call(capsys, "run", "FM_001", "--plan", str(plan), "--history", str(history))
    assert code == 2 and "unknown fault point 'worker.lunch'" in err
    assert not history.exists() and list(tmp_path.iterdir()) == [plan]


def test_list_and_invariants_json(capsys):
    code, out, _ = call(capsys, "list", "--json")
    modes = json.loads(out)
    assert code == 0 and [m["id"] for m in modes][:3] == ["FM_001", "FM_002", "FM_003"]
    code, out, _ = call(capsys, "invariants", "--json")
    assert code == 0 and json.loads(out)[0]["id"] == "INV_001"
