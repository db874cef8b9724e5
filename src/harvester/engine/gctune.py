"""The garbage collector, tuned for an engine process.

Each SDK call allocates thousands of container objects (the SDK's pydantic models,
its step interrupts and their tracebacks), so with CPython's defaults the collector
ran about 200 times a second in a busy engine process, and every tenth of a second or
so a full collection walked everything the imports built (FastAPI, pydantic,
SQLAlchemy, the SDK: ~70 ms each). Together 10-16 % of a 10-step workload's time.

At an engine's first start in a process, the objects alive then (modules, the app) are
collected once and frozen out of the collector's reach (``gc.freeze``, as long-lived
servers do after start-up), and a young-generation collection waits for 10,000 new
objects instead of 700. Objects frozen are never collected, so this is done once per
process: an engine started later (tests start hundreds) adds nothing to it.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
_frozen = False


def tune() -> None:
    """Freeze what is alive now (the first time only) and collect young objects less
    often; never lowers a threshold the host set higher."""
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True
    young, middle, old = gc.get_threshold()
    if young and young < YOUNG_THRESHOLD:  # 0: the host turned the collector off
        gc.set_threshold(YOUNG_THRESHOLD, middle, old)
