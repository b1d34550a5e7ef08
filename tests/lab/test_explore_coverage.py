"""The explorer reaches every mechanism it switches on: each one's events occur (each fault kind bites)
in at least 10% of the seeds of the workload it lives on. A mechanism no seed reaches is a mechanism
nothing checks."""

import pytest

from faultline import explore

ROOT = "examples"
SEEDS = 100
# each sweep -> the mechanisms and fault kinds that live on it
SWEEPS = {
    "safe": (dict(policy_name="safe"), ["dead letters", "lease expiry", "fault:redrive", "fault:heartbeat_stop"]),
    "naive": (
        dict(policy_name="naive"),
        [f"fault:{kind}" for kind in explore.FAULT_KINDS if kind not in ("redrive", "heartbeat_stop")],
    ),
    "safe-mechanisms": (dict(policy_name="safe", mechanisms=True), ["batches"]),
    "naive-mechanisms": (dict(policy_name="naive", mechanisms=True), ["batch acks", "republished retries"]),
    "etl": (dict(policy_name="safe", workload=f"{ROOT}/etl_fanout.yml"), ["task dispatch", "fan-in"]),
    "periodic": (dict(policy_name="safe", workload=f"{ROOT}/periodic.yml"), ["leader election"]),
}


@pytest.mark.parametrize("sweep", sorted(SWEEPS))
def test_every_mechanism_and_fault_kind_is_reached_in_a_tenth_of_its_seeds(sweep):
    options, names = SWEEPS[sweep]
    seeds = SEEDS // 2 if options["policy_name"] == "naive" else SEEDS  # a naive seed runs to its time limit
    report = explore.explore(seeds=seeds, coverage=True, **options)
    reached = {name: report.coverage.get(name, (0, 0))[1] for name in names}
    assert {name: count for name, count in reached.items() if count < seeds / 10} == {}, reached


def test_a_redrive_is_drawn_where_dead_letters_can_exist():
    policy = explore.policy_named("safe")
    horizon = explore.dead_letter_horizon_ms(policy, [(explore.JOB_DURATION_MS, None, None)])
    assert horizon > 0
    redrives = [f for seed in range(300) for f in explore.draw_plan(seed, policy=policy).faults if f.kind == "redrive"]
    assert redrives and min(f.at_ms for f in redrives) >= horizon
    assert explore.dead_letter_horizon_ms(explore.policy_named("naive"), [(20, None, None)]) == 0  # never
