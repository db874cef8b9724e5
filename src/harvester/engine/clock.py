"""The engine's default clock, for when its host passes none (``EngineConfig.clock``).

The engine imports nothing from the rest of the harvester, so it keeps its own
default here; the harvester passes its one clock (``harvester.clock``) in. Everything
in the engine that decides by time reads ``EngineConfig.clock`` (unix seconds); waits
and deadlines that only measure a span read ``monotonic``.
"""

from __future__ import annotations

import time


def wall() -> float:
    """Unix seconds, real time."""
    return time.time()


def monotonic() -> float:
    """Seconds that never go back (for deadlines inside one process)."""
    return time.monotonic()


def pause(seconds: float) -> None:
    """Block this thread for ``seconds`` (a short wait that must not yield the loop)."""
    time.sleep(seconds)
