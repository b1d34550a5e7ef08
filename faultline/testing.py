"""Helpers the FM tests share: pick a verdict apart, sweep seeds."""

from __future__ import annotations

import re
from collections.abc import Iterable

from invariants import check_all


def violations_of(result, invariant_id: str) -> list:
    return [v for v in check_all(result) if v.invariant == invariant_id]


def evidence(result, violation) -> list:
    """The events a violation points to, in order."""
    return [result.events[i] for i in violation.events]


def failing_seeds(mode, seeds: Iterable[int], *, fixed: bool = True, policy=None) -> dict:
    """{seed: [violation messages]} for every seed whose run breaks any invariant."""
    failures = {}
    for seed in seeds:
        found = check_all(mode.run(fixed=fixed, seed=seed, policy=policy))
        if found:
            failures[seed] = [v.message for v in found]
    return failures


def jobs_named(violations) -> list[str]:
    """The job each violation is about ('... violated: job j1 ...'), in order."""
    return [m.group(1) for v in violations if (m := _JOB.search(v.message))]


_JOB = re.compile(r"violated: job (\S+?)'?s? ")
