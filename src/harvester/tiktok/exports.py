"""Scraper exports (JSON, JSONL, CSV) of videos and comments, read and validated row by
row at the boundary. The column mapping is documented in docs/import.md: canonical
names first, then the aliases common exports use; unknown columns are ignored."""

from __future__ import annotations

import csv
import enum
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

MAX_JSON_BYTES = 256 * 1024 * 1024  # a .json array is read whole; JSONL and CSV stream
_DIGITS = re.compile(r"^\d{1,25}$")
_COMMENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_VIDEO_URL = re.compile(r"/video/(\d{5,25})")


class Format(enum.StrEnum):
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"


SUFFIXES = {
    ".json": Format.JSON,
    ".jsonl": Format.JSONL,
    ".ndjson": Format.JSONL,
    ".csv": Format.CSV,
}


class RowKind(enum.StrEnum):
    VIDEO = "video"
    COMMENT = "comment"


COMMENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "comment_id": ("comment_id", "cid", "id"),
    "video_id": ("video_id", "aweme_id", "item_id"),
    "text": ("text", "comment_text", "comment"),
    "like_count": ("like_count", "digg_count"),
    "reply_count": ("reply_count", "reply_comment_total"),
    "parent_comment_id": ("parent_comment_id",),
    "create_time": ("create_time", "created_at"),
}
VIDEO_COLUMNS: dict[str, tuple[str, ...]] = {
    "video_id": ("video_id", "id", "aweme_id", "item_id"),
    "url": ("url", "video_url", "share_url"),
    "username": ("username", "author", "unique_id"),
    "description": ("description", "video_description", "desc"),
    "create_time": ("create_time", "created_at"),
    "region_code": ("region_code", "region"),
    "view_count": ("view_count", "play_count"),
    "comment_count": ("comment_count",),
    "ad_id": ("ad_id",),
    "advertiser_name": ("advertiser_name", "business_name"),
}


def _when(v: Any) -> datetime | None:
    """Unix seconds (number or digits) or ISO 8601; naive times are taken as UTC."""
    if v is None or isinstance(v, datetime):
        return v
    if isinstance(v, int | float) or (isinstance(v, str) and v.isdigit()):
        return datetime.fromtimestamp(int(v), UTC)
    if isinstance(v, str):
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
        return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    raise ValueError("expected unix seconds or an ISO 8601 time")


def _video_id(v: Any) -> str:
    s = str(v).strip() if isinstance(v, int | str) else ""
    if not _DIGITS.match(s):
        raise ValueError("a TikTok video id is 1-25 digits")
    return s


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    @field_validator("create_time", mode="before", check_fields=False)
    @classmethod
    def _ts(cls, v: Any) -> datetime | None:
        return _when(v)


class ImportedComment(_Row):
    comment_id: str = Field(pattern=_COMMENT_ID.pattern)
    video_id: str
    text: str = Field(min_length=1, max_length=20_000)
    like_count: int | None = Field(None, ge=0)
    reply_count: int | None = Field(None, ge=0)
    parent_comment_id: str | None = Field(None, pattern=_COMMENT_ID.pattern)
    create_time: datetime | None = None

    @field_validator("video_id", mode="before")
    @classmethod
    def _vid(cls, v: Any) -> str:
        return _video_id(v)

    @field_validator("comment_id", "parent_comment_id", mode="before")
    @classmethod
    def _id(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v


class ImportedVideo(_Row):
    video_id: str
    url: str | None = Field(None, max_length=2048)
    username: str | None = Field(None, max_length=255)
    description: str | None = Field(None, max_length=20_000)
    create_time: datetime | None = None
    region_code: str | None = Field(None, max_length=8)
    view_count: int | None = Field(None, ge=0)
    comment_count: int | None = Field(None, ge=0)
    ad_id: str | None = Field(None, max_length=64)
    advertiser_name: str | None = Field(None, max_length=255)

    @field_validator("video_id", mode="before")
    @classmethod
    def _vid(cls, v: Any) -> str:
        return _video_id(v)

    @field_validator("ad_id", mode="before")
    @classmethod
    def _ad(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v


@dataclass(frozen=True)
class RowError:
    """Why one row was refused: ``file:line: field: what``."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


@dataclass(frozen=True)
class ParsedRow:
    line: int
    row: ImportedVideo | ImportedComment | None
    error: RowError | None
    end_offset: int  # bytes of the file consumed so far (for progress)


def _pick(raw: dict[str, Any], columns: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, aliases in columns.items():
        for alias in aliases:
            v = raw.get(alias)
            if v is not None and v != "":
                out[name] = v
                break
    return out


def kind_of(raw: dict[str, Any]) -> RowKind:
    """``kind`` when given; else a row with a comment id or a text is a comment."""
    k = str(raw.get("kind") or "").strip().lower()
    if k:
        return RowKind(k)
    markers = ("comment_id", "cid", "text", "comment_text", "comment")
    if any(raw.get(a) not in (None, "") for a in markers):
        return RowKind.COMMENT
    return RowKind.VIDEO


def validate_row(raw: Any, file: str, line: int) -> ImportedVideo | ImportedComment | RowError:
    """One export row → a validated video or comment, or the first reason it is refused."""
    if not isinstance(raw, dict):
        return RowError(file, line, "row", f"expected an object, got {type(raw).__name__}")
    try:
        kind = kind_of(raw)
    except ValueError:
        return RowError(file, line, "kind", f"{raw.get('kind')!r} is not video or comment")
    if kind is RowKind.COMMENT:
        data = _pick(raw, COMMENT_COLUMNS)
        model: type[_Row] = ImportedComment
    else:
        data = _pick(raw, VIDEO_COLUMNS)
        if "video_id" not in data and isinstance(data.get("url"), str):
            m = _VIDEO_URL.search(data["url"])
            if m:
                data["video_id"] = m.group(1)
        model = ImportedVideo
    try:
        return model.model_validate(data)  # type: ignore[return-value]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "row"
        msg = first["msg"].removeprefix("Value error, ")
        return RowError(file, line, field, f"{msg} ({kind} row)")


def _rows_jsonl(fh: io.BufferedReader, name: str) -> Iterator[tuple[int, Any, int]]:
    offset = 0
    for n, raw_line in enumerate(fh, 1):
        offset += len(raw_line)
        try:
            line = raw_line.decode("utf-8").strip()
            if line:
                yield n, json.loads(line), offset
        except UnicodeDecodeError:
            yield n, RowError(name, n, "row", "not UTF-8 text"), offset
        except json.JSONDecodeError as exc:
            yield n, RowError(name, n, "row", f"not JSON: {exc.msg}"), offset


def _rows_json(text: str, name: str) -> Iterator[tuple[int, Any, int]]:
    """The elements of a top-level array, each with the line it starts on."""
    dec = json.JSONDecoder()
    i = len(text) - len(text.lstrip())
    if not text.startswith("[", i):
        yield 1, RowError(name, 1, "file", "a .json export must be an array of objects"), len(text)
        return
    i += 1
    while True:
        while i < len(text) and text[i] in " \t\r\n,":
            i += 1
        if i >= len(text) or text[i] == "]":
            return
        line = text.count("\n", 0, i) + 1
        try:
            obj, i = dec.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            yield line, RowError(name, exc.lineno, "row", f"not JSON: {exc.msg}"), len(text)
            return
        yield line, obj, i  # characters, not bytes: close enough for a progress bar


def _rows_csv(fh: io.BufferedReader, name: str) -> Iterator[tuple[int, Any, int]]:
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text)
    for row in reader:
        extra = row.pop(None, None)  # type: ignore[call-overload]
        if extra:
            yield (
                reader.line_num,
                RowError(name, reader.line_num, "row", "more cells than columns"),
                0,
            )
            continue
        yield reader.line_num, row, 0


def read_rows(path: Path, fmt: Format, name: str | None = None) -> Iterator[ParsedRow]:
    """Every row of one export file, validated; bad rows carry their RowError."""
    label = name or path.name
    with path.open("rb") as fh:
        if fmt is Format.JSON:
            if path.stat().st_size > MAX_JSON_BYTES:
                raise ValueError(f"{label}: larger than {MAX_JSON_BYTES >> 20} MB: export JSONL")
            source: Iterator[tuple[int, Any, int]] = _rows_json(fh.read().decode("utf-8"), label)
        elif fmt is Format.JSONL:
            source = _rows_jsonl(fh, label)  # type: ignore[arg-type]
        else:
            source = _rows_csv(fh, label)  # type: ignore[arg-type]
        for line, raw, offset in source:
            offset = offset or fh.tell()
            if isinstance(raw, RowError):
                yield ParsedRow(line, None, raw, offset)
                continue
            result = validate_row(raw, label, line)
            if isinstance(result, RowError):
                yield ParsedRow(line, None, result, offset)
            else:
                yield ParsedRow(line, result, None, offset)
