"""Where a SQLite URL's file is (a leaf: commands that only look at paths stay fast)."""

from __future__ import annotations

from pathlib import Path


def sqlite_file(url: str) -> Path | None:
    """The absolute file of a SQLite URL (None for other databases and :memory:)."""
    if not url.startswith("sqlite"):
        return None
    raw = url.split("///", 1)[-1]
    if not raw or raw == ":memory:":
        return None
    return Path(raw).expanduser().resolve()
