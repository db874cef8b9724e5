"""Strict JSON for every boundary: bounded depth checked *before* parsing (Python's
parser recurses, so ``[`` x 100,000 would raise RecursionError, a 500), strict UTF-8,
no NaN/Infinity, no duplicate keys, no lone surrogates. Stdlib only, so the engine and
the rest of the harvester share one implementation."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterable
from typing import Any

MAX_DEPTH = 32
# A JSON string (escapes included), an opening/closing bracket, or an unterminated string.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]|"', re.DOTALL)
_OPEN = frozenset(b"[{")


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


def check_depth(raw: bytes, max_depth: int = MAX_DEPTH) -> None:
    """Raise JSONRejected when brackets (outside strings) nest deeper than max_depth."""
    depth = 0
    for m in _TOKENS.finditer(raw):
        tok = m.group()
        if tok == b'"':  # an unterminated string: the parser will say so
            return
        if len(tok) > 1:  # a complete string: brackets inside it do not count
            continue
        if tok[0] in _OPEN:
            depth += 1
            if depth > max_depth:
                raise JSONRejected(f"JSON nested deeper than {max_depth} levels")
        else:
            depth -= 1


def _no_constants(name: str) -> Any:
    raise JSONRejected(f"{name} is not a JSON number: send a finite number or null")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise JSONRejected(f"duplicate key {k[:80]!r} in a JSON object")
        out[k] = v
    return out


def _check_strings(value: Any) -> None:
    # Depth is already bounded, so this recursion is too.
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise JSONRejected("a string holds a lone UTF-16 surrogate (\\ud800-\\udfff)") from exc
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_strings(k)
            _check_strings(v)
    elif isinstance(value, list):
        for v in value:
            _check_strings(v)


def loads(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse untrusted JSON; raise JSONRejected (a ValueError) with a readable reason."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JSONRejected(f"body is not valid JSON: not UTF-8 ({exc.reason})") from exc
    check_depth(data, max_depth)
    try:
        value = json.loads(text, parse_constant=_no_constants, object_pairs_hook=_no_duplicates)
    except JSONRejected:
        raise
    except (ValueError, RecursionError) as exc:
        raise JSONRejected(f"body is not valid JSON: {exc}") from exc
    _check_strings(value)
    return value
