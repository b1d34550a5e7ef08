"""The OS processes a real-world supervisor runs, by name: fork one, learn which ended (or froze),
kill them all. Both supervisors - `faultline run --real` with the drills, and the `faultline worker`
pool - fork, reap and kill through here; what a death means (a crash row, a restart) is theirs, and
written through runtime/real/actors.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator

from runtime.real.db import Database


class Children:
    """The supervisor's child processes: pid -> the actor's name."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.pids: dict[int, str] = {}

    def spawn(self, name: str, body: Callable[[str], None]) -> int:
        """Fork a process that runs `body(name)` and exits: 0 when it returns, 3 (its traceback on
        stderr) when it raises. The supervisor's connection is closed first and the child opens its
        own: a connection is never shared across a fork (SQLite's lock state would be). Ctrl-C is
        the supervisor's to handle; a SIGTERM ends the child."""
        self.db.close()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                self.db.forget_connection()
                body(name)
            except BaseException:  # noqa: BLE001 - a child reports and exits, never returns into the parent
                traceback.print_exc(file=sys.stderr)
                code = 3
            finally:
                os._exit(code)
        self.pids[pid] = name
        return pid

    def reaped(self, *, stopped: bool = False) -> Iterator[tuple[int, str, int]]:
        """(pid, name, wait status) of each child that ended since the last look - and, with `stopped`,
        of each that froze itself (it stays a child). Never blocks."""
        flags = os.WNOHANG | (os.WUNTRACED if stopped else 0)
        while self.pids:
            try:
                pid, status = os.waitpid(-1, flags)
            except ChildProcessError:
                return
            if pid == 0:
                return
            name = self.pids.get(pid)
            if name is None:
                continue
            if not os.WIFSTOPPED(status):
                del self.pids[pid]
            yield pid, name, status

    def kill_all(self) -> None:
        """SIGKILL every child (a frozen one is thawed so that it dies) and wait for each."""
        for pid in list(self.pids):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                os.kill(pid, signal.SIGCONT)
        for pid in list(self.pids):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self.pids.clear()


def how_it_ended(status: int) -> str:
    """`signal 9`, `exit 3`: a wait status as a crash row's cause."""
    return f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit {os.WEXITSTATUS(status)}"


def killed(status: int) -> bool:
    """The process was SIGKILLed (by itself at a fault point, or by a drill)."""
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
