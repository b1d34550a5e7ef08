"""Prove a refactor changed no behaviour: record, then compare, what the lab concludes.

For every FM (naive and fixed, seed 0): the verdicts, each violation's evidence indexes, the drill
metrics and the history digest; for explorer seeds under naive and safe: each seed's verdict set
and digest. `--write` saves them as JSON; `--check` recomputes and reports every difference.

    python benchmarks/compare_runs.py --write before.json [--seeds 2000]
    python benchmarks/compare_runs.py --check before.json
"""

from __future__ import annotations

import argparse
import json
import sys


def _api():
    """The lab's entry points, in whichever layout this checkout has."""
    import os

    if os.path.isdir(os.path.join(os.path.dirname(__file__), "..", "runtime", "core")):
        from faultline import catalog
        from faultline.explore import Sweep
        from faultline.present.metrics import registry_for, snapshot
    else:  # the layout before runtime/core, runtime/sim and faultline/
        from runtime.explore import Sweep
        from runtime.metrics import registry_for, snapshot

        from runtime import catalog
    from invariants import check_all

    return catalog, Sweep, registry_for, snapshot, check_all


def collect(seeds: int) -> dict:
    catalog, Sweep, registry_for, snapshot, check_all = _api()
    fms = {}
    for mode in catalog.catalog():
        for fixed in (False, True):
            record = mode.run(fixed=fixed)
            fms[f"{mode.id}/{'fixed' if fixed else 'naive'}"] = {
                "digest": record.digest,
                "violations": [[v.invariant, list(v.events)] for v in check_all(record)],
                "metrics": snapshot(registry_for(record)),
            }
    explored = {}
    for policy in ("naive", "safe"):
        sweep = Sweep(policy_name=policy)
        per_seed = {}
        for seed in range(seeds):
            record, violations = sweep.run_seed(seed)
            per_seed[str(seed)] = [record.digest, sorted({v.invariant for v in violations})]
        explored[policy] = per_seed
    return {"fms": fms, "explored": explored}


def compare(before: dict, after: dict) -> list[str]:
    problems = []
    for key in sorted(set(before["fms"]) | set(after["fms"])):
        a, b = before["fms"].get(key), after["fms"].get(key)
        if a is None or b is None:
            problems.append(f"{key}: only {'after' if a is None else 'before'}")
            continue
        for field in ("violations", "metrics", "digest"):
            if a[field] != b[field]:
                problems.append(f"{key}: {field} differ")
    for policy in sorted(before["explored"]):
        a, b = before["explored"][policy], after["explored"].get(policy, {})
        verdicts = sum(1 for seed in a if seed in b and a[seed][1] != b[seed][1])
        digests = sum(1 for seed in a if seed in b and a[seed][0] != b[seed][0])
        if verdicts:
            problems.append(f"explore {policy}: {verdicts} of {len(a)} seeds have other verdict sets")
        if digests:
            problems.append(f"explore {policy}: {digests} of {len(a)} seeds have other digests")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", metavar="FILE")
    action.add_argument("--check", metavar="FILE")
    parser.add_argument("--seeds", type=int, default=2000)
    args = parser.parse_args()
    if args.write:
        data = collect(args.seeds)
        with open(args.write, "w", encoding="utf-8") as stream:
            json.dump(data, stream, sort_keys=True)
        runs = len(data["fms"]) + sum(len(v) for v in data["explored"].values())
        print(f"recorded {len(data['fms'])} FM runs and {runs - len(data['fms'])} explorer seeds to {args.write}")
        return 0
    with open(args.check, encoding="utf-8") as stream:
        before = json.load(stream)
    seeds = len(next(iter(before["explored"].values())))
    after = collect(seeds)
    problems = compare(before, after)
    fm_runs = len(before["fms"])
    print(
        f"compared {fm_runs} FM runs (verdicts, evidence, metrics, digests) and {seeds} seeds x "
        f"{len(before['explored'])} policies (verdict sets, digests): {len(problems)} difference(s)"
    )
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
