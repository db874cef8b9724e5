"""The containers exports come in — JSON lines, a JSON array, one JSON document, CSV,
an XLSX workbook — recognised by their first bytes (never by the suffix) and read as a
stream of rows, each with the line it starts on (an XLSX row: its row number). Memory
stays bounded by the largest row, not the file.

A BOM, CRLF line ends and a last line cut off mid-write are normal in exports and are
handled here; everything else that is not a row is a ``Skip`` the readers never see."""

from __future__ import annotations

import codecs
import csv
import enum
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
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
ZIP_MAGIC = b"PK\x03\x04"
WORKBOOK = "xl/workbook.xml"
# openpyxl keeps a workbook's shared strings in memory (the rows themselves stream):
# a workbook whose string table unpacks beyond this is refused, not loaded.
MAX_SHARED_STRINGS = 256 * 1024 * 1024


class Container(enum.StrEnum):
    NDJSON = "ndjson"
    JSON_ARRAY = "json-array"
    JSON_DOCUMENT = "json"
    CSV = "csv"
    XLSX = "xlsx"


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
    if body.startswith(ZIP_MAGIC):  # sniff_file() looks inside; bytes alone cannot tell
        raise Unreadable("a ZIP archive: import the files inside it")
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
        head = fh.read(SNIFF)
    if head.startswith(ZIP_MAGIC):
        return _sniff_zip(path)
    return sniff(head)


def _sniff_zip(path: Path) -> Container:
    """An XLSX workbook is a ZIP holding ``xl/workbook.xml``; any other ZIP is refused."""
    try:
        with zipfile.ZipFile(path) as z:
            names = {i.filename: i for i in z.infolist()}
    except (zipfile.BadZipFile, OSError) as exc:
        raise Unreadable(f"a damaged ZIP or XLSX file ({exc})") from exc
    if WORKBOOK not in names:
        raise Unreadable("a ZIP archive, not an XLSX workbook: import the files inside it")
    strings = names.get("xl/sharedStrings.xml")
    if strings is not None and strings.file_size > MAX_SHARED_STRINGS:
        raise Unreadable("an XLSX workbook whose strings unpack beyond 256 MB: export CSV")
    return Container.XLSX


def rows(fh: IO[bytes], container: Container) -> Iterator[RawRow]:
    """Every row of an open binary file in ``container``; ``fh.tell()`` is the progress."""
    if container is Container.NDJSON:
        return _ndjson(fh)
    if container is Container.JSON_ARRAY:
        return _json_array(fh)
    if container is Container.JSON_DOCUMENT:
        return _json_document(fh)
    if container is Container.XLSX:
        return _xlsx(fh)
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


def _cell(v: Any) -> Any:
    """A cell as the CSV export would give it: a date-time as ISO 8601 text, the rest as
    openpyxl reads it (text, int, float, bool; an empty cell is None)."""
    if isinstance(v, datetime | date | time):
        return v.isoformat()
    return v


def _xlsx(fh: IO[bytes]) -> Iterator[RawRow]:
    """The first sheet's rows as header → cell dicts, streamed (openpyxl read-only mode:
    one row in memory at a time). Row 1 is the header; an empty row is passed over."""
    import openpyxl  # only when a workbook is read: it is slow to import

    try:
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        yield RawRow(1, Skip(1, SkipReason.MALFORMED, f"not a readable XLSX workbook: {exc}"))
        return
    n = 1
    try:
        cells = wb.worksheets[0].iter_rows(values_only=True)
        header = next(cells, None)
        if header is None:
            return
        names = [str(h).strip() if h is not None else "" for h in header]
        width = len(names)
        for n, row in enumerate(cells, start=2):
            if all(c is None for c in row):
                continue
            if any(c is not None for c in row[width:]):
                msg = f"line {n}: more cells than the header has columns"
                yield RawRow(n, Skip(n, SkipReason.MALFORMED, msg))
                continue
            out = dict.fromkeys(k for k in names if k)
            for k, v in zip(names, row, strict=False):
                if k:
                    out[k] = _cell(v)
            yield RawRow(n, out)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        yield RawRow(n, Skip(n, SkipReason.MALFORMED, f"line {n}: unreadable sheet: {exc}"))
    finally:
        wb.close()
