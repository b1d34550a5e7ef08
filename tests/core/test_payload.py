"""The payload rule (runtime/core/payload.py): one table of the fields the system reads, the bounds on
the rest, and a reader of stored jobs that answers whatever a row holds."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.core.errors import ScenarioError
from runtime.core.payload import (
    MAX_PAYLOAD_BYTES,
    MAX_PAYLOAD_DEPTH,
    PAYLOAD_FIELDS,
    payload_problem,
    read_stored,
    task_payload_problem,
)
from runtime.core.scenario import JobSpec
from runtime.core.workflow.spec import TaskSpec, WorkflowError, WorkflowSpec, check_dag


def test_every_field_the_system_reads_is_in_the_table():
    assert [f.name for f in PAYLOAD_FIELDS] == [
        "amount",
        "write",
        "fail_n_times",
        "poison",
        "duration_ms",
        "max_attempts",
        "backoff_ms",
        "business_row",
        "eta_ms",
    ]


@pytest.mark.parametrize(
    ("payload", "field", "says"),
    [
        ({"max_attempts": "x"}, "payload.max_attempts", "must be an integer in [1, 100], got 'x'"),
        ({"max_attempts": 0}, "payload.max_attempts", "got 0"),
        ({"max_attempts": True}, "payload.max_attempts", "got True"),
        ({"backoff_ms": 1.5}, "payload.backoff_ms", "got 1.5"),
        ({"eta_ms": -1}, "payload.eta_ms", "in [0, 86400000]"),
        ({"fail_n_times": -1}, "payload.fail_n_times", "in [0, 1000]"),
        ({"amount": 10**13}, "payload.amount", "in [0, 1000000000000]"),
        ({"poison": "yes"}, "payload.poison", "must be true or false, got 'yes'"),
        ({"write": ""}, "payload.write", "must be text of 1 to 200 characters"),
        ({"write": "a\x00b"}, "payload.write", "must not contain a NUL character"),
        ({"note": "\ud800"}, "payload.note", "lone surrogate"),
        ({"note": float("nan")}, "payload.note", "NaN and Infinity are not JSON"),
        ({"note": [float("inf")]}, "payload.note.0", "NaN and Infinity"),
        ({"a": {"b": [[1]]}}, "payload.a.b.0", "nests deeper than 3 levels"),
        ({"a\x00": 1}, "payload", "must not contain a NUL character"),
        ({"k" * 201: 1}, "payload", "longer than 200 characters"),
        ({"note": "x" * MAX_PAYLOAD_BYTES}, "payload", "bytes as JSON; at most 65536 allowed"),
        ({"note": object()}, "payload.note", "must be JSON"),
        ([], "payload", "must be a JSON object, got []"),
    ],
)
def test_a_payload_problem_names_the_field(payload, field, says):
    problem = payload_problem(payload)
    assert problem is not None and problem.field == field and says in problem.message, problem


def test_nesting_is_bounded():
    nested: object = 1
    for _ in range(MAX_PAYLOAD_DEPTH - 1):
        nested = [nested]
    assert payload_problem({"n": nested}) is None
    problem = payload_problem({"n": [nested]})
    assert problem is not None and "nests deeper than 3 levels" in problem.message


def test_good_payloads_pass():
    assert payload_problem({"amount": 7, "business_row": True, "note": {"a": [1, 2.5, None, "é"]}}) is None
    assert payload_problem({}) is None


@given(st.one_of(st.text(), st.binary().map(lambda b: b.decode("latin-1")), st.integers(), st.none()))
def test_reading_a_stored_job_never_raises(text):
    payload, problem = read_stored("j1", text, 10, "j1", None)
    assert (payload is None) != (problem is None)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(), st.lists, max_leaves=20))
def test_any_json_value_is_read_or_refused(value):
    text = json.dumps({"note": value})
    payload, problem = read_stored("j1", text, 10, "j1", None)
    assert (payload is None) != (problem is None)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ((5, "{}", 10, "r", None), "job_id"),
        (("j", "{}", "abc", "r", None), "duration_ms"),
        (("j", "{}", 10, None, None), "request"),
        (("j", "{}", 10, "r", 7), "key"),
        (("j", b"{}", 10, "r", None), "payload"),
        (("j", "{", 10, "r", None), "payload"),
    ],
)
def test_a_stored_row_of_the_wrong_shape_is_refused(row, field):
    assert read_stored(*row)[1].field == field


def test_a_scenario_refuses_a_payload_the_worker_could_not_run():
    with pytest.raises(ScenarioError, match=r"job 'j1': payload.max_attempts: must be an integer"):
        JobSpec(job_id="j1", payload={"max_attempts": "x"})


def test_a_workflow_task_refuses_a_payload_its_handler_could_not_run():
    assert task_payload_problem({"key": 5}).field == "payload.key"
    spec = WorkflowSpec(name="w", tasks=(TaskSpec(name="t", payload={"amount": "x"}),))
    with pytest.raises(WorkflowError, match=r"task 't': payload.amount: must be an integer"):
        check_dag(spec)
