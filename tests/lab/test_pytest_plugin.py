"""The pytest plugin, as a user meets it: a project of their own (pyproject with [tool.faultline],
one FM of its own, one test using the fixture) run under pytest with the plugin, passing and failing."""

import pytest

pytest_plugins = ["pytester"]

PYPROJECT = """
[project]
name = "shop"
version = "0"

[tool.faultline]
failure_modes = "fms"
"""

SPEC = """---
id: FM_001
title: "Charge after crash → customer charged twice"
invariants: [INV_001]
seen_in: null
---

# FM_001 charged twice
"""

SCENARIO = """
from faultline import Crash, FaultPlan, JobSpec, Policy, Scenario

SCENARIO = Scenario(
    name="FM_001 charged twice",
    jobs=(JobSpec(job_id="order-7", payload={"amount": 30}),),
    workers=("w1", "w2"),
    plan=FaultPlan(faults=(Crash(actor="w1", point="worker.after_commit"),)),
)
NAIVE_POLICY = Policy.naive().evolve(lease_ms=1_000)
FIXED_POLICY = NAIVE_POLICY.evolve(idempotent_effects=True)
"""

TEST = """
import pytest
from faultline import Crash, FaultPlan, JobSpec, Policy, Scenario

CHECKOUT = Scenario(
    name="checkout",
    jobs=(JobSpec(job_id="order-7", payload={"amount": 30}),),
    plan=FaultPlan(faults=(Crash(actor="w1", point="worker.after_commit"),)),
)


@pytest.mark.faultline(seeds=20, policy=POLICY)
def test_checkout_survives_a_crash(faultline):
    verdicts = faultline.check(CHECKOUT)
    assert len(verdicts) == 20


def test_our_own_fm_breaks_then_holds(faultline):
    assert faultline.run("FM_001", fixed=False).violated == {"INV_001"}
    faultline.check("FM_001", fixed=True)
"""


@pytest.fixture
def project(pytester):
    pytester.makefile(".toml", pyproject=PYPROJECT)
    folder = pytester.path / "fms" / "FM_001_charged_twice"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "spec.md").write_text(SPEC)
    (folder / "scenario.py").write_text(SCENARIO)
    return pytester


def test_a_user_project_passes_under_the_plugin(project):
    project.makepyfile(test_checkout=TEST.replace("POLICY", '"safe"'))
    result = project.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_a_broken_policy_fails_with_the_invariant_the_evidence_and_the_replay_line(project):
    project.makepyfile(test_checkout=TEST.replace("POLICY", "Policy.naive().evolve(lease_ms=1_000)"))
    result = project.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*seed 0: 1 violation(s)*",
            "*INV_001 effect-once violated: job order-7's effect committed 2 times*",
            "*evidence #*w1 effect_committed order-7*",
            "*replay: pytest test_checkout.py::test_checkout_survives_a_crash --faultline-seed 0*",
            "*history: *seed0.jsonl*",
        ]
    )


def test_faultline_seed_replays_one_seed(project):
    project.makepyfile(test_checkout=TEST.replace("POLICY", '"safe"').replace("== 20", "== 1"))
    result = project.runpytest("-p", "no:cacheprovider", "--faultline-seed", "13", "-k", "survives")
    result.assert_outcomes(passed=1)
