"""The valid rows of a file, kept between the checking read and the storing one, so a
file is parsed once: a refused file is never stored, and a good one is not read again.

Rows are pickled in chunks to a temporary file that stays in memory up to 32 MB and
goes to disk beyond, so memory stays flat in the file's size. A comment is kept as the
tuple of its cells (``COMMENT_KEYS`` order): cheaper to pickle than the record, and what
the store wants anyway."""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from dataclasses import fields
from operator import attrgetter
from types import TracebackType
from typing import Any

from harvester.tiktok.imports.records import CommentRecord, VideoRecord

COMMENT_KEYS = tuple(f.name for f in fields(CommentRecord))
CommentCells = tuple[Any, ...]  # a comment's values in COMMENT_KEYS order
Staged = VideoRecord | CommentCells
MEMORY = 32 * 1024 * 1024
CHUNK = 5_000
comment_cells = attrgetter(*COMMENT_KEYS)


class Spool:
    """Append rows while checking, then iterate them (once) to store them."""

    def __init__(self, memory: int = MEMORY, chunk: int = CHUNK) -> None:
        self._file = tempfile.SpooledTemporaryFile(max_size=memory)  # noqa: SIM115
        self._chunk: list[Staged] = []
        self._size = chunk
        self.count = 0

    def add(self, row: VideoRecord | CommentRecord) -> None:
        self._chunk.append(comment_cells(row) if isinstance(row, CommentRecord) else row)
        self.count += 1
        if len(self._chunk) >= self._size:
            self._dump()

    def _dump(self) -> None:
        if self._chunk:
            pickle.dump(self._chunk, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self._chunk = []

    def __iter__(self) -> Iterator[Staged]:
        self._dump()
        self._file.seek(0)
        while True:
            try:
                chunk: list[Staged] = pickle.load(self._file)  # our own file, written above
            except EOFError:
                return
            yield from chunk

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
