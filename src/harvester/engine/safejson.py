"""Strict JSON for every boundary: bounded depth (Python's parser recurses, so
``[`` x 100,000 raised RecursionError, a 500: it is now a 400), strict UTF-8,
no NaN/Infinity, no duplicate keys, no lone surrogates. Stdlib only, so the engine and
the rest of the harvester share one implementation."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterable
from typing import Any

MAX_DEPTH = 32
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


# No header (``curl -d`` sends a form type by default) and plain text are read as JSON
# too, like the Inngest dev server; a type that names another format is refused.
_ACCEPTED_TYPES = frozenset(
    {"", "application/json", "text/plain", "application/x-www-form-urlencoded"}
)


class JSONRejected(ValueError):
    """The input is not JSON we accept; the message says why (safe to show a client)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def read_limited(chunks: AsyncIterable[bytes], limit: int, timeout: float) -> bytes:
    """Collect a request body, refusing it (413) past ``limit`` bytes without reading the
    rest, and (408) when it has not fully arrived within ``timeout`` seconds."""
    buf = bytearray()

    async def collect() -> None:
        async for chunk in chunks:
            buf.extend(chunk)
            if len(buf) > limit:
                raise JSONRejected(f"request body over {limit} bytes", status=413)

    try:
        await asyncio.wait_for(collect(), timeout)
    except TimeoutError as exc:
        raise JSONRejected(f"request body not received within {timeout:g} s", status=408) from exc
    return bytes(buf)


def check_content_type(header: str | None) -> None:
    """Raise JSONRejected (415) when a Content-Type header names a non-JSON format."""
    media = (header or "").split(";", 1)[0].strip().lower()
    if media in _ACCEPTED_TYPES or media.endswith("+json"):
        return
    raise JSONRejected(
        f"Content-Type {media[:60]!r} is not JSON: send application/json", status=415
    )


def _no_constants(name: str) -> Any:
    raise JSONRejected(f"{name} is not a JSON number: send a finite number or null")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):  # rare: find which key, for the message
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JSONRejected(f"duplicate key {key[:80]!r} in a JSON object")
            seen.add(key)
    return out


def _check_str(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise JSONRejected("a string holds a lone UTF-16 surrogate (\\ud800-\\udfff)") from exc


def _walk(value: Any, max_depth: int, strings: bool) -> None:
    # Iterative: the parser already refused what would recurse too deep, and this
    # enforces the real limit (nesting levels of arrays and objects).
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            raise JSONRejected(f"JSON nested deeper than {max_depth} levels")
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in items:
            if strings and isinstance(key, str):
                _check_str(key)
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
            elif strings and isinstance(child, str):
                _check_str(child)


def loads(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse untrusted JSON; raise JSONRejected (a ValueError) with a readable reason."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JSONRejected(f"body is not valid JSON: not UTF-8 ({exc.reason})") from exc
    try:
        value = json.loads(text, parse_constant=_no_constants, object_pairs_hook=_no_duplicates)
    except JSONRejected:
        raise
    except RecursionError as exc:  # the C parser checks its depth: [ x 100,000 ends here
        raise JSONRejected(f"JSON nested deeper than {max_depth} levels") from exc
    except ValueError as exc:
        raise JSONRejected(f"body is not valid JSON: {exc}") from exc
    # Valid UTF-8 holds no surrogate: only a \uD800-style escape can make one.
    strings = _SURROGATE_ESCAPE.search(data) is not None
    if strings or data.count(b"[") + data.count(b"{") > max_depth:
        if isinstance(value, dict | list):
            _walk(value, max_depth, strings)
        elif strings and isinstance(value, str):
            _check_str(value)
    return value
