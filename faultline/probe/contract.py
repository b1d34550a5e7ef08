"""The adapter contract: what Faultline needs to put someone else's queue under a fault.

An adapter drives the library through its own API and its own worker, never a re-implementation:

- `prepare(ctx)` makes the probe's own corner of the shared servers (a Postgres database, a Redis
  database number, queue names) and whatever schema the library needs; `cleanup(ctx)` removes it.
- `submit(ctx, job)` enqueues one job with the library's client API, whose task calls the lab's
  handler (`faultline.probe.handler.lab_job`), and returns the library's own id for it.
- `worker_command(ctx)` is the argv of ONE worker process - the library's own CLI or entry point -
  which the lab starts, SIGKILLs, SIGSTOPs and restarts. Its connections to the broker or database go
  to `ctx.worker_url` (the lab's TCP proxy), so network faults land between it and the server.
- `states(ctx, ids)` reads the queue's own final state from its own storage (procrastinate's jobs
  table, RQ's registries, Celery's queues and result backend, ...): library id -> one of STATES.
- `knobs` names the configuration a user can set (`--set name=value`), `configurations` the named
  sets the matrix runs: `default` (nothing set) and `recommended` (what the library's docs advise for
  reliability), each with the doc it comes from.

docs/13_probes.md walks through a worked example (huey's adapter: 100 lines of code).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs

QUEUED, SCHEDULED, RUNNING, SUCCEEDED, FAILED, MISSING = (
    "queued",
    "scheduled",
    "running",
    "succeeded",
    "failed",
    "missing",
)
STATES = (QUEUED, SCHEDULED, RUNNING, SUCCEEDED, FAILED, MISSING)
"""A job's state as the probed queue's own storage tells it. `missing`: the queue has no trace of it."""
WAITING = frozenset((QUEUED, SCHEDULED, RUNNING))
"""States in which the queue still owes the job a run."""


@attrs.frozen(kw_only=True)
class Knob:
    """One setting a user can pass as `--set name=value`."""

    name: str
    default: Any
    help: str
    kind: type = int

    def parse(self, raw: str) -> Any:
        if self.kind is bool:
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"{self.name} takes true or false, not {raw!r}")
        try:
            value = self.kind(raw)
        except ValueError:
            raise ValueError(f"{self.name} takes {self.kind.__name__} values, not {raw!r}") from None
        if self.kind is int and not 0 <= value <= 86_400_000:
            raise ValueError(f"{self.name} takes 0..86400000, not {raw!r}")
        return value


@attrs.frozen(kw_only=True)
class Configuration:
    """A named set of knob values the matrix runs, and where the library documents it."""

    name: str
    settings: Mapping[str, Any]
    source: str


@attrs.frozen(kw_only=True)
class Job:
    """One submission: the lab's id for it (s1, s2, ...), the request it belongs to, its key, and a
    delay before it may run (ETA, countdown, schedule_in)."""

    submission: str
    request: str
    key: str
    delay_ms: int = 0
    library_id: str | None = None
    """The library's own job id to ask for (RQ job id, Celery task id); None lets the library choose."""


@attrs.frozen(kw_only=True)
class Submitted:
    library_id: str
    deduplicated: bool = False
    """The library answered with a job it already had (its own dedupe: RQ's job id, procrastinate's
    queueing lock, ...): no new job was made."""


@attrs.define(kw_only=True)
class ProbeContext:
    """Where one probe runs: its scratch folder, the knob values, and the servers' addresses."""

    probe_id: str
    """Unique per probe run: every name the probe makes on a shared server carries it."""
    workdir: Path
    settings: dict[str, Any]
    """Every knob's value: the ones set (`--set`, a configuration, the drill's), the defaults for the rest."""
    server_url: str
    """The broker or database, direct: what the lab's client and state reads use."""
    worker_url: str
    """The same server through the lab's proxy: what the workers use."""
    extra: dict[str, Any] = attrs.field(factory=dict)
    """The adapter's own notes between prepare and cleanup (a Redis db number, queue names)."""

    def env(self) -> dict[str, str]:
        """What every worker process and the lab's handler inside it read."""
        return {"FAULTLINE_PROBE_DIR": str(self.workdir), "FAULTLINE_PROBE_ID": self.probe_id}


def hand_to_worker(ctx: ProbeContext, name: str, config: Mapping[str, Any]) -> None:
    """Leave the worker processes what they build the probed app from (`prepare` calls it)."""
    (ctx.workdir / f"{name}.json").write_text(json.dumps(config, sort_keys=True))


def handed_to_worker(name: str) -> dict[str, Any]:
    """What `hand_to_worker` left, read inside a worker process the lab started."""
    return json.loads((Path(os.environ["FAULTLINE_PROBE_DIR"]) / f"{name}.json").read_text())


@runtime_checkable
class Adapter(Protocol):
    @property
    def name(self) -> str:
        """The CLI's name for it: `faultline probe NAME`."""
        ...

    @property
    def distribution(self) -> str:
        """The PyPI distribution whose version the report names."""
        ...

    @property
    def server(self) -> str:
        """`redis`, `rabbitmq` or `postgres`: which of the machine's servers it needs."""
        ...

    @property
    def knobs(self) -> Mapping[str, Knob]: ...

    @property
    def configurations(self) -> Mapping[str, Configuration]: ...

    def attempts(self, settings: Mapping[str, Any]) -> int:
        """How many deliveries the library's configuration allows a job (1 + its retries). `settings`
        here and in `recovery_ms` holds every knob's value, the defaults filled in."""
        ...

    def recovery_ms(self, settings: Mapping[str, Any]) -> int:
        """How long after a fault the library's own timeouts let it take back a job a dead worker held
        (its visibility timeout, lease, heartbeat expiry plus cleanup interval). The probe waits at
        least this long (capped) before it calls a job stuck."""
        ...

    def prepare(self, ctx: ProbeContext) -> None: ...

    def submit(self, ctx: ProbeContext, job: Job) -> Submitted: ...

    def worker_command(self, ctx: ProbeContext) -> list[str]: ...

    def states(self, ctx: ProbeContext, library_ids: list[str]) -> dict[str, str]: ...

    def cleanup(self, ctx: ProbeContext) -> None: ...
