"""What `run`, `report` and `replay` share: the run's options, its outputs, its printed form."""

from __future__ import annotations

import click

from faultline.cli.common import SEED, TIME_SCALE, Outputs, console, load_plan, parse_overrides, refuse_unless
from faultline.present import render
from faultline.present.workflow_runs import runs_of, task_table
from faultline.runspec import RunSpec


def run_options(command):
    """The options `run` and `report` share: which run, under which policy and plan."""
    options = [
        click.argument("fm", required=False),
        click.option("--fix", is_flag=True, help="Use the FM's fixed policy instead of its naive one."),
        click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the run's random streams."),
        click.option("--plan", "plan_path", type=str, default=None, help="Replace the fault plan with this JSON file."),
        click.option(
            "--set",
            "overrides",
            multiple=True,
            metavar="FIELD=VALUE",
            help="Override one policy field (repeatable), e.g. --set idempotent_effects=true.",
        ),
        click.option(
            "--policy",
            "policy_name",
            default=None,
            help="Without FM: the standard workload's policy (naive, safe, or an FM's id for its naive policy).",
        ),
        click.option("--jobs", type=click.IntRange(1, 10_000), default=None, help="Without FM: jobs in the workload."),
        click.option("--real", is_flag=True, help="Run in the real world: OS processes on SQLite or Postgres."),
        *real_options(),
        click.option(
            "--workers", type=click.IntRange(1, 64), default=None, help="Without FM: workers in the workload."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def real_options():
    """--db, --reset, --create-db, --broker, --lock and --time-scale: where and how fast a run happens
    for real."""
    return [
        click.option(
            "--db",
            default=None,
            metavar="PATH|URL",
            help="With --real: a SQLite file or a postgresql:// URL, wiped first (default: the lab's scratch "
            ".faultline/real.sqlite).",
        ),
        click.option("--reset", is_flag=True, help="With --db: wipe the Faultline database already there."),
        click.option("--create-db", is_flag=True, help="With a postgresql:// --db: create the database if missing."),
        click.option(
            "--broker",
            default=None,
            metavar="URL",
            help="With --real: RabbitMQ delivers the jobs, at this amqp://user:pass@host:port/vhost URL, on a "
            "queue of the run's own (default: a scenario with a broker uses amqp://guest:guest@127.0.0.1:5672/%2F).",
        ),
        click.option(
            "--lock",
            default=None,
            metavar="URL",
            help="With --real: keep the schedulers' leader lock in Redis at this redis://host:port/db URL "
            "(default: where the scenario keeps it: a row in the database, or redis://127.0.0.1:6379/0 "
            "for a scenario whose lock is Redis's).",
        ),
        click.option(
            "--time-scale",
            type=TIME_SCALE,
            default=1.0,
            show_default=True,
            help="With --real: real ms per virtual ms.",
        ),
    ]


def real_flags(command):
    """The real_options as a decorator (commands that list their own other options)."""
    for option in reversed(real_options()):
        command = option(command)
    return command


def record_outputs(command):
    """The files a run can leave beside its verdict (`run` and `replay` share them)."""
    options = [
        click.option(
            "--history", "history_path", default=None, metavar="PATH|-", help="Write the canonical JSON Lines history."
        ),
        click.option(
            "--metrics",
            "metrics_path",
            is_flag=False,
            flag_value="-",
            default=None,
            metavar="[PATH|-]",
            help="Write only the Prometheus exposition: to stdout (alone) by default, or to PATH.",
        ),
        click.option(
            "--trace", "trace_path", default=None, metavar="PATH|-", help="Write a Chrome/Perfetto trace-event file."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def check_real_options(real: bool, db: str | None) -> None:
    """--db, --reset, --create-db, --lock and --time-scale only with --real; --reset and --create-db
    only with --db (the default scratch file needs neither)."""
    ctx = click.get_current_context()
    refuse_unless(real, ctx, ("db", "reset", "create_db", "broker", "lock", "time_scale"), "--real")
    refuse_unless(db is not None, ctx, ("reset", "create_db"), "--db")


def build_spec(
    fm,
    fix,
    seed,
    plan_path,
    overrides,
    policy_name,
    jobs,
    workers,
    real=False,
    db=None,
    time_scale=1.0,
    reset=False,
    create_db=False,
    lock=None,
    broker=None,
) -> RunSpec:
    check_real_options(real, db)
    spec = RunSpec(
        real=real,
        db=db,
        lock=lock,
        broker=broker,
        reset=reset,
        create_db=create_db,
        time_scale=time_scale,
        fm=fm,
        fixed=fix,
        policy_name=policy_name,
        overrides=parse_overrides(overrides),
        jobs=jobs,
        workers=workers,
        seed=seed,
        plan=load_plan(plan_path),
        plan_path=plan_path,
    )
    spec.check()
    return spec


def db_paths(spec: RunSpec) -> dict[str, str]:
    """The run's database, which no output may name (it would overwrite the database, or the reverse)."""
    return {"--db": spec.db_url} if spec.real else {}


def metrics_text(record) -> str:
    from faultline.present.metrics import exposition, registry_for

    return exposition(registry_for(record))


def metrics_snapshot(record) -> dict:
    from faultline.present.metrics import registry_for, snapshot

    return snapshot(registry_for(record))


def write_run_outputs(outputs: Outputs, spec: RunSpec, record, violations, report_option: str = "--report") -> None:
    """Write whichever of --history, --trace, --metrics and the HTML report were asked for."""
    if "--history" in outputs:
        outputs.write("--history", record.jsonl())
    if "--trace" in outputs:
        from faultline.present.trace import trace_json

        outputs.write("--trace", trace_json(record, violations, title=spec.title))
    if "--metrics" in outputs:
        outputs.write("--metrics", metrics_text(record))
    if report_option in outputs:
        from faultline.present.report import html_report

        html = html_report(
            record,
            violations,
            title=spec.title,
            policy_label=spec.label,
            replay=spec.replay_command(),
            metrics=metrics_snapshot(record),
        )
        outputs.write(report_option, html)


def print_human(spec: RunSpec, record, violations, *, stream_stderr: bool = False) -> None:
    out = console(stderr=stream_stderr)
    for run in runs_of(record):  # a workflow's runs: a row per task first
        out.print(task_table(run))
    render.print_run(
        out,
        header=f"{spec.title}  [policy: {spec.label}]",
        result=record,
        violations=violations,
        replay=spec.replay_command(),
        fix_hint=spec.fix_hint() if violations else None,
        timeline_title="timeline (real world: run ms, one clock for every process)"
        if spec.real
        else "timeline (virtual time)",
    )
