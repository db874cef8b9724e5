"""The strict JSON reader: exactly what it accepts and what it refuses, and why."""

from __future__ import annotations

import pytest

from harvester.engine.safejson import MAX_DEPTH, JSONRejected, check_content_type, loads


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * MAX_DEPTH + b"]" * MAX_DEPTH,  # the limit itself is fine
        b'{"a": "' + b"[" * 1000 + b'"}',  # brackets inside strings do not nest
        b'{"a": "quote \\" then [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}',
        b'"\\ud83d\\ude00"',  # a surrogate pair is one character
        b'{"a": [1, 2.5, -3e2, true, false, null]}',
    ],
)
def test_accepted(raw: bytes) -> None:
    loads(raw)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "nested deeper than 32"),
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 32"),
        (b'[{"a":' * 17 + b"1" + b"}]" * 17, "nested deeper than 32"),  # both kinds count
        (b'{"a": Infinity}', "Infinity is not a JSON number"),
        (b'{"k": 1, "k": 1}', "duplicate key 'k'"),
        (b'["\\udfff"]', "lone UTF-16 surrogate"),
        (b'{"\\ud800x": 1}', "lone UTF-16 surrogate"),  # in a key too
        (b"\xc0\xaf", "not UTF-8"),  # an overlong encoding
        (b"", "not valid JSON"),
    ],
)
def test_refused(raw: bytes, reason: str) -> None:
    with pytest.raises(JSONRejected, match=reason) as info:
        loads(raw)
    assert info.value.status == 400


@pytest.mark.parametrize(
    ("header", "ok"),
    [(None, True), ("application/json; charset=utf-8", True), ("text/plain", True),
     ("application/cloudevents+json", True), ("multipart/form-data; boundary=x", False),
     ("text/html", False)],
)  # fmt: skip
def test_content_types(header: str | None, ok: bool) -> None:
    if ok:
        check_content_type(header)
    else:
        with pytest.raises(JSONRejected) as info:
            check_content_type(header)
        assert info.value.status == 415
