"""The job service's request and response bodies, and the limits the door enforces.

The payload model is built from runtime.core.payload's table, so the OpenAPI schema states exactly
the types and ranges the queue and the worker read; extra keys are JSON values nested at most as
deep as the payload rule allows, with text that both databases can store.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from annotated_types import Ge, Le
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictStr, WithJsonSchema, create_model

from faultline.workflow_yaml import MAX_YAML_CHARS
from runtime.core.payload import MAX_PAYLOAD_DEPTH, MAX_TEXT_CHARS, PAYLOAD_FIELDS

MAX_BODY_BYTES = 64 * 1024
"""Every body but a workflow's (counted while it streams in, chunked or not)."""
WORKFLOW_BODY_BYTES = 12 * MAX_YAML_CHARS + 4096
"""A spec's body may carry MAX_YAML_CHARS characters in any encoding (up to 12 bytes each as a JSON
escape): a longer spec gets 422 naming `yaml`, never 413."""
TEXT_PATTERN = r"^[^\x00]*$"
"""Text both databases store: no NUL (lone surrogates cannot arrive as UTF-8 at all)."""
ID_MAX = 200


def json_int(low: int, high: int):
    """An integer field in [low, high] as JSON Schema counts integers (5 and 5.0; never true, "5" or
    5.5), with its bounds in the OpenAPI schema and the payload rule's message."""

    def integer(value):
        whole = isinstance(value, float) and value.is_integer() and low <= value <= high
        if whole:
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"must be an integer in [{low}, {high}], got {shown(value)}")
        return value

    return Annotated[int, Ge(low), Le(high), BeforeValidator(integer)]


def shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def text(low: int, high: int):
    return Annotated[StrictStr, Field(min_length=low, max_length=high, pattern=TEXT_PATTERN)]


KEY_SCHEMA: dict[str, Any] = {"maxLength": MAX_TEXT_CHARS, "pattern": TEXT_PATTERN}
SCALAR_SCHEMAS = [
    {"type": "string", "pattern": TEXT_PATTERN},
    {"type": "number"},
    {"type": "boolean"},
    {"type": "null"},
]


def extra_schema(levels: int) -> dict:
    """The JSON Schema of an extra payload value holding at most `levels` levels of lists and
    objects: what runtime.core.payload.payload_problem accepts, stated for OpenAPI (the rule itself
    judges the value, in the route)."""
    if levels == 0:
        return {"anyOf": SCALAR_SCHEMAS}
    inner = extra_schema(levels - 1)
    return {
        "anyOf": [
            *SCALAR_SCHEMAS,
            {"type": "array", "items": inner},
            {"type": "object", "propertyNames": KEY_SCHEMA, "additionalProperties": inner},
        ]
    }


Extra = Annotated[Any, WithJsonSchema(extra_schema(MAX_PAYLOAD_DEPTH - 1))]
"""An extra payload value: the payload is the first level of nesting, its values may hold the rest."""


def _no_default(schema: dict) -> None:
    schema.pop("default", None)


def _payload_model() -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for field in PAYLOAD_FIELDS:
        low, high = field.low or 0, field.high or 0  # set for an int or a text field
        if field.kind is bool:
            annotation: Any = StrictBool
        elif field.kind is int:
            annotation = json_int(low, high)
        else:
            annotation = text(low, high)
        # Optional, never null: absent means the handler's default (the schema states no default).
        fields[field.name] = (annotation, Field(default=None, description=field.meaning, json_schema_extra=_no_default))
    return create_model(
        "Payload",
        __config__=ConfigDict(extra="allow", json_schema_extra={"propertyNames": KEY_SCHEMA}),
        __doc__="What the worker's handler and the retry rules read (runtime/core/payload.py); other keys ride along.",
        __pydantic_extra__=(dict[str, Extra], None),
        **fields,
    )


Payload = _payload_model()


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    payload: Payload  # type: ignore[valid-type]
    idempotency_key: text(1, ID_MAX) | None = None  # type: ignore[valid-type]


class JobCreated(BaseModel):
    job_id: str


class JobStatus(BaseModel):
    job_id: str
    state: str = Field(description="queued, delayed, running, succeeded or dead")
    attempts: int
    submitted_at_ms: int
    updated_at_ms: int
    last_error: str | None


class Error(BaseModel):
    error: str
    field: str


class RedriveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: Literal["keep", "mint"] = "keep"


class Redriven(BaseModel):
    redriven: int


class WorkflowBody(BaseModel):
    """A workflow spec as JSON: its YAML text under `yaml` (or send the YAML itself as the body)."""

    model_config = ConfigDict(extra="forbid")
    yaml: text(1, MAX_YAML_CHARS)  # type: ignore[valid-type]


class WorkflowCreated(BaseModel):
    workflow_id: str
    name: str
    tasks: list[str]


class RunCreated(BaseModel):
    run_id: str


class TaskStatus(BaseModel):
    task: str
    job_id: str
    state: str = Field(description="pending, dispatched, succeeded, failed or skipped")
    depends_on: list[str]
    attempts: int
    dispatched_at_ms: int | None
    finished_at_ms: int | None


class RunStatus(BaseModel):
    run_id: str
    workflow: str
    state: str = Field(description="running, succeeded or failed")
    created_at_ms: int
    finished_at_ms: int | None
    tasks: list[TaskStatus]


YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")
WORKFLOW_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": WorkflowBody.model_json_schema()},
        "application/yaml": {
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_YAML_CHARS, "pattern": TEXT_PATTERN}
        },
    },
}


def guarded_responses(guarded: list[Any]) -> dict[int | str, dict[str, Any]]:
    """The refusals a mutating route documents: BAD, and 401 when it needs the API key."""
    return {**BAD, 401: {"model": Error}} if guarded else BAD


BAD: dict[int | str, dict[str, Any]] = {
    400: {"model": Error},
    404: {"model": Error},
    413: {"model": Error},
    415: {"model": Error},
    422: {"model": Error},
    503: {"model": Error},
}
