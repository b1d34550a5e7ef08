"""The `faultline` command: exit codes, JSON output, history and metrics files, outputs on stdout."""

import json
import os
import stat

from prometheus_client.parser import text_string_to_metric_families

from runtime.core.record import RunRecord
from tests.builders import call_cli

call = call_cli


def test_run_fm001_json_exits_1_naming_the_spec_invariant(capsys):
    code, out, _ = call(capsys, "run", "FM_001", "--json")
    data = json.loads(out)
    assert code == 1
    assert set(data) == {"fm", "policy", "seed", "digest", "events", "violations", "metrics", "replay"}
    assert (data["fm"], data["policy"], data["seed"]) == ("FM_001", "naive", 0)
    assert [v["invariant"] for v in data["violations"]] == ["INV_001"]
    assert data["violations"][0]["events"] == [7, 14]
    assert data["replay"] == "faultline run FM_001 --seed 0"


def test_run_fm001_fix_exits_0_for_seeds_0_to_49(capsys):
    for seed in range(50):
        code, out, _ = call(capsys, "run", "FM_001", "--fix", "--seed", str(seed), "--json")
        assert code == 0 and json.loads(out)["violations"] == [], seed


def test_run_prints_timeline_verdict_and_replay_command(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = call(capsys, "run", "fm1")
    assert code == 1
    assert "◀ effect_committed" in out
    assert "INV_001 effect-once violated: job j1's effect committed 2 times" in out
    assert "\nreplay: faultline run FM_001 --seed 0\n" in out
    assert "idempotent_effects: False → True" in out


def test_output_respects_columns_and_never_wraps_the_replay_command(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = call(capsys, "run", "FM_001", "--set", "fencing=true", "--set", "lease_margin_ms=5")
    replay = "replay: faultline run FM_001 --seed 0 --set fencing=true --set lease_margin_ms=5"
    assert code == 1 and replay in out.splitlines()
    assert all(len(line) <= 60 for line in out.splitlines() if not line.startswith(("replay:", "the fix")))


def test_expect_violation_turns_a_reproduced_break_into_success(capsys):
    code, out, _ = call(capsys, "run", "FM_002", "--expect-violation")
    assert code == 0 and "✓ reproduced: INV_002, INV_010 violated" in out
    code, _, err = call(capsys, "run", "FM_002", "--fix", "--expect-violation")
    assert code == 1 and "expected INV_002, INV_010 to be violated, but it held" in err


def test_history_file_is_the_canonical_jsonl_and_judges_alone(capsys, tmp_path):
    target = tmp_path / "h.jsonl"
    code, out, _ = call(capsys, "run", "FM_003", "--fix", "--json", "--history", str(target))
    assert code == 0
    record = RunRecord.from_jsonl(target.read_text())
    assert [e.to_json_dict() for e in record.events] == json.loads(out)["events"]
    assert record.events[0].kind == "run_started" and record.events[-1].kind == "run_ended"


def test_output_files_get_the_umask_mode_and_a_history_is_owner_only(capsys, tmp_path):
    old = os.umask(0o027)
    try:
        history, trace = tmp_path / "h.jsonl", tmp_path / "t.json"
        call(capsys, "run", "FM_001", "--history", str(history), "--trace", str(trace))
    finally:
        os.umask(old)
    assert stat.S_IMODE(trace.stat().st_mode) == 0o640
    assert stat.S_IMODE(history.stat().st_mode) == 0o600


def test_history_through_a_symlink_writes_the_target_and_keeps_the_link(capsys, tmp_path):
    real = tmp_path / "real.jsonl"
    real.write_text("old")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    call(capsys, "run", "FM_001", "--history", str(link))
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().startswith('{"actor":"lab"')


def test_history_dash_is_stdout_and_nothing_else_is_printed(capsys, tmp_path):
    code, out, _ = call(capsys, "run", "FM_001", "--history", "-")
    assert code == 1
    record = RunRecord.from_jsonl(out)
    assert record.events[-1].kind == "run_ended"
    assert not (tmp_path / "-").exists() and not os.path.exists("-")


def test_metrics_alone_on_stdout_parse_with_prometheus_clients_parser(capsys):
    code, out, _ = call(capsys, "run", "FM_002", "--fix", "--metrics")
    assert code == 0
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(out)
        for sample in family.samples
    }
    assert samples[("faultline_lease_expiries_total", (("judged_by", "reaper"),))] >= 1


def test_metrics_to_a_file_keeps_the_timeline_on_stdout(capsys, tmp_path):
    target = tmp_path / "m.prom"
    code, out, _ = call(capsys, "run", "FM_002", "--fix", "--metrics", str(target))
    assert code == 0 and "every invariant holds" in out
    assert "faultline_lease_expiries_total" in target.read_text() and "timeline" not in target.read_text()


def test_plan_file_replaces_the_scenario_plan(capsys, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text('{"faults": []}')
    code, out, _ = call(capsys, "run", "FM_001", "--plan", str(plan), "--json")
    assert code == 0 and json.loads(out)["violations"] == []
    assert json.loads(out)["replay"] == f"faultline run FM_001 --seed 0 --plan {plan}"


def test_set_overrides_a_policy_field(capsys):
    code, out, _ = call(capsys, "run", "FM_001", "--set", "idempotent_effects=true", "--json")
    assert code == 0 and json.loads(out)["policy"] == "naive+overrides"
    assert json.loads(out)["replay"] == "faultline run FM_001 --seed 0 --set idempotent_effects=true"


def test_the_docs_fault_plan_example_is_valid_against_fm_001(capsys, tmp_path):
    """docs/03's example plan names only actors, jobs and points FM_001's scenario has."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "03_fault_plans.md").read_text()
    plan = tmp_path / "plan.json"
    plan.write_text(doc.split("```json\n", 1)[1].split("```", 1)[0])
    code, out, err = call(capsys, "run", "FM_001", "--plan", str(plan), "--json")
    assert code in (0, 1), err
    assert len(json.loads(out)["events"]) > 10


def test_list_and_invariants_json(capsys):
    code, out, _ = call(capsys, "list", "--json")
    modes = json.loads(out)
    assert code == 0 and [m["id"] for m in modes][:3] == ["FM_001", "FM_002", "FM_003"]
    code, out, _ = call(capsys, "invariants", "--json")
    assert code == 0 and json.loads(out)[0]["id"] == "INV_001"
