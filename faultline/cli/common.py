"""Helpers shared by the `faultline` commands: exit codes, seed parsing, console, output files.

Output files are prepared before any work (a temp file beside the target proves it writable), then
written whole and renamed into place with the user's umask; `-` means stdout; a special file (a
device, a FIFO) is written in place, and a symlink is written through, never replaced.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

import click
from rich.console import Console

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
    return Console(highlight=False, soft_wrap=False, width=width, file=_Trimmed(stream))


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class Output:
    """One output target, checked and prepared before any work."""

    def __init__(self, option: str, raw: str) -> None:
        self.option, self.raw = option, raw
        self.stdout = raw == "-"
        self.special = False
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
            if not os.access(real, os.W_OK):
                raise self._bad("is a special file that is not writable")
            self.special, self.target = True, real
            return
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
        if self.special:
            with open(self.target, "w", encoding="utf-8") as stream:
                stream.write(text)
            return
        try:
            with open(self._temp, "w", encoding="utf-8") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(self._temp, 0o666 & ~current_umask())
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


class Outputs:
    """The outputs of one command, prepared before any work; on any error none is left behind."""

    def __init__(self, targets: dict[str, str | None], *, stdout_taken_by: str | None = None) -> None:
        chosen = {option: raw for option, raw in targets.items() if raw is not None}
        on_stdout = [option for option, raw in chosen.items() if raw == "-"]
        if stdout_taken_by is not None and on_stdout:
            raise BadInputError(f"{on_stdout[0]} - and {stdout_taken_by} both want stdout; write one of them to a file")
        if len(on_stdout) > 1:
            raise BadInputError(f"{on_stdout[0]} - and {on_stdout[1]} - both want stdout; write one of them to a file")
        self.stdout_option = on_stdout[0] if on_stdout else None
        self._outputs: dict[str, Output] = {}
        try:
            for option, raw in chosen.items():
                self._outputs[option] = Output(option, raw)
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
    try:
        data = Path(path).read_bytes()
    except (OSError, ValueError) as error:
        why = getattr(error, "strerror", None) or str(error)
        raise FaultPlanError(f"cannot read fault plan {path!r}: {why}; pass a JSON file path") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FaultPlanError(
            f"fault plan {path!r} is not UTF-8 text (byte {error.start}); save it as UTF-8 JSON"
        ) from None
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
