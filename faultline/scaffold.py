"""`faultline fm new <name>`: scaffold the next-numbered failure-mode folder from templates.

The stubs fail on purpose and say what to fill in, so an unfinished FM can't pass as done.
"""

from __future__ import annotations

import re
from pathlib import Path

from faultline.catalog import catalog, failure_modes_dir
from runtime.core.errors import BadInputError

NAME = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", flags=re.ASCII)

SPEC = """---
id: {id}
title: "TODO: trigger → symptom (e.g. Worker crash mid-job → job stuck forever)"
invariants: []  # TODO: the INV_XXX ids the naive policy violates (see docs/01_invariants.md)
seen_in: null   # TODO: a public report, e.g. owner/repo#123
---

# {id} — TODO title

## Trigger
TODO: what happens, in one or two sentences, as fault-plan terms (crash at a point, outage…).

## Symptoms
TODO: what an operator would see.

## Violated invariants
- TODO `INV_XXX` name: which job, which events.

## Detection
TODO: the events in the history that prove it.

## Recovery / prevention
TODO: the smallest policy change that restores the invariant (a `Policy` field).

## Acceptance
- Naive: `INV_XXX` violated, with the evidence checked by `test_repro_fm{number:03d}.py`.
- Fixed: every invariant holds on the scenario and on seeds 0–199.
"""

SCENARIO = '''"""{id}: TODO one line - who does what, and what breaks."""

from runtime.core.faults import FaultPlan
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="{id} {name}",
    jobs=(JobSpec(job_id="j1", payload={{"amount": 10}}),),  # TODO: the workload
    workers=("w1", "w2"),
    plan=FaultPlan(faults=()),  # TODO: the faults that trigger it (docs/03_fault_plans.md)
)

NAIVE_POLICY = Policy.naive()  # TODO: the policy under which it breaks
FIXED_POLICY = NAIVE_POLICY.evolve()  # TODO: the smallest change that fixes it
'''

REPRO = '''"""{id} under its naive policy: TODO one sentence describing the break."""

import pytest

from faultline.catalog import find

FM = find("{id}")


def test_naive_policy_breaks_the_named_invariant():
    """Assert the spec's invariant is violated and check its evidence events (see FM_004)."""
    pytest.fail(
        "{id} repro not written yet: run FM.run(fixed=False), assert the spec's INV_XXX is in "
        "violations_of(result, ...), and check the evidence events; see "
        "docs/05_adding_a_failure_mode.md"
    )
'''

PREVENT = '''"""{id} under its fixed policy: TODO one sentence describing the fix."""

import pytest

from faultline.catalog import find

FM = find("{id}")


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    """Replace this with: assert check_all(FM.run(fixed=True)) == () and
    assert failing_seeds(FM, range(200)) == {{}} (see FM_004)."""
    pytest.fail(
        "{id} prevention not written yet: assert every invariant holds under FIXED_POLICY on "
        "the scenario and on seeds 0-199; see docs/05_adding_a_failure_mode.md"
    )
'''


def next_number(root: Path) -> int:
    return max((mode.number for mode in catalog(root)), default=0) + 1 if root.is_dir() else 1


def scaffold(name: str, root: Path | None = None) -> Path:
    """Create <root>/FM_<next>_<name>/ (root: the project's failure-mode folder) with a spec, a
    scenario and two failing stubs."""
    root = failure_modes_dir() if root is None else root
    if not isinstance(name, str) or NAME.fullmatch(name) is None or len(name) > 60:
        suggestion = re.sub(r"[^a-z0-9]+", "_", name.lower(), flags=re.ASCII).strip("_")[:60] or "lost_wakeup"
        if not suggestion[0].isalpha():
            suggestion = "fm_" + suggestion
        raise BadInputError(
            f"FM name {name!r} must be lowercase ASCII words joined by underscores (at most 60 characters), "
            f"e.g. {suggestion}"
        )
    existing = [mode for mode in catalog(root) if mode.slug == name] if root.is_dir() else []
    if existing:
        raise BadInputError(f"FM name {name!r} is taken by {existing[0].id}; choose another name")
    number = next_number(root)
    fm_id = f"FM_{number:03d}"
    folder = root / f"{fm_id}_{name}"
    files = {
        "__init__.py": "",
        "spec.md": SPEC.format(id=fm_id, number=number),
        "scenario.py": SCENARIO.format(id=fm_id, name=name.replace("_", " ")),
        f"test_repro_fm{number:03d}.py": REPRO.format(id=fm_id),
        f"test_prevent_fm{number:03d}.py": PREVENT.format(id=fm_id),
    }
    root.mkdir(parents=True, exist_ok=True)
    folder.mkdir()
    for filename, text in files.items():
        (folder / filename).write_text(text, encoding="utf-8")
    return folder


FOUND_SPEC = """---
id: {id}
title: "{title}"
invariants: [{invariant}]
seen_in: null  # TODO: a public report of this failure happening for real, if you know one
---

# {id} — {title}

Found by `faultline explore --policy {policy}` at seed {seed} and shrunk to {faults} fault(s) on
{jobs} job(s) and {workers} worker(s); promoted with `faultline fm new {name} --from {source}`.

## Trigger
The shrunk fault plan in `scenario.py`: {plan}.

## Violated invariants
- `{invariant}` {invariant_name}: {statement}

## Recovery / prevention
`Policy.safe()` holds (the prevention test). TODO: find the smallest policy change that restores
`{invariant}` (`faultline compare --policy {policy} --policy safe`), and make it FIXED_POLICY.

## Acceptance
- Naive: `{invariant}` violated (`test_repro_fm{number:03d}.py`).
- Fixed: every invariant holds on the scenario and on seeds 0–199.
"""

FOUND_SCENARIO = '''"""{id}: found by the explorer ({invariant} under {policy}, seed {seed}), shrunk, promoted."""

import attrs

from faultline.explore import policy_named, scenario_for
from runtime.core.faults import FaultPlan
from runtime.core.policy import Policy

PLAN = FaultPlan.from_dict({plan!r})
SCENARIO = attrs.evolve(scenario_for({jobs}, {workers}, PLAN), name="{id} {name}")

NAIVE_POLICY = policy_named("{policy}").with_overrides({overrides!r})
FIXED_POLICY = Policy.safe()  # TODO: the smallest change to NAIVE_POLICY that restores {invariant}
'''

FOUND_REPRO = '''"""{id} under the policy the explorer found it with: {invariant} breaks."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("{id}")


def test_the_explorer_s_finding_reproduces():
    for seed in (0, {seed}):
        result = FM.run(fixed=False, seed=seed)
        found = violations_of(result, "{invariant}")
        assert found, seed
        assert all(evidence(result, violation) for violation in found)  # every verdict names its events
'''

FOUND_PREVENT = '''"""{id} under the fixed policy: every invariant holds."""

from invariants import check_all

from faultline.catalog import find
from faultline.testing import failing_seeds

FM = find("{id}")


def test_fixed_policy_holds_on_the_scenario():
    assert check_all(FM.run(fixed=True)) == ()


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {{}}
'''


def scaffold_from(name: str, source: Path, root: Path | None = None) -> Path:
    """An FM folder from a plan the explorer shrank (`explore --shrink` writes how it was found into
    the file): the shrunk workload and plan as the scenario, a repro test of the invariant found and
    a prevention test against `Policy.safe()`."""
    import json

    from faultline.explore import policy_named, scenario_for
    from faultline.inputs import MAX_PLAN_CHARS, read_text_file
    from invariants import REGISTRY, check_all
    from runtime.core.faults import FaultPlan
    from runtime.core.scenario import validate_plan
    from runtime.sim import run

    text = read_text_file(source, max_chars=MAX_PLAN_CHARS, noun="--from", fix="give a shrunk-*.json")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        why = str(error).splitlines()[0][:80] if isinstance(error, ValueError) else "nested too deeply"
        raise BadInputError(f"--from {str(source)!r} cannot be read as JSON ({why}); give a shrunk-*.json") from None
    found = data.get("found") if isinstance(data, dict) else None
    kinds = {"invariant": str, "seed": int, "policy": str, "overrides": dict, "jobs": int, "workers": int}
    if (
        not isinstance(found, dict)
        or "faults" not in data
        or any(not isinstance(found.get(key), kind) or isinstance(found.get(key), bool) for key, kind in kinds.items())
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in found["overrides"].items())
    ):
        raise BadInputError(
            f"--from {str(source)!r} is not a shrunk finding (no complete 'found' record); "
            "make one with: faultline explore --policy naive --shrink"
        )
    plan = FaultPlan.from_dict({"faults": data["faults"]})
    invariant, policy_name = found["invariant"], found["policy"]
    if invariant not in REGISTRY:
        raise BadInputError(f"--from {str(source)!r} names unknown invariant {invariant!r}")
    policy = policy_named(policy_name).with_overrides(found["overrides"])
    scenario = scenario_for(found["jobs"], found["workers"], plan)
    validate_plan(scenario, policy)
    if invariant not in {v.invariant for v in check_all(run(scenario, policy, 0))}:
        raise BadInputError(
            f"--from {str(source)!r}: {invariant} does not break at seed 0 (the FM targets run seed 0); "
            f"it was found at seed {found['seed']}"
        )
    folder = scaffold(name, root)
    fm_id, number = folder.name[:6], int(folder.name[3:6])
    facts = {
        "id": fm_id,
        "number": number,
        "name": name,
        "invariant": invariant,
        "invariant_name": REGISTRY[invariant].name,
        "statement": REGISTRY[invariant].statement,
        "policy": policy_name,
        "overrides": dict(found["overrides"]),
        "seed": found["seed"],
        "jobs": found["jobs"],
        "workers": found["workers"],
        "faults": len(plan.faults),
        "plan": plan.to_dict(),
        "source": source.name,
        "title": f"Found by the explorer: {REGISTRY[invariant].name} under {policy_name}",
    }
    files = {
        "spec.md": FOUND_SPEC,
        "scenario.py": FOUND_SCENARIO,
        f"test_repro_fm{number:03d}.py": FOUND_REPRO,
        f"test_prevent_fm{number:03d}.py": FOUND_PREVENT,
    }
    for filename, template in files.items():
        (folder / filename).write_text(template.format(**facts), encoding="utf-8")
    return folder
