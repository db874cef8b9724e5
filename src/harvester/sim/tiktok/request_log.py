"""The simulator's request log: one JSON line per request it answered — what was asked
(endpoint, video, cursor, search id, region), what it answered (status, error code,
records) and when (the simulator's clock: ``received`` and answered, ``t``).

An observation hook, not a behaviour: the answers are the same with or without it. The
chaos bench reads it to see side effects the database cannot show — a comment page
fetched twice, a quota unit spent without a request — since TikTok is where a step that
ran twice leaves its trace.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DATA_KEYS = ("ads", "videos", "comments")


def request_key(endpoint: str, body: dict[str, Any], position: Any = None) -> str:
    """Names one request exactly (endpoint, whole body and, for a resumed search, the
    position it resumes from): two equal keys are the same page fetched twice."""
    named = body if position is None else {**body, "_position": position}
    canonical = json.dumps(named, sort_keys=True, default=str)
    return f"{endpoint}:{hashlib.sha1(canonical.encode()).hexdigest()[:16]}"


def describe(endpoint: str, body: Any, position: Any = None) -> dict[str, Any]:
    """The fields of a request worth reading back (bodies may be anything: logged as
    they came, the simulator's validation decides). ``position``: where a resumed
    search (a ``search_id`` sent again with the same body) stood, which page it asks."""
    body = body if isinstance(body, dict) else {}
    filters = body.get("filters") if isinstance(body.get("filters"), dict) else {}
    entry: dict[str, Any] = {"endpoint": endpoint, "key": request_key(endpoint, body, position)}
    if position is not None:
        entry["position"] = str(position)
    for name in ("video_id", "cursor", "search_id"):
        if name in body:
            entry[name] = str(body[name])
    if "country_code" in filters:
        entry["region"] = str(filters["country_code"])
    return entry


def records_in(data: Any) -> int:
    """Records a data answer carries (what TikTok's daily record quota counts)."""
    if not isinstance(data, dict):
        return 0
    return sum(len(v) for k, v in data.items() if k in DATA_KEYS and isinstance(v, list))


class RequestLog:
    """Appends entries to a JSON-lines file, one flushed line each (a reader in another
    process sees every answered request)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file = path.open("a", encoding="utf-8")

    def write(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, sort_keys=True, separators=(",", ":"))
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


def read_log(path: Path) -> Iterator[dict[str, Any]]:
    """The entries of a request log, in the order they were written."""
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)
