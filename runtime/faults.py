"""Faults as data: FaultPlan (explicit faults, JSON in and out) and the FaultInjector that decides.

Components call the injector at named fault points; only the injector decides what happens there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from runtime.errors import FaultPlanError

# Named fault points: where components ask the injector "does something break here?"
WORKER_AFTER_LEASE = "worker.after_lease"
WORKER_BEFORE_COMMIT = "worker.before_commit"
WORKER_AFTER_COMMIT = "worker.after_commit"
CLIENT_AFTER_SUBMIT = "client.after_submit"
CLIENT_BEFORE_BUSINESS_COMMIT = "client.before_business_commit"
WORKER_POINTS = (WORKER_AFTER_LEASE, WORKER_BEFORE_COMMIT, WORKER_AFTER_COMMIT)
FAULT_POINTS = (
    WORKER_AFTER_LEASE,
    WORKER_BEFORE_COMMIT,
    WORKER_AFTER_COMMIT,
    CLIENT_AFTER_SUBMIT,
    CLIENT_BEFORE_BUSINESS_COMMIT,
)


def _non_negative(instance, attribute, value):
    if value < 0:
        raise FaultPlanError(f"{attribute.name} must be >= 0, got {value}")


def _positive(instance, attribute, value):
    if value < 1:
        raise FaultPlanError(f"{attribute.name} must be >= 1, got {value}")


def _known_point(instance, attribute, value):
    if value not in FAULT_POINTS:
        raise FaultPlanError(f"unknown fault point {value!r} (known: {', '.join(FAULT_POINTS)})")


@attrs.frozen(kw_only=True)
class Crash:
    """Kill `actor` when it reaches `point` for the `hit`-th time; it restarts with empty memory."""

    kind: ClassVar[str] = "crash"
    actor: str
    point: str = attrs.field(validator=_known_point)
    hit: int = attrs.field(default=1, validator=_positive)


@attrs.frozen(kw_only=True)
class Pause:
    """Freeze `actor` for `duration_ms` at its `hit`-th visit to `point` (a GC or VM pause)."""

    kind: ClassVar[str] = "pause"
    actor: str
    point: str = attrs.field(validator=_known_point)
    hit: int = attrs.field(default=1, validator=_positive)
    duration_ms: int = attrs.field(validator=_positive)


@attrs.frozen(kw_only=True)
class DuplicateDelivery:
    """The broker loses the ack of job `job` and delivers it once more."""

    kind: ClassVar[str] = "duplicate_delivery"
    job: str


@attrs.frozen(kw_only=True)
class StoreOutage:
    """Every store call in [start_ms, end_ms) fails with store-unavailable."""

    kind: ClassVar[str] = "store_outage"
    start_ms: int = attrs.field(validator=_non_negative)
    end_ms: int = attrs.field(validator=_non_negative)

    def __attrs_post_init__(self):
        if self.end_ms <= self.start_ms:
            raise FaultPlanError(f"store_outage end_ms ({self.end_ms}) must be after start_ms ({self.start_ms})")


@attrs.frozen(kw_only=True)
class ClockSkew:
    """`actor`'s clock reads `skew_ms` ahead of true time (negative: behind)."""

    kind: ClassVar[str] = "clock_skew"
    actor: str
    skew_ms: int


@attrs.frozen(kw_only=True)
class SubmitTimeout:
    """The client's submit call for request `job` succeeds, but the reply is lost: it retries."""

    kind: ClassVar[str] = "submit_timeout"
    job: str


@attrs.frozen(kw_only=True)
class SlowJob:
    """Job `job` takes `duration_ms` per attempt instead of its usual time (a long job)."""

    kind: ClassVar[str] = "slow_job"
    job: str
    duration_ms: int = attrs.field(validator=_positive)


@attrs.frozen(kw_only=True)
class PoisonJob:
    """Job `job` carries a payload its handler can never process (a poison job)."""

    kind: ClassVar[str] = "poison_job"
    job: str


FAULT_TYPES: dict[str, type] = {
    cls.kind: cls
    for cls in (Crash, Pause, DuplicateDelivery, StoreOutage, ClockSkew, SubmitTimeout, SlowJob, PoisonJob)
}
Fault = Crash | Pause | DuplicateDelivery | StoreOutage | ClockSkew | SubmitTimeout | SlowJob | PoisonJob


def fault_to_dict(fault: Fault) -> dict[str, Any]:
    return {"kind": fault.kind, **attrs.asdict(fault)}


def fault_from_dict(data: Any, position: int) -> Fault:
    where = f"fault #{position}"
    if not isinstance(data, Mapping):
        raise FaultPlanError(f"{where} must be a JSON object, got {type(data).__name__}")
    kind = data.get("kind")
    cls = FAULT_TYPES.get(kind)
    if cls is None:
        raise FaultPlanError(f"{where}: unknown kind {kind!r} (known: {', '.join(FAULT_TYPES)})")
    fields = {f.name: f for f in attrs.fields(cls)}
    extra = sorted(set(data) - set(fields) - {"kind"})
    if extra:
        raise FaultPlanError(f"{where} ({kind}): unknown field {extra[0]!r} (fields: {', '.join(fields)})")
    for name, field in fields.items():
        if name not in data:
            if field.default is attrs.NOTHING:
                raise FaultPlanError(f"{where} ({kind}): missing field {name!r}")
            continue
        expected = int if field.type in ("int", int) else str
        value = data[name]
        if type(value) is not expected:
            raise FaultPlanError(f"{where} ({kind}): field {name!r} must be {expected.__name__}, got {value!r}")
    try:
        return cls(**{k: v for k, v in data.items() if k != "kind"})
    except FaultPlanError as error:
        raise FaultPlanError(f"{where} ({kind}): {error}") from None


@attrs.frozen(kw_only=True)
class FaultPlan:
    """An explicit, ordered list of faults. Prints and parses as JSON so any run can be replayed."""

    faults: tuple[Fault, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"faults": [fault_to_dict(f) for f in self.faults]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: Any) -> FaultPlan:
        if not isinstance(data, Mapping) or set(data) != {"faults"}:
            raise FaultPlanError(
                'a fault plan is a JSON object {"faults": [...]}; '
                f"got keys {sorted(data) if isinstance(data, Mapping) else type(data).__name__}"
            )
        if not isinstance(data["faults"], list):
            raise FaultPlanError('"faults" must be a JSON list of fault objects')
        return cls(faults=tuple(fault_from_dict(f, i) for i, f in enumerate(data["faults"], 1)))

    @classmethod
    def from_json(cls, text: str, source: str = "fault plan") -> FaultPlan:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise FaultPlanError(
                f"{source} is not valid JSON ({error.msg} at line {error.lineno} "
                f"column {error.colno}); see docs/03_fault_plans.md for the format"
            ) from None
        return cls.from_dict(data)

    def outages(self) -> tuple[StoreOutage, ...]:
        return tuple(f for f in self.faults if isinstance(f, StoreOutage))


class FaultInjector:
    """Decides, at each named fault point, whether a fault fires. Pure lookup on the plan."""

    __slots__ = (
        "_at_point",
        "_hits",
        "outages",
        "_duplicates",
        "_submit_timeouts",
        "skews",
        "slow_jobs",
        "poisoned",
    )

    def __init__(self, plan: FaultPlan) -> None:
        self._at_point: dict[tuple[str, str], list[Crash | Pause]] = {}
        self._hits: dict[tuple[str, str], int] = {}
        self._duplicates: dict[str, int] = {}
        self._submit_timeouts: dict[str, int] = {}
        self.skews: dict[str, int] = {}
        self.slow_jobs: dict[str, int] = {}
        self.poisoned: set[str] = set()
        for fault in plan.faults:
            if isinstance(fault, Crash | Pause):
                self._at_point.setdefault((fault.actor, fault.point), []).append(fault)
            elif isinstance(fault, DuplicateDelivery):
                self._duplicates[fault.job] = self._duplicates.get(fault.job, 0) + 1
            elif isinstance(fault, SubmitTimeout):
                self._submit_timeouts[fault.job] = self._submit_timeouts.get(fault.job, 0) + 1
            elif isinstance(fault, ClockSkew):
                self.skews[fault.actor] = fault.skew_ms
            elif isinstance(fault, SlowJob):
                self.slow_jobs[fault.job] = fault.duration_ms
            elif isinstance(fault, PoisonJob):
                self.poisoned.add(fault.job)
        self.outages = tuple(sorted((f.start_ms, f.end_ms) for f in plan.outages()))

    def has_point_faults(self, actor: str) -> bool:
        """Whether any crash or pause is planned for `actor` (lets it skip its fault points)."""
        return any(key[0] == actor for key in self._at_point)

    def hit(self, point: str, actor: str) -> Crash | Pause | None:
        """Count `actor`'s visit to `point`; return the fault planned for this visit, if any."""
        key = (actor, point)
        planned = self._at_point.get(key)
        if planned is None:
            return None
        count = self._hits.get(key, 0) + 1
        self._hits[key] = count
        for fault in planned:
            if fault.hit == count:
                return fault
        return None

    def store_down(self, now_ms: int) -> bool:
        return any(start <= now_ms < end for start, end in self.outages)

    def take_duplicate(self, job_id: str) -> bool:
        left = self._duplicates.get(job_id, 0)
        if left:
            self._duplicates[job_id] = left - 1
        return bool(left)

    def take_submit_timeout(self, request_id: str) -> bool:
        left = self._submit_timeouts.get(request_id, 0)
        if left:
            self._submit_timeouts[request_id] = left - 1
        return bool(left)

    def last_fault_ms(self) -> int:
        """When the last time-bound fault ends: the run is not quiet before this."""
        return max((end for _, end in self.outages), default=0)
