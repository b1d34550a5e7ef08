"""RunRecord: what a run leaves behind - its history, which opens with a header (`run_started`) and
closes with how it ended and the final state (`run_ended`). Judges read only this."""

from __future__ import annotations

import contextlib
import functools
import gc
import json
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from runtime.core import history as ev
from runtime.core.errors import BadInputError
from runtime.core.faults import FaultPlan
from runtime.core.history import Event
from runtime.core.policy import Policy
from runtime.core.ports import QueuePort, RunsPort, StorePort
from runtime.core.scenario import Scenario, request_entries


@attrs.frozen(kw_only=True)
class RunRecord:
    events: tuple[Event, ...] = attrs.field(repr=False)
    scenario: Any = attrs.field(default=None, eq=False, repr=False)
    """The live Scenario, for presentation only (None when read from a file); judges never use it."""
    policy: Any = attrs.field(default=None, eq=False, repr=False)
    steps: int = attrs.field(default=0, eq=False)

    @property
    def header(self) -> Mapping[str, Any]:
        return self.events[0].detail

    @property
    def closing(self) -> Mapping[str, Any]:
        return self.events[-1].detail

    @property
    def final(self) -> Mapping[str, Any]:
        final: Mapping[str, Any] = self.closing["final"]
        return final

    @property
    def end_ms(self) -> int:
        return self.events[-1].time_ms

    @property
    def seed(self) -> int:
        return int(self.header["seed"])

    @property
    def workers(self) -> tuple[str, ...]:
        return tuple(self.header["workers"])

    @functools.cached_property
    def plan(self) -> FaultPlan:
        return FaultPlan.from_dict(self.header["plan"])

    @functools.cached_property
    def digest(self) -> str:
        return ev.digest(self.events)

    def jsonl(self) -> str:
        return ev.to_jsonl(self.events)

    @classmethod
    def from_jsonl(cls, text: str, source: str = "history") -> RunRecord:
        """A record read back from its canonical JSON Lines (e.g. `faultline run --history`)."""
        try:
            events = ev.from_jsonl(text)
        except (ValueError, KeyError, TypeError) as error:
            raise BadInputError(f"{source} is not a Faultline history ({error}); see docs/02_history.md") from None
        if not events or events[0].kind != ev.RUN_STARTED or events[-1].kind != ev.RUN_ENDED:
            raise BadInputError(f"{source} must open with run_started and close with run_ended (docs/02_history.md)")
        previous = events[0]
        for position, event in enumerate(events):
            if event.index != position:
                raise BadInputError(
                    f"{source}: event on line {position + 1} has index {event.index!r}; an event's index is its "
                    "position in the history, from 0 (docs/02_history.md)"
                )
            if not isinstance(event.time_ms, int) or isinstance(event.time_ms, bool):
                raise BadInputError(f"{source}: event #{position} has time {event.time_ms!r}; times are integer ms")
            if event.time_ms < previous.time_ms:
                raise BadInputError(
                    f"{source}: time runs backwards at event #{position} ({event.time_ms} ms after "
                    f"#{previous.index} at {previous.time_ms} ms); a history is in time order (docs/02_history.md)"
                )
            previous = event
        return cls(events=events)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a run is built or judged.

    A run allocates thousands of small records (events, ledger rows, view entries) that live until
    the run is judged, and frees them by reference counting (the simulator breaks its own cycles
    when it ends), so a collection mid-run or mid-check only rescans live objects: 5-10% of a sweep
    (benchmarks/README.md). Nested pauses are fine; the outermost one restores the collector."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_header(
    scenario: Scenario, policy: Policy, seed: int, time_limit_ms: int, world: str | None = None
) -> dict[str, Any]:
    """What `run_started` records: everything a judge needs besides the events (both worlds; `world`
    is "real" for the real world, left out for the simulator)."""
    header = {
        "seed": seed,
        "scenario": scenario.name,
        "policy": policy.to_dict(),
        "plan": scenario.plan.to_dict(),
        "attempt_bound": policy.attempt_bound,
        "store_capacity_per_s": scenario.store_capacity_per_s,
        "time_limit_ms": time_limit_ms,
        "workers": list(scenario.workers),
        "requests": request_entries(scenario.jobs),
    }
    if world is not None:
        header["world"] = world
    if scenario.leader_lock != "store":  # the lock's elections are not the store's writes (INV_017)
        header["leader_lock"] = scenario.leader_lock
    if scenario.broker is not None:
        header["broker"] = scenario.broker
    return header


def final_state(queue: QueuePort, store: StorePort, runs: RunsPort | None = None) -> dict[str, Any]:
    """The ground truth read from the queue and the store (any implementation of the ports) at the end,
    and the workflow runs when a workflow ran."""
    state = {**queue.snapshot(), **store.snapshot()}
    if runs is not None:
        state["runs"] = runs.snapshot()
    return state


def as_json(value: Any) -> Any:
    """A header value as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(value))
