"""The `faultline` command: list FMs and invariants, run an FM, explore, replay and report.

Exit codes: 0 every invariant holds, 1 one is violated, 2 bad input (one line naming the value
and the fix, nothing written), 3 internal error (one line saying where the traceback went),
130 interrupted (what was found so far is still printed).
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback

import click

from faultline.cli import compare, determinism, explore, fm, index, judge, probe, run, service, workflow  # noqa: F401
from faultline.cli.app import cli
from faultline.cli.common import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED
from runtime.core.errors import BadInputError

__all__ = ["cli", "main"]

# One or more examples for every command's --help (a test checks that none is missing).
EXAMPLES = {
    "run": [
        "faultline run FM_001                      # the break, with the evidence and the replay line",
        "faultline run FM_001 --fix --json",
        "faultline run --policy safe --seed 7 --jobs 20 --workers 3",
        "faultline run FM_002 --real --db postgresql://postgres@127.0.0.1:5432/lab",
    ],
    "report": ["faultline report FM_002 --out report.html"],
    "explore": [
        "faultline explore --policy naive --seeds 1000 --shrink",
        "faultline explore --policy safe --seeds 10000 --processes 2 --json",
        "faultline explore --workload examples/etl_fanout.yml --policy naive --seeds 2000",
        "faultline explore --policy safe --mechanisms --seeds 2000   # batches, batch acks, retry strategies",
        "faultline explore --policy safe --mechanisms --coverage --seeds 500   # what the sweep exercised",
    ],
    "compare": [
        "faultline compare --policy naive --policy safe --seeds 500",
        "faultline compare --policy naive --policy FM_009 --set retry_on_store_error=true --json",
    ],
    "check-determinism": [
        "faultline check-determinism FM_001",
        "faultline check-determinism --seed 269 --policy naive",
    ],
    "replay": ["faultline replay --seed 269 --policy naive --jobs 5 --workers 1"],
    "list": ["faultline list"],
    "invariants": ["faultline invariants"],
    "path": ["faultline path FM_001 --test repro"],
    "fm": ["faultline fm new lost_ack"],
    "fm new": [
        "faultline fm new lost_ack   # creates failure_modes/FM_0NN_lost_ack/",
        "faultline fm new stale_retry --from shrunk-INV_001-seed0.json",
        "faultline fm new lost_charge --dir fms",
    ],
    "workflow": [
        "faultline workflow validate examples/etl_fanout.yml",
        "faultline workflow run examples/etl_fanout.yml --policy naive --workers 4 --seed 2",
    ],
    "workflow validate": ["faultline workflow validate examples/etl_fanout.yml --json"],
    "workflow run": [
        "faultline workflow run examples/etl_fanout.yml                 # a row per task, the verdict",
        "faultline workflow run examples/periodic.yml --policy FM_014 --report r.html",
        "faultline workflow run examples/hello.yml --real --db .faultline/wf.sqlite",
    ],
    "workflow show": ["faultline workflow show run-1 --db .faultline/wf.sqlite --json"],
    "redrive": [
        "faultline redrive --db .faultline/jobs.sqlite            # the dead letters back, same ids and keys",
        "faultline redrive --db .faultline/jobs.sqlite --ids mint --json",
    ],
    "serve": [
        "faultline serve --db .faultline/jobs.sqlite --port 8000",
        "faultline serve --workers 2 --api-key-file key.txt --host 0.0.0.0",
    ],
    "up": ["faultline up                       # the service and two workers on .faultline/jobs.sqlite"],
    "worker": ["faultline worker --db .faultline/jobs.sqlite --concurrency 2 --metrics-port 9100"],
    "drill": [
        "faultline drill worker-crash --json",
        "faultline drill db-outage --policy naive --db postgresql://postgres@127.0.0.1:5432/lab",
    ],
    "judge": [
        "faultline run FM_001 --history h.jsonl; faultline judge h.jsonl",
        "faultline judge probe-history.jsonl --json",
    ],
    "probe": [
        "faultline probe --list",
        "faultline probe rq --drill worker-crash --json",
        "faultline probe celery-redis --drill delayed-job --config recommended",
        "faultline probe matrix --out docs/probes.md",
    ],
}


def _add_examples(group: click.Group, prefix: str = "") -> None:
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        lines = EXAMPLES.get(path)
        if lines:
            command.epilog = "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)
        if isinstance(command, click.Group):
            _add_examples(command, path + " ")


_add_examples(cli)


class _PathText(click.ParamType):
    """A path option: the shell completes files (or folders); the command checks the value itself,
    with its own one-line errors ('-' means stdout, a URL is not a file)."""

    def __init__(self, kind: str) -> None:
        self.kind, self.name = kind, "path"

    def convert(self, value, param, ctx):
        return value

    def shell_complete(self, ctx, param, incomplete):
        from click.shell_completion import CompletionItem

        return [CompletionItem(incomplete, type=self.kind)]


class _PolicyName(click.ParamType):
    """--policy for the standard workload: naive, safe, or an FM's id (completed from the catalog)."""

    name = "policy"

    def convert(self, value, param, ctx):
        return value

    def shell_complete(self, ctx, param, incomplete):
        from click.shell_completion import CompletionItem

        from faultline.catalog import catalog

        names = ["naive", "safe", *(mode.id for mode in catalog())]
        return [CompletionItem(name) for name in names if name.startswith(incomplete)]


FILE_OPTIONS = {"--plan", "--history", "--trace", "--metrics", "--out", "--report", "--from", "--db"}
DIR_OPTIONS = {"--out-dir", "--dir", "--fm-path"}


def _typed_options(group: click.Group) -> None:
    for param in group.params:
        _type(param)
    for command in group.commands.values():
        for param in command.params:
            _type(param)
        if isinstance(command, click.Group):
            _typed_options(command)


def _type(param) -> None:
    if not isinstance(param, click.Option) or isinstance(param.type, click.Choice | click.Path):
        return
    names = set(param.opts)
    if names & FILE_OPTIONS:
        param.type = _PathText("file")
    elif names & DIR_OPTIONS:
        param.type = _PathText("dir")
    elif "--policy" in names:
        param.type = _PolicyName()


_typed_options(cli)
cli.epilog = (
    "Examples:\n\n\b\n  faultline list\n  faultline run FM_001\n  faultline explore --policy naive --seeds 1000\n\n"
    "Every command has its own examples: faultline COMMAND --help."
)


def _tolerant_streams() -> None:
    """Never die on an encoding: a terminal that cannot show a character gets an escape instead."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass


def _internal_error(error: BaseException) -> int:
    """One line on stderr; the traceback goes to a file the line names."""
    try:
        handle, path = tempfile.mkstemp(prefix="faultline-crash-", suffix=".txt")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write("".join(traceback.format_exception(error)))
        where = f"the traceback is in {path}"
    except OSError:
        where = "the traceback could not be written to a file"
    summary = f"{type(error).__name__}: {error}".splitlines()[0][:200]
    click.echo(f"faultline: internal error ({summary}); {where}; please report it", err=True)
    return EXIT_INTERNAL


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the click group, turning every error into one line and its exit code."""
    _tolerant_streams()
    try:
        cli.main(args=argv, prog_name="faultline", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except (click.Abort, KeyboardInterrupt):
        click.echo("faultline: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.UsageError as error:
        message = error.format_message().replace("\n", " ")
        command = error.ctx.command_path if error.ctx else "faultline"
        click.echo(f"faultline: error: {message} (see {command} --help)", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except BadInputError as error:
        click.echo(f"faultline: error: {error}".replace("\n", " "), err=True)
        sys.exit(EXIT_BAD_INPUT)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)  # the reader went away (`| head`): say nothing more
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_INTERRUPTED)
    except SystemExit:
        raise
    except Exception as error:  # noqa: BLE001 - the one place every unexpected error becomes exit 3
        sys.exit(_internal_error(error))
