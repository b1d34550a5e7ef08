"""Policy: every knob that protects an invariant, as one frozen record.

`Policy.naive()` is a first-draft job system; `Policy.safe()` holds every fix. An FM's fix is the
smallest change between two policies, never a branch on the FM's id.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import attrs

from runtime.errors import PolicyError

ACK_MODES = ("after_commit", "on_receipt")
BACKOFFS = ("fixed", "exponential")
JITTERS = ("none", "full")
LEASE_CLOCKS = ("worker", "store")


def _one_of(choices):
    def check(instance, attribute, value):
        if value not in choices:
            raise PolicyError(
                f"policy field {attribute.name} = {value!r} is not allowed (choose one of: {', '.join(choices)})"
            )

    return check


def _at_least(minimum, optional=False):
    def check(instance, attribute, value):
        if value is None and optional:
            return
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            none = " or none" if optional else ""
            raise PolicyError(f"policy field {attribute.name} = {value!r} must be an integer >= {minimum}{none}")

    return check


def _boolean(instance, attribute, value):
    if not isinstance(value, bool):
        raise PolicyError(f"policy field {attribute.name} = {value!r} must be true or false")


@attrs.frozen(kw_only=True)
class Policy:
    # Effects and submissions.
    idempotent_effects: bool = attrs.field(default=False, validator=_boolean)
    """Commit a dedupe key (the job id) in the same transaction as the effect."""
    dedupe_submissions: bool = attrs.field(default=False, validator=_boolean)
    """A unique constraint on the submission key; a retried submit returns the existing job."""
    outbox: bool = attrs.field(default=False, validator=_boolean)
    """Write the business row and the job (outbox row) in one transaction; a relay enqueues."""
    # Acknowledgement.
    ack_mode: str = attrs.field(default="after_commit", validator=_one_of(ACK_MODES))
    """When the worker acks: after the effect commits, or as soon as it receives the job."""
    retry_on_store_error: bool = attrs.field(default=False, validator=_boolean)
    """On a store error, fail the attempt and retry; otherwise the error is swallowed and acked."""
    # Leases.
    lease_ms: int | None = attrs.field(default=None, validator=_at_least(1, optional=True))
    """Visibility timeout. None: a lease never expires, so a crashed worker's job is stuck."""
    heartbeat_ms: int | None = attrs.field(default=None, validator=_at_least(1, optional=True))
    """While executing, renew the lease this often; a failed renewal abandons the attempt."""
    lease_clock: str = attrs.field(default="worker", validator=_one_of(LEASE_CLOCKS))
    """Who judges expiry: each worker by its own clock, or the store's reaper by the store clock."""
    lease_margin_ms: int = attrs.field(default=0, validator=_at_least(0))
    """Safety margin added to a lease before the reaper reclaims it."""
    fencing: bool = attrs.field(default=False, validator=_boolean)
    """The store rejects writes whose lease token is older than one it has already seen."""
    # Retries.
    max_attempts: int | None = attrs.field(default=None, validator=_at_least(1, optional=True))
    """Attempts before a job is dead-lettered with its last error. None: retry forever."""
    backoff: str = attrs.field(default="fixed", validator=_one_of(BACKOFFS))
    backoff_base_ms: int = attrs.field(default=0, validator=_at_least(0))
    backoff_max_ms: int = attrs.field(default=10_000, validator=_at_least(0))
    jitter: str = attrs.field(default="none", validator=_one_of(JITTERS))
    """'full': the delay is drawn uniformly from [0, backoff] with the run's RNG."""
    retry_budget_per_s: int | None = attrs.field(default=None, validator=_at_least(1, optional=True))
    """At most this many retries become due in any one second; the rest wait for the next."""

    @classmethod
    def naive(cls) -> Policy:
        """A first draft: no dedupe, leases that never expire, endless immediate retries."""
        return cls()

    @classmethod
    def safe(cls) -> Policy:
        """Every fix in the catalog at once."""
        return cls(
            idempotent_effects=True,
            dedupe_submissions=True,
            outbox=True,
            ack_mode="after_commit",
            retry_on_store_error=True,
            lease_ms=1_000,
            heartbeat_ms=250,
            lease_clock="store",
            lease_margin_ms=100,
            fencing=True,
            max_attempts=8,
            backoff="exponential",
            backoff_base_ms=100,
            backoff_max_ms=5_000,
            jitter="full",
            retry_budget_per_s=5,
        )

    def evolve(self, **changes: Any) -> Policy:
        unknown = sorted(set(changes) - set(field_names()))
        if unknown:
            raise PolicyError(_unknown_field_message(unknown[0]))
        return attrs.evolve(self, **changes)

    def with_overrides(self, overrides: Mapping[str, str]) -> Policy:
        """Apply `field=value` strings from the command line, parsed by each field's type."""
        return self.evolve(**{name: _parse_field(name, text) for name, text in overrides.items()})

    def backoff_delay_ms(self, attempt: int, rng: random.Random) -> int:
        """Delay before retrying after failed attempt number `attempt` (1-based)."""
        if self.backoff == "fixed":
            delay = self.backoff_base_ms
        else:
            delay = min(self.backoff_max_ms, self.backoff_base_ms * 2 ** (attempt - 1))
        if self.jitter == "full" and delay:
            delay = rng.randint(0, delay)
        return delay

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)

    def differences(self, other: Policy) -> dict[str, tuple[Any, Any]]:
        """Fields whose values differ: {name: (self's, other's)}. Shows what a fix changed."""
        mine, theirs = self.to_dict(), other.to_dict()
        return {name: (mine[name], theirs[name]) for name in mine if mine[name] != theirs[name]}


def field_names() -> tuple[str, ...]:
    return tuple(f.name for f in attrs.fields(Policy))


def _unknown_field_message(name: str) -> str:
    return f"unknown policy field {name!r} (fields: {', '.join(field_names())})"


def _parse_field(name: str, text: str) -> Any:
    fields = attrs.fields_dict(Policy)
    if name not in fields:
        raise PolicyError(_unknown_field_message(name))
    kind = fields[name].type
    lowered = text.strip().lower()
    if kind == "bool":
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off"):
            return False
        raise PolicyError(f"policy field {name} = {text!r} must be true or false")
    if "int" in kind:
        if "None" in kind and lowered in ("none", "null", ""):
            return None
        try:
            return int(lowered)
        except ValueError:
            raise PolicyError(f"policy field {name} = {text!r} must be an integer") from None
    return text.strip()
