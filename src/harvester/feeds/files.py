"""Writing feeds so that a reader never sees half a file: each file goes to a temporary
name beside it and is renamed over the old one; a file whose bytes did not change is
left alone (its mtime, hence Last-Modified and the HTTP caches, stays)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path


def write_atomic(path: Path, content: bytes) -> bool:
    """Replace ``path`` with ``content`` in one rename; False when it already held it."""
    try:
        if path.read_bytes() == content:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def write_dir(folder: Path, files: Mapping[str, bytes], last: str, stale_glob: str) -> int:
    """Write ``files`` into ``folder``, ``last`` after every other (the index readers
    start from), then delete the files matching ``stale_glob`` it no longer lists.
    Returns how many files changed."""
    changed = 0
    for name in sorted(files):
        if name != last:
            changed += write_atomic(folder / name, files[name])
    if last in files:
        changed += write_atomic(folder / last, files[last])
    for old in folder.glob(stale_glob):
        if old.name not in files:
            old.unlink(missing_ok=True)
            changed += 1
    return changed
