"""Faults as data: FaultPlan (explicit faults, JSON in and out), the named fault points where the
protocol asks "does something break here?", and the check that a plan's faults can fire.

Deciding what happens at a point is the injector's job, in each world (runtime.sim.injector).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, TypeVar

import attrs

from runtime.core.errors import FaultPlanError

if TYPE_CHECKING:
    from runtime.core.policy import Policy
    from runtime.core.ports import Delivery

F = TypeVar("F")

# Named fault points: where components ask the injector "does something break here?"
WORKER_AFTER_LEASE = "worker.after_lease"
WORKER_BEFORE_COMMIT = "worker.before_commit"
WORKER_AFTER_COMMIT = "worker.after_commit"
WORKER_AFTER_RETRY = "worker.after_retry"  # the retry arranged; with republish, before the original's ack
CLIENT_AFTER_SUBMIT = "client.after_submit"
CLIENT_BEFORE_BUSINESS_COMMIT = "client.before_business_commit"
RELAY_AFTER_READ = "relay.after_read"
RELAY_AFTER_PUBLISH = "relay.after_publish"
DISPATCHER_AFTER_FIRST_WRITE = "dispatcher.after_first_write"  # naive: enqueued, not yet marked
SCHEDULER_BEFORE_TRIGGER = "scheduler.before_trigger"
WORKER_MID_COMMIT = "worker.mid_commit"
"""Inside the store call that commits the effect, between its statements (the ledger row written, the
idempotency key not yet): the real world dies there with the transaction open, so nothing of it
lands. In the simulator the store call is one step, and a crash there lands nothing either."""
WORKER_POINTS = (WORKER_AFTER_LEASE, WORKER_BEFORE_COMMIT, WORKER_AFTER_COMMIT, WORKER_AFTER_RETRY)
"""The worker points the explorer draws from (worker.mid_commit lands what worker.before_commit does)."""
CLIENT_POINTS = (CLIENT_AFTER_SUBMIT, CLIENT_BEFORE_BUSINESS_COMMIT)
RELAY_POINTS = (RELAY_AFTER_READ, RELAY_AFTER_PUBLISH)
WORKFLOW_POINTS = (DISPATCHER_AFTER_FIRST_WRITE, SCHEDULER_BEFORE_TRIGGER)
FAULT_POINTS = WORKER_POINTS + (WORKER_MID_COMMIT,) + CLIENT_POINTS + RELAY_POINTS + WORKFLOW_POINTS
# Decision points a plan cannot name directly: the injector answers them from the plan's other kinds.
CLIENT_REPLY = "client.reply"  # submit_timeout: the submit worked, the reply is lost
QUEUE_ACK = "queue.ack"  # duplicate_delivery: the broker loses an accepted ack
STORE_CALL = "store.call"  # store_outage: the store refuses every call in the window
WORKER_CLOCK = "worker.clock"  # clock_skew: how far the worker's clock is off
WORKER_HEARTBEAT = "worker.heartbeat"  # heartbeat_stop: the worker's lease renewals stop, its job runs on
BROKER_PUBLISH = "broker.publish"  # lost_publish: the connection drops with the job's publish on the way
ALL_POINTS = frozenset((*FAULT_POINTS, CLIENT_REPLY))
"""Every point a protocol visits (a protocol told nothing else visits them all)."""
CLIENT = "client"
RELAY = "relay"

# Upper bounds: a plan beyond them is a typo, not an experiment (and would stretch the time limit).
MAX_DURATION_MS = 3_600_000
MAX_START_MS = 86_400_000
MAX_HIT = 1_000


def _bounded(low: int, high: int) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise FaultPlanError(f"{attribute.name} must be an integer in [{low}, {high}], got {value!r}")

    return check


def _known_point(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value not in FAULT_POINTS:
        raise FaultPlanError(f"unknown fault point {value!r} (known: {', '.join(FAULT_POINTS)})")


@attrs.frozen(kw_only=True)
class Crash:
    """Kill `actor` when it reaches `point` for the `hit`-th time; it restarts with empty memory."""

    kind: ClassVar[str] = "crash"
    actor: str
    point: str = attrs.field(validator=_known_point)
    hit: int = attrs.field(default=1, validator=_bounded(1, MAX_HIT))


@attrs.frozen(kw_only=True)
class Pause:
    """Freeze `actor` for `duration_ms` at its `hit`-th visit to `point` (a GC or VM pause)."""

    kind: ClassVar[str] = "pause"
    actor: str
    point: str = attrs.field(validator=_known_point)
    hit: int = attrs.field(default=1, validator=_bounded(1, MAX_HIT))
    duration_ms: int = attrs.field(validator=_bounded(1, MAX_DURATION_MS))


@attrs.frozen(kw_only=True)
class CrashJob:
    """Job `job` kills whichever worker reaches `point` while running it (a job that segfaults)."""

    kind: ClassVar[str] = "crash_job"
    job: str
    point: str = attrs.field(default=WORKER_BEFORE_COMMIT, validator=_known_point)


@attrs.frozen(kw_only=True)
class DuplicateDelivery:
    """The broker loses the ack of job `job` and delivers it once more."""

    kind: ClassVar[str] = "duplicate_delivery"
    job: str


@attrs.frozen(kw_only=True)
class StoreOutage:
    """Every store call in [start_ms, end_ms) fails with store-unavailable."""

    kind: ClassVar[str] = "store_outage"
    start_ms: int = attrs.field(validator=_bounded(0, MAX_START_MS))
    end_ms: int = attrs.field(validator=_bounded(0, MAX_START_MS + MAX_DURATION_MS))

    def __attrs_post_init__(self) -> None:
        if self.end_ms <= self.start_ms:
            raise FaultPlanError(f"store_outage end_ms ({self.end_ms}) must be after start_ms ({self.start_ms})")
        if self.end_ms - self.start_ms > MAX_DURATION_MS:
            raise FaultPlanError(
                f"store_outage lasts {self.end_ms - self.start_ms} ms; at most {MAX_DURATION_MS} ms (one hour)"
            )


@attrs.frozen(kw_only=True)
class ClockSkew:
    """Worker `actor`'s clock reads `skew_ms` ahead of true time (negative: behind)."""

    kind: ClassVar[str] = "clock_skew"
    actor: str
    skew_ms: int = attrs.field(validator=_bounded(-MAX_DURATION_MS, MAX_DURATION_MS))


@attrs.frozen(kw_only=True)
class HeartbeatStop:
    """At `at_ms`, the heartbeat of the lease worker `actor` is renewing dies (its renewal thread, its
    timer): that lease is renewed no more. Whether the job notices depends on `heartbeat_mode`."""

    kind: ClassVar[str] = "heartbeat_stop"
    actor: str
    at_ms: int = attrs.field(validator=_bounded(0, MAX_START_MS))


class SilencedHeartbeat:
    """The one rule both worlds' drivers apply to a worker's lease renewals under a heartbeat_stop: the
    first renewal due at or after `at_ms` finds the heartbeat dead; it is recorded (`heartbeat_stopped`)
    and that lease is renewed no more (later leases get a heartbeat of their own). What the worker hears
    depends on who renews (`heartbeat_mode`): a heartbeat thread's death goes unnoticed - the job is
    answered as if its lease were renewed and runs on; a job that renews in its own loop sees the
    renewal fail and abandons the attempt (`lease_lost`)."""

    __slots__ = ("at_ms", "_token", "_unnoticed")

    def __init__(self, stop: HeartbeatStop, policy: Policy) -> None:
        self.at_ms = stop.at_ms
        self._token: int | None = None
        self._unnoticed = policy.heartbeat_mode == "thread"

    def renew(self, now_ms: int, delivery: Delivery, send: Callable[[], Any], record: Callable[[], Any]) -> Any:
        """`send()` renews for real; `record()` writes the heartbeat_stopped event. Returns what the
        worker's Renew returns: the delivery (renewed, or so it believes), or None (the lease is lost)."""
        if self._token is None and now_ms >= self.at_ms:
            self._token = delivery.token
            record()
        if delivery.token != self._token:
            return send()
        return delivery if self._unnoticed else None


@attrs.frozen(kw_only=True)
class SubmitTimeout:
    """The client's submit call for request `job` succeeds, but the reply is lost: it retries."""

    kind: ClassVar[str] = "submit_timeout"
    job: str


@attrs.frozen(kw_only=True)
class LostPublish:
    """The client's broker connection drops while its publish of request `job` is on the way: the
    broker never gets it (publisher confirms tell the client, which publishes again). A scenario with
    a broker only."""

    kind: ClassVar[str] = "lost_publish"
    job: str


@attrs.frozen(kw_only=True)
class SlowJob:
    """Job `job` takes `duration_ms` per attempt instead of its usual time (a long job)."""

    kind: ClassVar[str] = "slow_job"
    job: str
    duration_ms: int = attrs.field(validator=_bounded(1, MAX_DURATION_MS))


@attrs.frozen(kw_only=True)
class PoisonJob:
    """Job `job` carries a payload its handler can never process (a poison job)."""

    kind: ClassVar[str] = "poison_job"
    job: str


@attrs.frozen(kw_only=True)
class Redrive:
    """At `at_ms` an operator moves every dead-lettered job back to the queue (a dead-letter redrive);
    the policy's `redrive_ids` says whether they keep their job ids or get new ones."""

    kind: ClassVar[str] = "redrive"
    at_ms: int = attrs.field(validator=_bounded(0, MAX_START_MS))


FAULT_CLASSES = (
    Crash,
    Pause,
    CrashJob,
    DuplicateDelivery,
    StoreOutage,
    ClockSkew,
    SubmitTimeout,
    SlowJob,
    PoisonJob,
    Redrive,
    HeartbeatStop,
    LostPublish,
)
FAULT_TYPES: dict[str, type] = {cls.kind: cls for cls in FAULT_CLASSES}
Fault = (
    Crash
    | Pause
    | CrashJob
    | DuplicateDelivery
    | StoreOutage
    | ClockSkew
    | SubmitTimeout
    | SlowJob
    | PoisonJob
    | Redrive
    | HeartbeatStop
    | LostPublish
)
OPERATOR = "operator"


def fault_to_dict(fault: Fault) -> dict[str, Any]:
    names = _FIELD_NAMES.get(fault.__class__)
    if names is None:  # the field names of each fault type, read once (attrs.asdict is slow per call)
        names = _FIELD_NAMES[fault.__class__] = tuple(field.name for field in attrs.fields(fault.__class__))
    return {"kind": fault.kind, **{name: getattr(fault, name) for name in names}}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def fault_from_dict(data: Any, position: int) -> Fault:
    where = f"fault #{position}"
    if not isinstance(data, Mapping):
        raise FaultPlanError(f"{where} must be a JSON object, got {type(data).__name__}")
    kind = data.get("kind")
    cls = FAULT_TYPES.get(kind) if isinstance(kind, str) else None
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
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
            raise FaultPlanError(f"{where} ({kind}): field {name!r} must be {expected.__name__}, got {shown}")
    try:
        fault: Fault = cls(**{k: v for k, v in data.items() if k != "kind"})
        return fault
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
        """A plan from its JSON object. A plan the explorer shrank also carries `found` (how it was
        found: invariant, seed, policy, workload), which the plan itself ignores."""
        if not isinstance(data, Mapping) or "faults" not in data or not set(data) <= {"faults", "found"}:
            raise FaultPlanError(
                'a fault plan is a JSON object {"faults": [...]}; '
                f"got {('keys ' + str(sorted(map(str, data)))) if isinstance(data, Mapping) else type(data).__name__}"
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
        except RecursionError:
            raise FaultPlanError(
                f"{source} is nested too deeply to be a fault plan; see docs/03_fault_plans.md"
            ) from None
        except ValueError:  # an integer too long to parse: no field takes one
            raise FaultPlanError(
                f"{source} is not valid JSON for a fault plan (a number has thousands of digits); "
                "see docs/03_fault_plans.md"
            ) from None
        return cls.from_dict(data)

    def of_kind(self, cls: type[F]) -> tuple[F, ...]:
        return tuple(f for f in self.faults if isinstance(f, cls))

    def outages(self) -> tuple[StoreOutage, ...]:
        return self.of_kind(StoreOutage)


def point_role(point: str) -> str:
    return point.split(".", 1)[0]


def check_plan(
    plan: FaultPlan,
    *,
    requests: tuple[str, ...],
    workers: tuple[str, ...],
    reached: set[str],
    others: Mapping[str, str] | None = None,
    task_jobs: tuple[str, ...] = (),
) -> None:
    """A fault that can never fire is bad input: name it, and the known values.

    `requests` are the scenario's request ids (and a workflow's task jobs), `workers` its worker
    names, `others` its workflow actors (name -> role: dispatcher, scheduler), `reached` the fault
    points the scenario and policy can reach (the relay's only when an outbox relay runs)."""
    actors = {**{w: "worker" for w in workers}, CLIENT: "client", RELAY: "relay", **(others or {})}
    seen: dict[Fault, int] = {}
    stopped: set[str] = set()
    for position, fault in enumerate(plan.faults, 1):
        where = f"fault #{position} ({fault.kind})"
        if fault in seen:
            raise FaultPlanError(f"{where} repeats fault #{seen[fault]}; a repeated fault can never fire twice")
        seen[fault] = position
        actor = getattr(fault, "actor", None)
        if actor is not None:
            role = actors.get(actor)
            known = ", ".join([*workers, CLIENT, RELAY, *(others or {})])
            if role is None:
                raise FaultPlanError(f"{where}: unknown actor {actor!r} (known: {known})")
            if isinstance(fault, ClockSkew) and role != "worker":
                raise FaultPlanError(f"{where}: only workers judge leases by a clock; {actor!r} is not a worker")
            if isinstance(fault, HeartbeatStop):
                if actor in stopped:
                    raise FaultPlanError(f"{where}: {actor} already has a heartbeat_stop (one per worker)")
                stopped.add(actor)
                if role != "worker":
                    raise FaultPlanError(f"{where}: only workers send heartbeats; {actor!r} is not a worker")
                if WORKER_HEARTBEAT not in reached:
                    raise FaultPlanError(
                        f"{where}: no heartbeat to stop: the policy renews no lease "
                        "(it needs lease_ms and heartbeat_ms)"
                    )
        point = getattr(fault, "point", None)
        if point is not None:
            owner = "worker" if isinstance(fault, CrashJob) or actor is None else actors[actor]
            if point_role(point) != owner:
                points = ", ".join(p for p in FAULT_POINTS if point_role(p) == owner)
                raise FaultPlanError(f"{where}: {actor or 'a worker'!s} never reaches {point!r} (its points: {points})")
            if point not in reached:
                raise FaultPlanError(f"{where}: no run of this scenario and policy reaches {point!r} ({_why(point)})")
        _check_job(fault, where, requests, task_jobs, reached)


def _check_job(
    fault: Fault, where: str, requests: tuple[str, ...], task_jobs: tuple[str, ...], reached: set[str]
) -> None:
    """The job a fault names is the scenario's, and the fault can reach it."""
    job = getattr(fault, "job", None)
    if isinstance(fault, LostPublish) and BROKER_PUBLISH not in reached:
        raise FaultPlanError(f"{where}: no broker to lose a publish on (the scenario has no broker)")
    if job is None:
        return
    if job in task_jobs and isinstance(fault, SubmitTimeout | LostPublish):
        raise FaultPlanError(f"{where}: {job!r} is a workflow task, not a client request; the client never sends it")
    if job not in requests and job not in task_jobs:
        known_jobs = (*requests, *task_jobs)
        shown = ", ".join(known_jobs[:8]) + (", ..." if len(known_jobs) > 8 else "")
        raise FaultPlanError(f"{where}: unknown job {job!r} (the scenario's jobs: {shown})")


def _why(point: str) -> str:
    if point == CLIENT_BEFORE_BUSINESS_COMMIT:
        return "no job has a business row"
    if point in WORKFLOW_POINTS:
        return "only a workflow scenario has a dispatcher, and only a scheduled one has schedulers"
    return "the outbox relay runs only with outbox=true and a job with a business row"


def request_of(job_id: str) -> str:
    """The request a job id belongs to: a resubmission `j1~2` belongs to request `j1`."""
    return job_id.split("~", 1)[0]


class PlanIndex(NamedTuple):
    """A plan's faults by how an injector looks them up (both worlds' injectors use it)."""

    at_point: dict[tuple[str, str], list[Crash | Pause]]
    """(actor, point) -> the crashes and pauses planned there, each for its `hit`-th visit."""
    crash_jobs: dict[tuple[str, str], CrashJob]
    """(point, request) -> the job that kills whichever worker reaches the point with it."""
    counted: dict[tuple[str, str], list[DuplicateDelivery | SubmitTimeout | LostPublish]]
    """(queue.ack, job), (client.reply, request) or (broker.publish, request) -> the lost acks, replies
    and publishes planned, one each."""
    skews: dict[str, ClockSkew]
    heartbeat_stops: dict[str, HeartbeatStop]

    def live_points(self, actor: str) -> frozenset[str]:
        """The points where a fault can fire for `actor`: a crash or a pause planned for it there, a
        job planned to crash whichever worker reaches a point with it, a lost reply for the client.
        Its protocol passes every other point without asking (both worlds' injectors use this)."""
        live = {point for who, point in self.at_point if who == actor}
        live.update(point for point, _ in self.crash_jobs)
        if any(point == CLIENT_REPLY for point, _ in self.counted):
            live.add(CLIENT_REPLY)
        return frozenset(live)


def index_plan(plan: FaultPlan) -> PlanIndex:
    index = PlanIndex({}, {}, {}, {}, {})
    for fault in plan.faults:
        if isinstance(fault, Crash | Pause):
            index.at_point.setdefault((fault.actor, fault.point), []).append(fault)
        elif isinstance(fault, CrashJob):
            index.crash_jobs[(fault.point, fault.job)] = fault
        elif isinstance(fault, DuplicateDelivery):
            index.counted.setdefault((QUEUE_ACK, fault.job), []).append(fault)
        elif isinstance(fault, SubmitTimeout):
            index.counted.setdefault((CLIENT_REPLY, fault.job), []).append(fault)
        elif isinstance(fault, LostPublish):
            index.counted.setdefault((BROKER_PUBLISH, fault.job), []).append(fault)
        elif isinstance(fault, ClockSkew):
            index.skews[fault.actor] = fault
        elif isinstance(fault, HeartbeatStop):
            index.heartbeat_stops[fault.actor] = fault
    return index
