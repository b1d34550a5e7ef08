"""Faultline's invariants: INV_XXX records that judge a run from its history and final state."""

from invariants import effects, jobs, leases, load, requests, retries, truth, workflows  # noqa: F401  (registers)
from invariants.registry import (
    LIVENESS,
    REGISTRY,
    SAFETY,
    Invariant,
    Violation,
    all_invariants,
    check_all,
    invariant,
    violated_ids,
)
from invariants.views import Views

__all__ = [
    "LIVENESS",
    "REGISTRY",
    "SAFETY",
    "Invariant",
    "Violation",
    "Views",
    "all_invariants",
    "check_all",
    "invariant",
    "violated_ids",
]
