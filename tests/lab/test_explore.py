"""The explorer: swarm plans per seed, findings under naive, none under safe, exact replay,
shards and processes that add up, shrinking to a plan that still fails, and every FM's named
invariant reachable under that FM's own policy."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from faultline import explore
from faultline.catalog import catalog
from faultline.explore.shrink import Case, shrink
from runtime.core.faults import FaultPlan
from tests.builders import call_cli

NAIVE_FINDS = {"INV_001", "INV_002", "INV_003", "INV_004", "INV_005", "INV_006", "INV_007", "INV_009", "INV_010"}

cli = call_cli
ROOT = Path(__file__).resolve().parents[2]


def test_each_seed_draws_its_own_plan_the_same_way_every_time():
    plans = [explore.draw_plan(seed) for seed in range(50)]
    assert plans == [explore.draw_plan(seed) for seed in range(50)]
    assert len({p.to_json() for p in plans}) == 50
    kinds_per_seed = [{f.kind for f in p.faults} for p in plans]
    assert len({frozenset(k) for k in kinds_per_seed}) > 10  # swarm: different subsets of kinds
    assert FaultPlan.from_json(plans[7].to_json()) == plans[7]
    # every kind is drawn - a heartbeat_stop only under a policy that renews leases
    assert set().union(*kinds_per_seed) == set(explore.FAULT_KINDS) - {"heartbeat_stop"}
    safe = [explore.draw_plan(seed, policy=explore.policy_named("safe")) for seed in range(50)]
    assert "heartbeat_stop" in {f.kind for p in safe for f in p.faults}


def test_plans_never_name_a_fault_the_policy_cannot_reach():
    """The relay's points are drawn, then dropped when no relay runs (naive has no outbox)."""
    naive = [explore.draw_plan(seed, policy=explore.POLICIES["naive"]) for seed in range(100)]
    safe = [explore.draw_plan(seed, policy=explore.POLICIES["safe"]) for seed in range(100)]
    assert not any(getattr(f, "actor", None) == "relay" for plan in naive for f in plan.faults)
    assert any(getattr(f, "actor", None) == "relay" for plan in safe for f in plan.faults)


def test_naive_exploration_finds_every_reachable_failure_mode():
    report = explore.explore(policy_name="naive", seeds=100)
    assert set(report.findings) >= NAIVE_FINDS


def test_safe_exploration_finds_nothing_on_300_seeds():
    assert explore.explore(policy_name="safe", seeds=300).findings == {}


@pytest.mark.drill
def test_safe_exploration_finds_nothing_on_5000_seeds():
    assert explore.explore(policy_name="safe", seeds=5000, processes=2).findings == {}


@pytest.mark.parametrize("mode", catalog(), ids=lambda m: m.id)
def test_every_fm_invariant_is_found_under_that_fms_own_policy(mode):
    """`faultline explore --policy FM_00N` finds what the FM's spec names (FM_009's storm needs a
    backlog and many workers: the standard workload at 500 jobs and 32 workers)."""
    jobs, workers = (500, 32) if mode.id == "FM_009" else (explore.DEFAULT_JOBS, explore.DEFAULT_WORKERS)
    workload = None  # a workflow FM is explored on a workflow workload like its own
    if mode.scenario.workflow is not None:
        workload = str(ROOT / "examples" / ("periodic.yml" if mode.scenario.schedulers else "etl_fanout.yml"))
    sweep = explore.Sweep(policy_name=mode.id, jobs=jobs, workers=workers, workload=workload)
    found: set[str] = set()
    for seed in range(40 if workload is None else 100):  # a split brain needs a pause past the lock lease
        found |= {v.invariant for v in sweep.run_seed(seed)[1]}
        if set(mode.invariants) <= found:
            break
    assert set(mode.invariants) <= found, (mode.id, sorted(found))


def test_fm_002s_stuck_job_is_found_through_its_own_mechanism():
    """Not a poison loop: under FM_002's policy (leases never expire) a crash leaves a job leased."""
    sweep = explore.Sweep(policy_name="FM_002")
    for seed in range(40):
        record, violations = sweep.run_seed(seed)
        stuck = [v for v in violations if v.invariant == "INV_002" and "crashed" in v.message]
        if stuck:
            break
    assert stuck and any(row[2] == "leased" for row in record.final["messages"])


def test_set_overrides_apply_to_the_whole_sweep_and_appear_in_the_report(capsys):
    code, out, _ = cli(capsys, "explore", "--seeds", "15", "--set", "idempotent_effects=true", "--json")
    data = json.loads(out)
    assert data["overrides"] == {"idempotent_effects": "true"}
    assert (data["shard"], data["jobs"], data["workers"]) == ("1/1", 50, 4)
    plain = explore.explore(policy_name="naive", seeds=15)
    assert data["violations"]["INV_001"]["count"] < plain.findings["INV_001"]["count"]


def test_shards_add_up_to_the_whole_sweep():
    whole = explore.explore(policy_name="naive", seeds=24, start=5).to_json_dict()
    for n in (2, 3):
        parts = [
            explore.explore(policy_name="naive", seeds=24, start=5, shard=(i, n)).to_json_dict()
            for i in range(1, n + 1)
        ]
        assert sorted(s for i in range(1, n + 1) for s in explore.shard_seeds(5, 24, (i, n))) == list(range(5, 29))
        merged = explore.merge_reports(parts)
        assert merged == {k: whole[k] for k in ("policy", "seeds", "start", "violations")}


def test_processes_give_the_same_findings_as_one_process():
    one = explore.explore(policy_name="naive", seeds=20)
    two = explore.explore(policy_name="naive", seeds=20, processes=2, batch_size=7)
    assert one.findings == two.findings


def test_replay_in_a_new_process_prints_the_explorers_digest(capsys):
    code, out, _ = cli(capsys, "explore", "--seeds", "20", "--json")
    first_seed = json.loads(out)["violations"]["INV_001"]["first_seed"]
    expected = explore.outcome(first_seed, "naive", 50, 4)
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    done = subprocess.run(
        [sys.executable, "-m", "faultline", "replay", "--seed", str(first_seed), "--policy", "naive", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    data = json.loads(done.stdout)
    assert done.returncode == 1
    assert data["digest"] == expected.digest
    assert sorted({v["invariant"] for v in data["violations"]}) == list(expected.violated)


def test_replay_writes_history_trace_metrics_and_report(capsys, tmp_path):
    paths = {name: tmp_path / name for name in ("h.jsonl", "t.json", "m.prom", "r.html")}
    code, out, _ = cli(
        capsys,
        "replay",
        "--seed",
        "3",
        "--history",
        str(paths["h.jsonl"]),
        "--trace",
        str(paths["t.json"]),
        "--metrics",
        str(paths["m.prom"]),
        "--report",
        str(paths["r.html"]),
    )
    assert code == 1 and "replay: faultline replay --seed 3 --policy naive" in out
    assert all(path.stat().st_size > 0 for path in paths.values())


def test_shrunk_plan_is_no_bigger_and_still_fails_through_run_plan(capsys, tmp_path):
    code, out, _ = cli(
        capsys,
        "replay",
        "--seed",
        "0",
        "--policy",
        "naive",
        "--shrink",
        "--invariant",
        "INV_001",
        "--out-dir",
        str(tmp_path),
        "--json",
    )
    shrunk = json.loads(out)["shrunk"]
    assert code == 1
    assert shrunk["faults"] <= shrunk["original_faults"] and shrunk["faults"] == 1
    assert (shrunk["jobs"], shrunk["workers"]) <= (50, 4)
    assert shrunk["command"].startswith("faultline run --seed 0 --policy naive --jobs")
    code, out, _ = cli(
        capsys,
        "run",
        "--plan",
        shrunk["file"],
        "--jobs",
        str(shrunk["jobs"]),
        "--workers",
        str(shrunk["workers"]),
        "--policy",
        "naive",
        "--seed",
        "0",
        "--json",
    )
    assert code == 1 and "INV_001" in {v["invariant"] for v in json.loads(out)["violations"]}


@pytest.mark.parametrize("seed, invariant", [(1, "INV_004"), (0, "INV_007"), (1, "INV_009"), (0, "INV_003")])
def test_shrinking_keeps_the_invariant_broken_with_fewer_faults(seed, invariant):
    naive = explore.POLICIES["naive"]
    case = Case(jobs=50, workers=4, plan=explore.draw_plan(seed, policy=naive))
    found = shrink(invariant=invariant, case=case, policy=naive, seed=seed, workload=explore.scenario_for)
    assert len(found.minimal.plan.faults) < len(case.plan.faults)
    assert found.minimal.jobs <= 50 and found.minimal.workers <= 4
    _, violations = explore.run_seed(seed, "naive", found.minimal.jobs, found.minimal.workers, found.minimal.plan)
    assert invariant in {v.invariant for v in violations}


@pytest.mark.drill
def test_explore_on_a_local_dask_cluster_matches_local_processes():
    local = explore.explore(policy_name="naive", seeds=30)
    on_dask = explore.explore(policy_name="naive", seeds=30, dask_address="local")
    assert on_dask.findings == local.findings


@pytest.mark.parametrize(
    "argv, message",
    [
        (["explore", "--shard", "0/2"], "--shard must look like i/n"),
        (["explore", "--policy", "yolo"], "unknown explorer policy 'yolo'"),
        (["explore", "--seeds", "0"], "'--seeds': 0 is not in the range"),
        (["explore", "--jobs", "0"], "'--jobs': 0 is not in the range 1<=x<=10000"),
        (["explore", "--set", "lease_ms=soon"], "policy field lease_ms = 'soon' must be an integer"),
        (["replay", "--seed", "x"], "seed must be an integer in [0, 2**64 - 1]"),
        (["replay", "--seed", "2", "--policy", "safe", "--shrink"], "violates no invariant under safe"),
        (["replay", "--seed", "2", "--shrink", "--invariant", "INV_99"], "--invariant 'INV_99' is not an invariant id"),
        (["run", "FM_001", "--jobs", "3"], "describe the standard workload"),
        (["run", "--fix"], "--fix and --expect-violation need an FM"),
    ],
)
def test_explorer_input_errors_are_one_line_exit_2(capsys, argv, message):
    code, out, err = cli(capsys, *argv)
    assert code == 2 and message in err and err.count("\n") == 1 and out == ""


def test_a_plan_that_stretches_the_work_stretches_the_time_limit():
    """Regression (seed 269, 5 jobs, 1 worker): two slow poison jobs are 64 s of legitimate work
    under safe; a fixed 60 s horizon judged them lost while the worker was still on them."""
    plan = explore.draw_plan(269, 5, 1, explore.POLICIES["safe"])
    record, violations = explore.run_seed(269, "safe", 5, 1)
    assert violations == () and record.closing["reason"] == "quiet"
    poisoned = {f.job for f in plan.faults if f.kind == "poison_job"}
    assert {row[0] for row in record.final["dead_letters"]} >= poisoned


def test_mechanisms_are_drawn_per_seed_and_the_safe_preset_keeps_its_own_choices():
    naive = explore.Sweep(policy_name="naive", mechanisms=True)
    drawn = {(p.batch_size, p.batch_ack, p.retry_strategy) for p in (naive.policy(seed) for seed in range(40))}
    assert {size for size, _, _ in drawn} == {1, 3, 5}
    assert {ack for _, ack, _ in drawn} == {"per_job", "batch"}
    assert {retry for _, _, retry in drawn} == {"redeliver", "republish"}
    safe = explore.Sweep(policy_name="safe", mechanisms=True)
    assert {(safe.policy(s).batch_ack, safe.policy(s).retry_strategy) for s in range(40)} == {("per_job", "redeliver")}
    assert naive.policy(7) == naive.policy(7) and naive.draw(7) == explore.Sweep(policy_name="naive").draw(7)


def test_safe_with_mechanisms_finds_nothing_and_a_finding_replays_with_its_mechanisms(capsys):
    assert explore.explore(policy_name="safe", seeds=300, mechanisms=True).findings == {}
    sweep = explore.Sweep(policy_name="naive", mechanisms=True)
    record, violations = sweep.run_seed(0)
    assert violations and sweep.replay_command(0) == "faultline replay --seed 0 --policy naive --mechanisms"
    code, out, _ = cli(capsys, "replay", "--seed", "0", "--policy", "naive", "--mechanisms", "--json")
    assert code == 1 and json.loads(out)["digest"] == record.digest
