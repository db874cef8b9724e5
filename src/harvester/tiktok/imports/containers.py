"""The containers exports come in — JSON lines, a JSON array, one JSON document, CSV —
recognised by their first bytes (never by the suffix) and read as a stream of rows,
each with the line it starts on. Memory stays bounded by the largest row, not the file.

A BOM, CRLF line ends and a last line cut off mid-write are normal in exports and are
handled here; everything else that is not a row is a ``Skip`` the readers never see."""

from __future__ import annotations

import codecs
import csv
import enum
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from harvester.tiktok.imports.records import Skip, SkipReason

MAX_LINE = 16 * 1024 * 1024  # one NDJSON row; a longer line is refused, not buffered
MAX_DOCUMENT = 256 * 1024 * 1024  # a single pretty-printed JSON document is read whole
MAX_ITEM = 64 * 1024 * 1024  # one element of a JSON array
CHUNK = 1024 * 1024
SNIFF = 64 * 1024
BOM = codecs.BOM_UTF8


class Container(enum.StrEnum):
    NDJSON = "ndjson"
    JSON_ARRAY = "json-array"
    JSON_DOCUMENT = "json"
    CSV = "csv"


class Unreadable(ValueError):
    """The file is not text in any container we read (the message says what it is)."""


@dataclass(frozen=True, slots=True)
class RawRow:
    line: int
    value: Any  # a dict from JSON or CSV, anything else JSON held, or a Skip


def sniff(head: bytes) -> Container:
    """The container of a file from its first bytes; Unreadable when it is none."""
    body = head.removeprefix(BOM).lstrip()
    if not body:
        raise Unreadable("the file is empty")
    if body.startswith(b"PK\x03\x04"):
        raise Unreadable("a ZIP or XLSX workbook: download the dataset as JSON or CSV")
    try:
        sample = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(body) - 4:  # not just a character cut by the sniff window
            raise Unreadable("not UTF-8 text (a binary file?)") from exc
        sample = body[: exc.start].decode("utf-8")
    if sample.startswith("["):
        return Container.JSON_ARRAY
    if sample.startswith("{"):
        first, newline, _ = sample.partition("\n")
        try:
            json.loads(first)
        except json.JSONDecodeError:
            return Container.JSON_DOCUMENT if newline else Container.NDJSON
        return Container.NDJSON
    first = sample.partition("\n")[0]
    if "," in first and "\x00" not in sample:
        return Container.CSV
    raise Unreadable("neither JSON (lines, array, document) nor CSV with a header row")


def sniff_file(path: Path) -> Container:
    with path.open("rb") as fh:
        return sniff(fh.read(SNIFF))


def rows(fh: IO[bytes], container: Container) -> Iterator[RawRow]:
    """Every row of an open binary file in ``container``; ``fh.tell()`` is the progress."""
    if container is Container.NDJSON:
        return _ndjson(fh)
    if container is Container.JSON_ARRAY:
        return _json_array(fh)
    if container is Container.JSON_DOCUMENT:
        return _json_document(fh)
    return _csv(fh)


def _ndjson(fh: IO[bytes]) -> Iterator[RawRow]:
    n = 0
    while raw := fh.readline(MAX_LINE):
        n += 1
        if n == 1:
            raw = raw.removeprefix(BOM)
        ended = raw.endswith(b"\n")
        if not ended and len(raw) >= MAX_LINE:
            while (rest := fh.readline(MAX_LINE)) and not rest.endswith(b"\n"):
                pass
            yield RawRow(n, Skip(n, SkipReason.MALFORMED, f"line {n}: longer than 16 MB"))
            continue
        line = raw.strip()
        if not line:
            continue
        try:
            yield RawRow(n, _loads(line))
        except UnicodeDecodeError:
            yield RawRow(n, Skip(n, SkipReason.MALFORMED, f"line {n}: not UTF-8 text"))
        except json.JSONDecodeError as exc:
            if not ended:  # readline stopped short of a newline: the end of the file
                why = f"line {n}: the last line is cut off ({exc.msg}); skipped"
                yield RawRow(n, Skip(n, SkipReason.TRUNCATED_LAST_LINE, why))
            else:
                yield RawRow(n, Skip(n, SkipReason.MALFORMED, f"line {n}: not JSON: {exc.msg}"))


def _loads(line: bytes) -> Any:
    """One JSON line: orjson, several times faster; the standard library where orjson is
    stricter (integers over 64 bits, NaN, lone surrogates, UTF-16), so both read the same
    rows and a bad one gets the standard library's error."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


class _Buffer:
    """Decoded text of a binary stream, read on demand, with the line count consumed."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.text = ""
        self.pos = 0
        self.line = 1
        self.eof = False

    def more(self, size: int) -> None:
        if self.pos > CHUNK:  # drop what was consumed
            self.text, self.pos = self.text[self.pos :], 0
        data = self.fh.read(size)
        self.eof = not data
        self.text += self.decoder.decode(data, final=self.eof)

    def skip_space(self, chars: str) -> None:
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in chars:
                if self.text[self.pos] == "\n":
                    self.line += 1
                self.pos += 1
            if self.pos < len(self.text) or self.eof:
                return
            self.more(CHUNK)


def _json_array(fh: IO[bytes]) -> Iterator[RawRow]:
    """The elements of a top-level array, decoded one at a time."""
    buf, dec = _Buffer(fh), json.JSONDecoder()
    try:
        buf.more(CHUNK)
        buf.skip_space(" \t\r\n")
        buf.pos += 1  # the "[" sniff() saw
        while True:
            buf.skip_space(" \t\r\n,")
            if buf.pos >= len(buf.text) or buf.text[buf.pos] == "]":
                return
            size = CHUNK
            while True:
                try:
                    value, end = dec.raw_decode(buf.text, buf.pos)
                    break
                except json.JSONDecodeError as exc:
                    if buf.eof or len(buf.text) - buf.pos > MAX_ITEM:
                        why = "cut off" if buf.eof else "larger than 64 MB"
                        msg = f"line {buf.line}: element {why}: {exc.msg}"
                        yield RawRow(buf.line, Skip(buf.line, SkipReason.MALFORMED, msg))
                        return
                    buf.more(size)
                    size *= 2
            yield RawRow(buf.line, value)
            buf.line += buf.text.count("\n", buf.pos, end)
            buf.pos = end
    except UnicodeDecodeError:
        yield RawRow(buf.line, Skip(buf.line, SkipReason.MALFORMED, "not UTF-8 text"))


def _json_document(fh: IO[bytes]) -> Iterator[RawRow]:
    data = fh.read(MAX_DOCUMENT + 1)
    if len(data) > MAX_DOCUMENT:
        raise Unreadable("one JSON document over 256 MB: export JSON lines instead")
    try:
        yield RawRow(1, json.loads(data.removeprefix(BOM).decode("utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        yield RawRow(1, Skip(1, SkipReason.MALFORMED, f"not a JSON document: {exc}"))


def _csv(fh: IO[bytes]) -> Iterator[RawRow]:
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")  # type: ignore[type-var]
    reader = csv.DictReader(text)
    try:
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            if None in row:
                msg = f"line {start}: more cells than the header has columns"
                yield RawRow(start, Skip(start, SkipReason.MALFORMED, msg))
                continue
            yield RawRow(start, row)
    except UnicodeDecodeError:
        yield RawRow(start, Skip(start, SkipReason.MALFORMED, f"line {start}: not UTF-8 text"))
    except csv.Error as exc:
        yield RawRow(start, Skip(start, SkipReason.MALFORMED, f"line {start}: {exc}"))
    finally:
        text.detach()  # the caller closes the file
