"""The explorer: swarm plans per seed, findings under naive, none under safe, exact replay,
shards and processes that add up, and shrinking to a plan that still fails."""

import json
import os
import subprocess
import sys

import pytest

from runtime import explore
from runtime.faults import FaultPlan
from runtime.shrink import Case, shrink
from tests.builders import call_cli

FM_001_TO_003 = {"INV_001", "INV_002", "INV_004"}
LATER_FMS = {"INV_003", "INV_005", "INV_006", "INV_007", "INV_009"}


cli = call_cli


def test_each_seed_draws_its_own_plan_the_same_way_every_time():
    plans = [explore.draw_plan(seed) for seed in range(50)]
    assert plans == [explore.draw_plan(seed) for seed in range(50)]
    assert len({p.to_json() for p in plans}) == 50
    kinds_per_seed = [{f.kind for f in p.faults} for p in plans]
    assert len({frozenset(k) for k in kinds_per_seed}) > 10  # swarm: different subsets of kinds
    assert FaultPlan.from_json(plans[7].to_json()) == plans[7]


def test_naive_exploration_finds_every_reachable_failure_mode():
    report = explore.explore(policy_name="naive", seeds=200)
    assert set(report.findings) >= FM_001_TO_003 | LATER_FMS


def test_safe_exploration_finds_nothing_on_1000_seeds():
    assert explore.explore(policy_name="safe", seeds=1000).findings == {}


def test_shards_add_up_to_the_whole_sweep():
    whole = explore.explore(policy_name="naive", seeds=60, start=5).to_json_dict()
    for n in (2, 3):
        parts = [
            explore.explore(policy_name="naive", seeds=60, start=5, shard=(i, n)).to_json_dict()
            for i in range(1, n + 1)
        ]
        assert sorted(s for i in range(1, n + 1) for s in explore.shard_seeds(5, 60, (i, n))) == list(range(5, 65))
        merged = explore.merge_reports(parts)
        assert merged == {k: whole[k] for k in ("policy", "seeds", "start", "violations")}


def test_processes_give_the_same_findings_as_one_process():
    one = explore.explore(policy_name="naive", seeds=40)
    two = explore.explore(policy_name="naive", seeds=40, processes=2, batch_size=7)
    assert one.findings == two.findings


def test_replay_in_a_new_process_prints_the_explorers_digest(capsys):
    code, out, _ = cli(capsys, "explore", "--seeds", "20", "--json")
    first_seed = json.loads(out)["violations"]["INV_001"]["first_seed"]
    expected = explore.outcome(first_seed, "naive", 50, 4)
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from runtime.cli import main; main()",
            "replay",
            "--seed",
            str(first_seed),
            "--policy",
            "naive",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    data = json.loads(done.stdout)
    assert done.returncode == 1
    assert data["digest"] == expected.digest
    assert sorted({v["invariant"] for v in data["violations"]}) == list(expected.violated)


def test_shrunk_plan_is_no_bigger_and_still_fails_through_run_plan(capsys, tmp_path):
    code, out, _ = cli(
        capsys,
        "replay",
        "--seed",
        "1",
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
        "1",
        "--json",
    )
    assert code == 1 and "INV_001" in {v["invariant"] for v in json.loads(out)["violations"]}


@pytest.mark.parametrize("seed, invariant", [(0, "INV_004"), (1, "INV_007"), (1, "INV_003"), (0, "INV_009")])
def test_shrinking_keeps_the_invariant_broken_with_fewer_faults(seed, invariant):
    case = Case(jobs=50, workers=4, plan=explore.draw_plan(seed))
    found = shrink(
        invariant=invariant, case=case, policy=explore.POLICIES["naive"], seed=seed, workload=explore.scenario_for
    )
    assert len(found.minimal.plan.faults) < len(case.plan.faults)
    assert found.minimal.jobs <= 50 and found.minimal.workers <= 4
    _, violations = explore.run_seed(seed, "naive", found.minimal.jobs, found.minimal.workers, found.minimal.plan)
    assert invariant in {v.invariant for v in violations}


def test_explore_on_a_local_dask_cluster_matches_local_processes():
    local = explore.explore(policy_name="naive", seeds=30)
    on_dask = explore.explore(policy_name="naive", seeds=30, dask_address="local")
    assert on_dask.findings == local.findings


@pytest.mark.parametrize(
    "argv, message",
    [
        (["explore", "--shard", "0/2"], "--shard must look like i/n"),
        (["explore", "--policy", "yolo"], "unknown explorer policy 'yolo'"),
        (["explore", "--seeds", "0"], "--seeds must be at least 1"),
        (["explore", "--jobs", "0"], "--jobs must be between 1 and 10000"),
        (["replay", "--seed", "x"], "seed must be a non-negative integer"),
        (["replay", "--seed", "2", "--policy", "safe", "--shrink"], "violates no invariant under safe"),
        (["run", "FM_001", "--jobs", "3"], "describe the standard workload"),
        (["run", "--fix"], "--fix and --expect-violation need an FM"),
    ],
)
def test_explorer_input_errors_are_one_line_exit_2(capsys, argv, message):
    code, out, err = cli(capsys, *argv)
    assert code == 2 and message in err and err.count("\n") == 1 and out == ""


def test_horizon_leaves_room_for_slow_poison_jobs_found_at_seed_269():
    """Regression: one worker, two ~4 s poison jobs under safe is 64 s of legitimate work; a fixed
    60 s horizon judged it lost while it was still working. The plan now sets the horizon."""
    plan = explore.draw_plan(269, 5, 1)
    slow_poison = {f.job for f in plan.faults if f.kind == "poison_job"} & {
        f.job for f in plan.faults if f.kind == "slow_job"
    }
    assert slow_poison  # the seed still draws the case it was found with
    assert explore.horizon_for(plan) > explore.HORIZON_MS
    assert explore.horizon_for(FaultPlan()) == explore.HORIZON_MS
    result, violations = explore.run_seed(269, "safe", 5, 1)
    assert violations == () and result.end_ms < result.scenario.horizon_ms
    assert set(result.final.dead_letters) == {f.job for f in plan.faults if f.kind == "poison_job"}
