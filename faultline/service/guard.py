"""The door, as ASGI middleware in front of every route: the body is counted while it streams in
(chunked or not) and refused past its limit; a JSON body is refused when it holds a value the
databases cannot keep (NaN or Infinity, a NUL, a lone surrogate), naming the field; each request's
latency is observed under labels from fixed sets (an invented HTTP method is `other`).

Every refusal is a JSON error {"error", "field"} with a 4xx status; nothing reaches a route."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from runtime.core.payload import MAX_PAYLOAD_DEPTH, text_problem

METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
JSON_DEPTH = MAX_PAYLOAD_DEPTH + 4
"""How deeply any JSON body may nest (a job's payload sits one level in)."""


class Refused(Exception):
    def __init__(self, status: int, message: str, field: str) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


class _NotJson(float):
    """What NaN, Infinity and -Infinity parse to, so the walk can name where they sit."""


def _constant(name: str) -> _NotJson:
    return _NotJson("nan")


def check_json(raw: bytes) -> None:
    """Refuse a JSON body holding a value no database keeps. A body that is not JSON at all passes
    here: the route's own parser answers 400 for it."""
    try:
        data = json.loads(raw, parse_constant=_constant)
    except (ValueError, RecursionError):
        return
    problem = _first_problem(data, "", 0)
    if problem is not None:
        field, message = problem
        raise Refused(422, f"{field or 'body'}: {message}", field or "body")


def _first_problem(value, path: str, depth: int) -> tuple[str, str] | None:
    if isinstance(value, _NotJson):
        return path, "NaN and Infinity are not JSON numbers"
    if isinstance(value, str):
        why = text_problem(value)
        return (path, why) if why else None
    if isinstance(value, list | dict) and depth >= JSON_DEPTH:
        return path, f"nests deeper than {JSON_DEPTH} levels"
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_problem(item, f"{path or 'body'}.{index}", depth + 1)
            if found:
                return found
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else key
            why = text_problem(key)
            if why:
                return path or "body", f"key {key!r} {why}"
            found = _first_problem(item, inner, depth + 1)
            if found:
                return found
    return None


class Guard:
    """ASGI middleware: body limits by streaming count, strict JSON, bounded metric labels."""

    def __init__(
        self,
        app,
        *,
        cap_for: Callable[[str], int],
        observe: Callable[[str, str, str, float], None],
        json_only: Callable[[str], bool],
    ):
        self.app, self.cap_for, self.observe, self.json_only = app, cap_for, observe, json_only

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def sending(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            body = await self._body(scope, receive)
            if body and _is_json(scope):
                check_json(body)
            elif body and self.json_only(scope["path"]):
                kind = _header(scope, b"content-type") or "no content type"
                raise Refused(415, f"send the body as application/json, not {kind.split(';')[0]}", "content-type")
        except Refused as refused:
            await _answer(sending, refused)
        else:
            await self.app(scope, _replay(body, receive), sending)
        method = scope["method"] if scope["method"] in METHODS else "other"
        route = getattr(scope.get("route"), "path", "unmatched")
        self.observe(method, route, str(status["code"]), time.perf_counter() - started)

    async def _body(self, scope, receive) -> bytes:
        """The whole body, refused (413) as soon as it passes the path's limit: a Content-Length
        over it is refused unread, a chunked body is counted as it arrives."""
        cap = self.cap_for(scope["path"])
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > cap):
            raise Refused(413, f"the body is over {cap} bytes", "body")
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                raise Refused(413, f"the body is over {cap} bytes", "body")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _is_json(scope) -> bool:
    kind = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def _replay(body: bytes, receive):
    """The body read already, then whatever the connection says next (its disconnect)."""
    sent = False

    async def replay():
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _answer(send, refused: Refused) -> None:
    payload = json.dumps({"error": refused.message, "field": refused.field}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if refused.status == 413:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
