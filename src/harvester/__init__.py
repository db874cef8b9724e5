"""TikTok Domain Harvester."""

from __future__ import annotations

from functools import cache


@cache
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("harvester")
    except PackageNotFoundError:  # running from a source tree without install
        return "0.0.0"


def __getattr__(name: str) -> str:
    """``__version__`` reads the installed metadata (30 ms): only when asked for."""
    if name == "__version__":
        return _version()
    raise AttributeError(f"module 'harvester' has no attribute {name!r}")
