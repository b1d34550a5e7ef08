"""Input files a user hands the lab (fault plans, workflow specs, shrunk findings, an API key): read
only up to their limit, the same limits as over HTTP, before any parsing. Every refusal is one line
naming the path and the fix."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from runtime.core.errors import BadInputError

MAX_PLAN_CHARS = 64 * 1024
"""A fault plan (or a shrunk finding) in characters: the job service's body limit."""


def read_text_file(
    path: str | Path, *, max_chars: int, noun: str, fix: str, error: type[BadInputError] = BadInputError
) -> str:
    """The UTF-8 text of a regular file of at most `max_chars` characters. A folder, a device or a
    pipe (which may never end), a file too large and bytes that are not UTF-8 are refused unread."""
    shown = str(path)
    try:
        info = os.stat(path)
    except (OSError, ValueError) as problem:
        why = getattr(problem, "strerror", None) or str(problem)
        raise error(f"cannot read {noun} {shown!r}: {why}; {fix}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise error(f"{noun} {shown!r} is {kind}; {fix}")
    limit_bytes = 4 * max_chars  # UTF-8 takes at most 4 bytes a character
    if info.st_size > limit_bytes:
        raise error(f"{noun} {shown!r} is {info.st_size} bytes; at most {max_chars} characters are allowed")
    try:
        with open(path, "rb") as stream:
            data = stream.read(limit_bytes + 1)
    except OSError as problem:
        raise error(f"cannot read {noun} {shown!r}: {problem.strerror}; {fix}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as problem:
        raise error(f"{noun} {shown!r} is not UTF-8 text (byte {problem.start}); save it as UTF-8") from None
    if len(text) > max_chars:
        raise error(f"{noun} {shown!r} is {len(text)} characters; at most {max_chars} are allowed")
    return text
