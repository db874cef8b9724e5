"""Which format a file is in, by the shape of its first rows (never by its suffix), and
the file read row by row with that format's reader.

Each reader says whether it recognises the sample; the first that does is used. A file
none recognises is refused naming the closest format and the fields it lacked."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any

from harvester.tiktok.imports.apify import ApifyReader
from harvester.tiktok.imports.columns import ColumnsReader
from harvester.tiktok.imports.containers import Container, Unreadable, rows, sniff_file
from harvester.tiktok.imports.formats import ImportFormat, Reader
from harvester.tiktok.imports.fourcat import FourCatReader
from harvester.tiktok.imports.records import Outcome, RowError, Skip, SkipReason
from harvester.tiktok.imports.ytdlp import YtDlpReader
from harvester.tiktok.imports.zeeschuimer import TikTokApiReader, ZeeschuimerReader

READERS: tuple[Reader, ...] = (
    ZeeschuimerReader(),
    FourCatReader(),
    TikTokApiReader(),
    ApifyReader(),
    YtDlpReader(),
    ColumnsReader(),
)
BY_FORMAT = {r.format: r for r in READERS}
SAMPLE_ROWS = 20


class Refused(ValueError):
    """The file as a whole is not read; the message says why and what to do."""


@dataclass(frozen=True)
class Detected:
    container: Container
    reader: Reader


def _sample(path: Path, container: Container) -> list[tuple[int, Any]]:
    with path.open("rb") as fh:
        found = [(r.line, r.value) for r in islice(rows(fh, container), SAMPLE_ROWS * 5)]
    return [(n, v) for n, v in found if not isinstance(v, Skip)][:SAMPLE_ROWS]


def _closest(sample: list[tuple[int, Any]], container: Container) -> str:
    line, row = sample[0]
    fits = [r for r in READERS if container in r.containers] or list(READERS)
    best = min(fits, key=lambda r: len(r.missing(row)))
    lacks = ", ".join(best.missing(row)[:6])
    return f"the closest is {best.title}, but line {line} lacks {lacks}"


def detect(path: Path, forced: ImportFormat | None = None) -> Detected:
    """The container and reader of ``path``; Refused (nothing read) when none fits."""
    try:
        container = sniff_file(path)
        sample = _sample(path, container)
    except Unreadable as exc:
        raise Refused(f"not an export this harvester reads: {exc}") from exc
    if not sample:
        raise Refused("no rows: the file holds no readable JSON object or CSV row")
    if forced is not None:
        reader = BY_FORMAT[forced]
        bad = [(n, reader.missing(v)) for n, v in sample if reader.missing(v)]
        if container not in reader.containers or len(bad) * 2 > len(sample):
            line, lacks = bad[0] if bad else (sample[0][0], [f"a {container} container"])
            raise Refused(f"not {reader.title}: line {line} lacks {', '.join(lacks[:6])}")
        return Detected(container, reader)
    for reader in READERS:
        if container not in reader.containers:
            continue
        fits = sum(1 for _, v in sample if not reader.missing(v))
        if fits * 2 > len(sample):
            return Detected(container, reader)
    raise Refused(f"not a format this harvester reads: {_closest(sample, container)}")


@dataclass
class ImportFile:
    """One file being read: iterate for outcomes; ``position``/``size`` for progress."""

    path: Path
    detected: Detected
    size: int = 0
    _fh: IO[bytes] | None = field(default=None, repr=False)

    def __iter__(self) -> Iterator[Outcome]:
        reader = self.detected.reader
        with self.path.open("rb") as fh:
            self._fh = fh
            self.size = self.path.stat().st_size
            try:
                for raw in rows(fh, self.detected.container):
                    yield from _outcomes(reader, raw.value, raw.line)
            finally:
                self._fh = None

    @property
    def position(self) -> int:
        fh = self._fh
        return fh.tell() if fh is not None and not fh.closed else self.size


def _outcomes(reader: Reader, value: Any, line: int) -> Iterator[Outcome]:
    if isinstance(value, Skip):
        yield value
        return
    lacks = reader.missing(value)
    if lacks:
        why = f"line {line}: not a {reader.title} row: lacks {', '.join(lacks[:6])}"
        yield Skip(line, SkipReason.MALFORMED, why)
        return
    try:
        yield from reader.read(value, line)
    except RowError as exc:
        yield Skip(line, SkipReason.MALFORMED, f"line {line}: {exc}")
