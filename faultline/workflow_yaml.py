"""Workflow specs in YAML: parsed with PyYAML, validated with a pydantic schema, checked as a DAG
(runtime/core/workflow/spec.py). Every error is one line naming the task and the problem.

    name: etl
    schedule: {every_ms: 60000}          # optional: periodic runs (lock: store | redis, the leader lock)
    tasks:
      - name: extract
        handler: charge                  # charge | write | noop
        payload: {amount: 5}
      - name: load
        depends_on: [extract]
        retry: {max_attempts: 5, backoff_ms: 200}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from faultline.inputs import read_text_file
from runtime.core.payload import text_problem
from runtime.core.workflow.spec import TaskSpec, WorkflowError, WorkflowSpec, check_dag

MAX_TASKS = 500
MAX_YAML_CHARS = 32 * 1024
"""A spec's size in characters (Unicode code points, as JSON Schema's maxLength counts), over HTTP and
from a file alike."""
MAX_YAML_DEPTH = 16
"""How deeply a spec's mappings and lists may nest (a workflow needs about 5)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Retry(_Strict):
    max_attempts: StrictInt = Field(3, ge=1, le=100)
    backoff_ms: StrictInt = Field(100, ge=0, le=3_600_000)


class Task(_Strict):
    name: StrictStr = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    handler: StrictStr = "charge"
    payload: dict[str, Any] = Field(default_factory=dict)
    depends_on: list[StrictStr] = Field(default_factory=list)
    retry: Retry = Field(default_factory=lambda: Retry(max_attempts=3, backoff_ms=100))
    duration_ms: StrictInt = Field(100, ge=1, le=3_600_000)


class Schedule(_Strict):
    every_ms: StrictInt = Field(ge=100, le=86_400_000)
    lock: Literal["store", "redis"] = "store"


class Workflow(_Strict):
    name: StrictStr = Field(min_length=1, max_length=100)
    tasks: list[Task] = Field(max_length=MAX_TASKS)
    schedule: Schedule | None = None


def parse(text: str, source: str = "workflow") -> WorkflowSpec:
    """A WorkflowSpec from YAML text; WorkflowError (exit 2, HTTP 422) names what is wrong. The text's
    size, nesting and aliases are checked on the parser's event stream before anything is built."""
    if len(text) > MAX_YAML_CHARS:
        raise WorkflowError(f"{source} is {len(text)} characters; a workflow spec has at most {MAX_YAML_CHARS}")
    why = text_problem(text)
    if why:
        raise WorkflowError(f"{source} {why}")
    try:
        _check_shape(text, source)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        at = f" at line {where.line + 1}" if where is not None else ""
        raise WorkflowError(f"{source} is not valid YAML{at}: {getattr(error, 'problem', error)}") from None
    if not isinstance(data, dict):
        raise WorkflowError(f"{source} must be a YAML mapping with name: and tasks: (got {type(data).__name__})")
    try:
        model = Workflow.model_validate(data)
    except ValidationError as error:
        raise WorkflowError(f"{source}: {_first_error(error, data)}") from None
    spec = WorkflowSpec(
        name=model.name,
        tasks=tuple(
            TaskSpec(
                name=task.name,
                handler=task.handler,
                payload=task.payload,
                depends_on=tuple(task.depends_on),
                max_attempts=task.retry.max_attempts,
                backoff_ms=task.retry.backoff_ms,
                duration_ms=task.duration_ms,
            )
            for task in model.tasks
        ),
        schedule_every_ms=model.schedule.every_ms if model.schedule else None,
        schedule_lock=model.schedule.lock if model.schedule else "store",
    )
    try:
        return check_dag(spec)
    except WorkflowError as error:
        raise WorkflowError(f"{source}: {error}") from None


def _check_shape(text: str, source: str) -> None:
    """Refuse nesting past MAX_YAML_DEPTH and aliases (an alias bomb expands a small text into
    billions of nodes) from the parser's events, which use no recursion, before composing."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            line = event.start_mark.line + 1
            raise WorkflowError(f"{source} uses a YAML anchor or alias (line {line}); write each value out")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                line = event.start_mark.line + 1
                raise WorkflowError(f"{source} nests deeper than {MAX_YAML_DEPTH} levels (line {line})")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def load(path: str | Path) -> WorkflowSpec:
    """A spec from a file, read only up to its limit (a huge file or an endless device is refused
    before it is read whole)."""
    text = read_text_file(
        path, max_chars=MAX_YAML_CHARS, noun="workflow file", fix="give a YAML workflow file", error=WorkflowError
    )
    return parse(text, str(path))


def _first_error(error: ValidationError, data: dict) -> str:
    """The first schema error as 'task NAME: field: problem' (or 'field: problem' outside tasks)."""
    first = error.errors()[0]
    loc = list(first["loc"])
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown field (not part of a workflow spec)"
    if len(loc) >= 2 and loc[0] == "tasks" and isinstance(loc[1], int):
        tasks = data.get("tasks") or []
        task = tasks[loc[1]] if loc[1] < len(tasks) else None
        name = task.get("name") if isinstance(task, dict) else None
        who = f"task {name!r}" if isinstance(name, str) else f"task #{loc[1] + 1}"
        field = ".".join(str(part) for part in loc[2:]) or "the task"
        return f"{who}: {field}: {message}"
    return f"{'.'.join(str(part) for part in loc) or 'the spec'}: {message}"
