"""Workflow specs in YAML: the examples parse; every spec that can never run is refused with one
line naming the task and the problem (exit 2)."""

from pathlib import Path

import pytest

from faultline.workflow_yaml import parse
from runtime.core.workflow.spec import TaskSpec, WorkflowError, topological_order
from tests.builders import call_cli

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_is_a_valid_workflow(path, capsys):
    code, out, err = call_cli(capsys, "workflow", "validate", str(path))
    assert (code, err) == (0, "") and out.startswith("valid: ")


def test_the_fan_out_fan_in_example_orders_parents_first():
    spec = parse((EXAMPLES[0].parent / "etl_fanout.yml").read_text())
    assert spec.order[0] == "extract" and spec.order[-1] == "load"
    assert set(spec.children("extract")) == {"transform_orders", "transform_refunds", "transform_fees"}
    assert spec.task("load").depends_on == ("transform_orders", "transform_refunds", "transform_fees")
    assert (spec.task("load").max_attempts, spec.task("load").backoff_ms) == (5, 200)


BAD = {
    "cycle": (
        "tasks:\n  - {name: a, depends_on: [c]}\n  - {name: b, depends_on: [a]}\n  - {name: c, depends_on: [b]}",
        "tasks a -> c -> b -> a form a cycle",
    ),
    "missing dependency": (
        "tasks:\n  - {name: a}\n  - {name: b, depends_on: [zz]}",
        "task 'b' depends on unknown task 'zz'",
    ),
    "duplicate name": ("tasks:\n  - {name: a}\n  - {name: a}", "task 'a' is defined twice"),
    "wrong type": (
        "tasks:\n  - {name: a, retry: {max_attempts: three}}",
        "task 'a': retry.max_attempts: Input should be a valid integer",
    ),
    "unknown field": ("tasks:\n  - {name: a, colour: red}", "task 'a': colour: unknown field"),
    "self dependency": ("tasks:\n  - {name: a, depends_on: [a]}", "task 'a' depends on itself"),
    "unknown handler": ("tasks:\n  - {name: a, handler: mail}", "task 'a': unknown handler 'mail'"),
    "no tasks": ("tasks: []", "has no tasks"),
    "nameless task": ("tasks:\n  - {handler: charge}", "task #1: name: Field required"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_spec_that_can_never_run_is_one_line_naming_the_task_and_exit_2(case, tmp_path, capsys):
    body, says = BAD[case]
    path = tmp_path / "wf.yml"
    path.write_text(f"name: broken\n{body}\n")
    code, out, err = call_cli(capsys, "workflow", "validate", str(path))
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert says in err, err


def test_not_yaml_and_not_a_mapping_are_bad_input():
    with pytest.raises(WorkflowError, match="not valid YAML at line"):
        parse("name: x\ntasks: [\n")
    with pytest.raises(WorkflowError, match="must be a YAML mapping"):
        parse("- just\n- a list\n")


def test_the_order_keeps_the_spec_s_order_among_ready_tasks():
    tasks = (TaskSpec(name="b"), TaskSpec(name="a"), TaskSpec(name="c", depends_on=("a", "b")))
    assert topological_order(tasks) == ("b", "a", "c")
