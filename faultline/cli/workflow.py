"""`faultline workflow`: workflow specs in YAML (docs/12_workflows.md)."""

from __future__ import annotations

import json

import click

from faultline.cli.app import cli


@cli.group("workflow")
def workflow_group() -> None:
    """Workflows: YAML task DAGs with fan-out, fan-in and retries."""


@workflow_group.command("validate")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the parsed spec as JSON.")
def validate_command(file: str, as_json: bool) -> None:
    """Check a workflow spec: the schema, unique task names, known parents, no cycles. Exit 0 when
    it can run, 2 with one line naming the task and the problem."""
    from faultline.workflows import load

    spec = load(file)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "name": spec.name,
                    "order": list(spec.order),
                    "schedule_every_ms": spec.schedule_every_ms,
                    "tasks": [
                        {
                            "name": t.name,
                            "handler": t.handler,
                            "payload": dict(t.payload),
                            "depends_on": list(t.depends_on),
                            "max_attempts": t.max_attempts,
                            "backoff_ms": t.backoff_ms,
                        }
                        for t in spec.tasks
                    ],
                },
                sort_keys=True,
            )
        )
        return
    schedule = f", every {spec.schedule_every_ms} ms" if spec.schedule_every_ms else ""
    click.echo(f"valid: {spec.name} ({len(spec.tasks)} tasks{schedule}): {' → '.join(spec.order)}")
