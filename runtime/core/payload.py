"""What a job's payload may hold: the fields the handler, the retry rules and the job service read,
each typed and ranged in one table, and the bounds on everything else riding along.

`payload_problem` is the one rule: the HTTP door, workflow specs, scenarios and the queues (which
dead-letter a stored payload they cannot interpret instead of crashing on it) all ask it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, NamedTuple, NoReturn

MAX_TEXT_CHARS = 200
MAX_DURATION_MS = 3_600_000
MAX_PAYLOAD_BYTES = 64 * 1024
"""A payload's size as compact UTF-8 JSON, extras included: what the job service's body limit
admits (a body holds its payload), so the queue never refuses what the door accepted."""
MAX_PAYLOAD_DEPTH = 3
"""Levels of objects and lists a payload may hold, itself included: `{"tags": ["a"], "meta": {"k": [1]}}`."""


class PayloadField(NamedTuple):
    name: str
    kind: type
    """int, str or bool (an int is never a bool, a float or a string of digits)."""
    low: int | None
    high: int | None
    """An int's range, or a text's length range; None for a bool."""
    meaning: str


PAYLOAD_FIELDS: tuple[PayloadField, ...] = (
    PayloadField("amount", int, 0, 10**12, "charge this much (the default effect)"),
    PayloadField("write", str, 1, MAX_TEXT_CHARS, "overwrite this result key instead of charging"),
    PayloadField("fail_n_times", int, 0, 1_000, "the handler fails the first N attempts"),
    PayloadField("poison", bool, None, None, "the handler always fails"),
    PayloadField("duration_ms", int, 1, MAX_DURATION_MS, "how long the handler runs (the job service)"),
    PayloadField("max_attempts", int, 1, 100, "the job's own attempt budget, when smaller than the policy's"),
    PayloadField("backoff_ms", int, 0, 3_600_000, "the job's own base backoff (a workflow task's retry setting)"),
    PayloadField("business_row", bool, None, None, "the effect needs the job's business row (the dual write)"),
    PayloadField("eta_ms", int, 0, 86_400_000, "run no earlier than this time (an ETA, a countdown)"),
)
FIELDS: dict[str, PayloadField] = {field.name: field for field in PAYLOAD_FIELDS}
TASK_PAYLOAD_FIELDS: tuple[PayloadField, ...] = (
    FIELDS["amount"],
    PayloadField("key", str, 1, MAX_TEXT_CHARS, "a `write` task's result key (default: the task's name)"),
)
"""A workflow task's payload: what its handler reads (runtime.core.workflow.jobs.task_job)."""


class Problem(NamedTuple):
    """What is wrong with a payload: the field's path (`payload.max_attempts`) and one sentence."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def field_problem(field: PayloadField, value: Any) -> str | None:
    """Why `value` is not a valid `field`, or None."""
    if field.kind is bool:
        return None if isinstance(value, bool) else f"must be true or false, got {_shown(value)}"
    assert field.low is not None and field.high is not None  # an int's range, a text's length range
    if field.kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or not field.low <= value <= field.high:
            return f"must be an integer in [{field.low}, {field.high}], got {_shown(value)}"
        return None
    if not isinstance(value, str) or not field.low <= len(value) <= field.high:
        return f"must be text of {field.low} to {field.high} characters, got {_shown(value)}"
    return text_problem(value)


def json_problem(value: Any, path: str) -> Problem | None:
    """The first value inside `value` that is not plain JSON a database keeps on both dialects: a
    non-finite number, text with NUL or a lone surrogate, a non-text key, nesting past the limit,
    a whole larger than MAX_PAYLOAD_BYTES as compact JSON."""
    found, bound = _walk(value, 1)
    if found is not None:
        where, why = found
        return Problem(".".join([path, *reversed(where)]), why)
    if bound <= MAX_PAYLOAD_BYTES:
        return None
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())  # the bound is loose
    if size > MAX_PAYLOAD_BYTES:
        return Problem(path, f"is {size} bytes as JSON; at most {MAX_PAYLOAD_BYTES} allowed")
    return None


def _walk(value: Any, depth: int) -> tuple[tuple[list[str], str] | None, int]:
    """(the first problem inside `value` as (its path from the innermost part out, why), an upper
    bound of `value`'s size as compact JSON). The path is built only for a problem."""
    kind = type(value)
    if kind is int:
        return None, 21 if -(10**20) < value < 10**20 else len(str(value))
    if kind is str:
        why = text_problem(value)
        return ([], why) if why else None, 6 * len(value) + 2
    if value is None or kind is bool:
        return None, 5
    if kind is float:
        return (
            (None, 32) if math.isfinite(value) else (([], "must be a finite number (NaN and Infinity are not JSON)"), 0)
        )
    nested = kind is dict or kind is list or isinstance(value, list | Mapping)
    if nested and depth > MAX_PAYLOAD_DEPTH:
        return ([], f"nests deeper than {MAX_PAYLOAD_DEPTH} levels"), 0
    total = 2
    if kind is list or isinstance(value, list):
        for index, item in enumerate(value):
            found, size = _walk(item, depth + 1)
            if found is not None:
                found[0].append(str(index))
                return found, 0
            total += size + 1
        return None, total
    if kind is dict or isinstance(value, Mapping):
        for key, item in value.items():
            if type(key) is not str:
                return ([], f"has a key that is not text ({_shown(key)})"), 0
            why = text_problem(key) or (
                f"is longer than {MAX_TEXT_CHARS} characters" if len(key) > MAX_TEXT_CHARS else None
            )
            if why:
                return ([], f"key {_shown(key)} {why}"), 0
            found, size = _walk(item, depth + 1)
            if found is not None:
                found[0].append(key)
                return found, 0
            total += size + 6 * len(key) + 4
        return None, total
    if isinstance(value, int):  # an int subclass other than bool
        return None, len(str(int(value)))
    return ([], f"must be JSON (text, a number, true/false, null, a list or an object), got {_shown(value)}"), 0


def text_problem(text: str) -> str | None:
    """Text a database can store on both dialects: no NUL, no lone surrogate (not UTF-8)."""
    if "\x00" in text:
        return "must not contain a NUL character"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "must be valid Unicode (a lone surrogate is not)"
    return None


def payload_problem(payload: Any, path: str = "payload", fields: Mapping[str, PayloadField] = FIELDS) -> Problem | None:
    """The first thing wrong with a job's payload, or None: it is an object, each field the system
    reads has its type and range, and the whole stays plain JSON within its size and depth."""
    if not isinstance(payload, Mapping):
        return Problem(path, f"must be a JSON object, got {_shown(payload)}")
    for name, value in payload.items():
        field = fields.get(name)
        if field is not None:
            why = field_problem(field, value)
            if why:
                return Problem(f"{path}.{name}", why)
    return json_problem(payload, path)


def task_payload_problem(payload: Any, path: str = "payload") -> Problem | None:
    """The first thing wrong with a workflow task's payload (its fields, then the same bounds)."""
    return payload_problem(payload, path, _TASK_FIELDS)


_TASK_FIELDS = {field.name: field for field in TASK_PAYLOAD_FIELDS}


def read_stored(
    job_id: Any, payload_text: Any, duration_ms: Any, request: Any, key: Any
) -> tuple[dict[str, Any] | None, Problem | None]:
    """A stored job as a queue reads it back: (payload, None), or (None, what it cannot interpret).
    Total: whatever a row holds (text that is not JSON, JSON that is not an object, a field of the
    wrong type, a duration that is not a number, an id that is not text), it answers, never raises."""
    for name, value, optional in (("job_id", job_id, False), ("request", request, False), ("key", key, True)):
        if value is None and optional:
            continue
        if not isinstance(value, str) or not value:
            return None, Problem(name, f"must be non-empty text, got {_shown(value)}")
    if isinstance(duration_ms, bool) or not isinstance(duration_ms, int) or not 0 <= duration_ms <= MAX_DURATION_MS:
        return None, Problem("duration_ms", f"must be an integer in [0, {MAX_DURATION_MS}], got {_shown(duration_ms)}")
    if not isinstance(payload_text, str):
        return None, Problem("payload", f"must be JSON text, got {_shown(payload_text)}")
    try:
        payload = json.loads(payload_text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        return None, Problem("payload", f"is not JSON ({str(error).splitlines()[0][:80]})")
    problem = payload_problem(payload)
    return (None, problem) if problem else (payload, None)


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
