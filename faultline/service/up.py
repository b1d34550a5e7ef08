"""`faultline up` (and `make up`): the job-system quickstart in one command. The service and a worker
pool on one database, each its own process; their URLs printed; Ctrl-C (or SIGTERM) stops both and
waits for them, and a child that dies takes the other down with it. Children also die with their
parent (PR_SET_PDEATHSIG), so no process is left behind even if `up` itself is killed."""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
import time

PR_SET_PDEATHSIG = 1
STOP_S = 10.0


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the parent dies (Linux; elsewhere a no-op)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "faultline", *args], preexec_fn=_die_with_parent)


def run(commands: dict[str, list[str]], say) -> int:
    """Start each command, wait until one exits or we are told to stop, then stop them all. The exit
    code: 130 when stopped by Ctrl-C or SIGTERM, else the first child's own."""
    stopping = {"signal": None}

    def stop(signum, frame):
        stopping["signal"] = signum

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    children = {name: start(args) for name, args in commands.items()}
    code = 0
    try:
        while stopping["signal"] is None:
            ended = [(name, child.returncode) for name, child in children.items() if child.poll() is not None]
            if ended:
                name, code = ended[0]
                say(f"faultline up: {name} exited ({code}); stopping the rest")
                code = code or 1
                break
            time.sleep(0.1)
    finally:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_S
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 130 if stopping["signal"] is not None else code
