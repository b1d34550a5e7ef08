"""Helpers shared by the `faultline` commands: exit codes, seed parsing, console, output files.

Output files are prepared before any work (a temp file beside the target proves it writable), then
written whole and renamed into place with the user's umask; `-` means stdout; a special file (a
device, a FIFO) is written in place, and a symlink is written through, never replaced.
"""

from __future__ import annotations

import math
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import TextIO, cast

import click
from rich.console import Console

from faultline.inputs import MAX_PLAN_CHARS, read_text_file
from runtime.core.errors import BadInputError, FaultPlanError
from runtime.core.faults import FaultPlan

EXIT_HOLDS, EXIT_VIOLATED, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
NAME_MAX = 255
PATH_MAX = 4095
MAX_SEED_DIGITS = 20


class SeedType(click.ParamType):
    name = "seed"

    def convert(self, value, param, ctx):
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**64:
            return value
        text = str(value).strip()
        if text.isascii() and text.isdigit() and len(text) <= MAX_SEED_DIGITS and int(text) < 2**64:
            return int(text)
        shown = text if len(text) <= 24 else text[:21] + "..."
        self.fail(f"seed must be an integer in [0, 2**64 - 1], got {shown!r} (try --seed 0)", param, ctx)


SEED = SeedType()


class FiniteRange(click.FloatRange):
    """A float range that refuses NaN and infinities (which every comparison lets through)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number in the range {self._describe_range()}", param, ctx)
        return number


TIME_SCALE = FiniteRange(0.05, 100.0)


def given(ctx: click.Context, *names: str) -> list[str]:
    """The options among `names` (parameter names) the user typed, as they spell them (--db)."""
    from click.core import ParameterSource

    typed = []
    for name in names:
        if ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT):
            param = next(p for p in ctx.command.params if p.name == name)
            typed.append(param.opts[0])
    return typed


def refuse_unless(condition: bool, ctx: click.Context, names: tuple[str, ...], needs: str) -> None:
    """Bad input when options that only apply with `needs` were given without it."""
    stray = given(ctx, *names)
    if stray and not condition:
        them = "them" if len(stray) > 1 else "it"
        raise BadInputError(
            f"{', '.join(stray)} only {'apply' if len(stray) > 1 else 'applies'} with {needs}; "
            f"add {needs}, or drop {them}"
        )


class _Trimmed:
    """A text stream that drops the spaces rich pads each line with (no trailing whitespace)."""

    def __init__(self, stream) -> None:
        self._stream, self._pending = stream, ""

    def write(self, text: str) -> int:
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        if lines:
            self._stream.write("".join(line.rstrip(" ") + "\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._stream.write(self._pending.rstrip(" "))
            self._pending = ""
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    @property
    def encoding(self) -> str:
        return getattr(self._stream, "encoding", "utf-8")


def console(stderr: bool = False) -> Console:
    """Rich console: the terminal's width, or COLUMNS (default 110) when piped; no soft wrapping, no
    trailing spaces."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else int(os.environ.get("COLUMNS", "110") or 110)
    return Console(highlight=False, soft_wrap=False, width=width, file=cast(TextIO, _Trimmed(stream)))


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


STDOUT_NAMES = ("-", "/dev/stdout")


class Output:
    """One output target, checked and prepared before any work: `-` (or /dev/stdout) is stdout; a
    folder, a device, a pipe or a socket is refused; a file is written whole and renamed into place
    (a symlink's target is written, the link kept). `private`: owner-only (0600), else the umask's."""

    def __init__(self, option: str, raw: str, *, private: bool = False) -> None:
        self.option, self.raw, self.private = option, raw, private
        self.stdout = raw in STDOUT_NAMES
        self.target: Path | None = None
        self._temp: str | None = None
        if not self.stdout:
            self._check()

    def _bad(self, why: str) -> BadInputError:
        return BadInputError(f"{self.option} {self.raw!r}: {why}")

    def _check(self) -> None:
        raw = self.raw
        if raw == "":
            raise self._bad("needs a file path (or - for stdout)")
        if "\x00" in raw:
            raise self._bad("a path cannot contain a NUL character")
        if len(os.fsencode(raw)) > PATH_MAX or any(len(os.fsencode(part)) > NAME_MAX for part in Path(raw).parts):
            raise self._bad(f"the file name is too long (at most {NAME_MAX} bytes per name); choose a shorter one")
        real = Path(os.path.realpath(raw))  # through symlinks: the link stays, its target is written
        try:
            info = os.stat(real)
        except FileNotFoundError:
            info = None
        except OSError as error:
            raise self._bad(f"cannot be written ({error.strerror}); choose another path") from None
        if info is not None and stat.S_ISDIR(info.st_mode):
            raise self._bad("is a folder; give a file path")
        if info is not None and not stat.S_ISREG(info.st_mode):
            raise self._bad("is a special file (a device, a pipe or a socket); give a regular file, or - for stdout")
        folder = real.parent
        if not folder.is_dir():
            raise self._bad(f"folder {str(Path(raw).parent)!r} does not exist; create it first")
        self.target = real
        try:
            handle, self._temp = tempfile.mkstemp(dir=folder, prefix=f".{real.name[:200]}.", suffix=".tmp")
            os.close(handle)
        except OSError as error:
            raise self._bad(f"cannot be written ({error.strerror}); choose another path") from None

    def write(self, text: str) -> None:
        if self.stdout:
            click.echo(text, nl=False)
            return
        assert self._temp is not None and self.target is not None  # set by __init__ unless stdout
        try:
            with open(self._temp, "w", encoding="utf-8") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(self._temp, 0o600 if self.private else 0o666 & ~current_umask())
            os.replace(self._temp, self.target)
            self._temp = None
        except OSError as error:
            self.discard()
            raise BadInputError(
                f"{self.option} {self.raw!r}: writing failed ({error.strerror}); nothing written"
            ) from None

    def discard(self) -> None:
        if self._temp is not None:
            Path(self._temp).unlink(missing_ok=True)
            self._temp = None


PRIVATE_OUTPUTS = frozenset(("--history",))
"""Outputs written owner-only: a history holds every payload (docs/08_real_world.md)."""


class Outputs:
    """The outputs of one command, prepared before any work; on any error none is left behind. Two
    outputs (or an output and `others`, e.g. the database) naming one file are refused."""

    def __init__(
        self,
        targets: dict[str, str | None],
        *,
        stdout_taken_by: str | None = None,
        others: dict[str, str | None] | None = None,
    ) -> None:
        chosen = {option: raw for option, raw in targets.items() if raw is not None}
        on_stdout = [option for option, raw in chosen.items() if raw in STDOUT_NAMES]
        if stdout_taken_by is not None and on_stdout:
            raise BadInputError(f"{on_stdout[0]} - and {stdout_taken_by} both want stdout; write one of them to a file")
        if len(on_stdout) > 1:
            raise BadInputError(f"{on_stdout[0]} - and {on_stdout[1]} - both want stdout; write one of them to a file")
        _one_file_each({**chosen, **{k: v for k, v in (others or {}).items() if v}}, on_stdout)
        self.stdout_option = on_stdout[0] if on_stdout else None
        self._outputs: dict[str, Output] = {}
        try:
            for option, raw in chosen.items():
                self._outputs[option] = Output(option, raw, private=option in PRIVATE_OUTPUTS)
        except BaseException:
            self.discard()
            raise

    def __contains__(self, option: str) -> bool:
        return option in self._outputs

    def write(self, option: str, text: str) -> None:
        self._outputs[option].write(text)

    def discard(self) -> None:
        for output in self._outputs.values():
            output.discard()

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


def _one_file_each(paths: dict[str, str], on_stdout: list[str]) -> None:
    seen: dict[str, str] = {}
    for option, raw in paths.items():
        if option in on_stdout or "://" in raw or "\x00" in raw or not raw:
            continue
        where = os.path.realpath(raw.removeprefix("sqlite:///").removeprefix("sqlite://"))
        if where in seen:
            raise BadInputError(f"{seen[where]} and {option} both name {raw!r}; give each its own file")
        seen[where] = option


def out_dir(raw: str) -> Path:
    folder = Path(raw)
    if not folder.is_dir():
        raise BadInputError(f"--out-dir {raw!r} is not a folder; create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BadInputError(f"--out-dir {raw!r} is not writable; choose another folder")
    return folder


def load_plan(path: str | None) -> FaultPlan | None:
    if path is None:
        return None
    text = read_text_file(
        path, max_chars=MAX_PLAN_CHARS, noun="fault plan", fix="pass a JSON file path", error=FaultPlanError
    )
    return FaultPlan.from_json(text, source=f"fault plan {path!r}")


def parse_overrides(pairs: tuple[str, ...]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise BadInputError(f"--set expects FIELD=VALUE, got {pair!r} (e.g. --set lease_ms=500)")
        overrides[name.strip()] = value
    return overrides


def write_atomically(path: Path, text: str) -> None:
    """Write all of `text` to `path` or nothing (a temp file beside it, then a rename)."""
    Output("file", str(path)).write(text)
